//! The service's allocator (see `src/main.rs`), so that a benchmark running the service in its
//! own process measures what the binary runs.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
