//! Diagnostics: the code catalogue and the diagnostic type.

pub mod codes;
pub mod finding;
