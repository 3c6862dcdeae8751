//! cargo-fuzz target: see `k3s_registries::fuzzing::secrets`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    k3s_registries::fuzzing::secrets(data);
});
