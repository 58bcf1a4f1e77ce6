//! Any text as a phone number: normalizing never panics, and what it gives back normalizes to
//! itself, so one number always lands on one contact.
#![no_main]

use api::domain::phone::PhoneNormalizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let phones = PhoneNormalizer::new(phonenumber::country::Id::US);
    if let Ok(normalized) = phones.normalize(raw) {
        assert_eq!(
            phones.normalize(&normalized).as_deref(),
            Ok(normalized.as_str()),
            "{raw:?} normalized to {normalized:?}, which does not normalize to itself"
        );
    }
});
