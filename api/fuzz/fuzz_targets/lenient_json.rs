//! Any bytes: the lenient reading of a body never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|body: &[u8]| {
    let _ = api::domain::payload::read_json(body);
});
