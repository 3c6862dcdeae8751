//! cargo-fuzz target: see `k3s_registries::fuzzing::quote`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    k3s_registries::fuzzing::quote(data);
});
