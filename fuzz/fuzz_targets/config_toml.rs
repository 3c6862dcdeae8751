//! cargo-fuzz target: see `k3s_registries::fuzzing::config_toml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    k3s_registries::fuzzing::config_toml(data);
});
