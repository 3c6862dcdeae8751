//! The registries.yaml schema, as rancher/wharfie's `pkg/registries/types.go` declares it, and
//! `load`, which reads a file the way K3s does (`registries.GetPrivateRegistries`: Go's yaml.v2,
//! non-strict).
//!
//! The types keep wharfie's names. Where Go has a pointer (`*AuthConfig`, `*TLSConfig`) we have an
//! `Option`: `tls: {}` is not the same as no `tls` (the hosts.toml template tests the pointer).
//! Go's maps become `BTreeMap`s: Go's template `range` visits keys in sorted byte order, and
//! `BTreeMap<String, _>` orders keys the same way (bytewise on UTF-8).
//!
//! Besides the typed value, `load` returns a [`SourceMap`]: where every key and value stood in the
//! file, and what yaml.v2 did to it (ignored an unknown key, let a duplicate win, read `yes` as a
//! boolean ...). `translate` never looks at it; `audit` and `explain` use it to point at lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

pub use crate::yaml::{LoadError, SourceMap};

/// `registries.Registry`: mirrors, configs and the deprecated `auths`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    /// `mirrors`: registry name (as written, `*` included) -> mirror settings.
    pub mirrors: BTreeMap<String, Mirror>,
    /// `configs`: registry or endpoint host -> auth and TLS settings.
    pub configs: BTreeMap<String, RegistryConfig>,
    /// `auths`: parsed (and so able to fail a load) but never used by K3s.
    pub auths: BTreeMap<String, AuthConfig>,
}

/// `registries.Mirror`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirror {
    /// `endpoint` (singular in YAML): the endpoints, in the order containerd tries them.
    pub endpoints: Vec<String>,
    /// `rewrite`: regular expression -> replacement, applied to the repository.
    pub rewrites: BTreeMap<String, String>,
}

/// `registries.RegistryConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryConfig {
    /// `auth`; `None` when absent or null.
    pub auth: Option<AuthConfig>,
    /// `tls`; `None` when absent or null.
    pub tls: Option<TlsConfig>,
}

/// `registries.AuthConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// `username`
    pub username: String,
    /// `password`
    pub password: String,
    /// `auth`: base64 of `username:password`.
    pub auth: String,
    /// `identity_token` in YAML, rendered as `identitytoken`.
    pub identity_token: String,
}

/// `registries.TLSConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// `ca_file`
    pub ca_file: String,
    /// `cert_file`
    pub cert_file: String,
    /// `key_file`
    pub key_file: String,
    /// `insecure_skip_verify`
    pub insecure_skip_verify: bool,
}

impl TlsConfig {
    /// The three file paths with their YAML key names, in the order K3s's template prints them.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [
            ("ca_file", &self.ca_file),
            ("cert_file", &self.cert_file),
            ("key_file", &self.key_file),
        ]
    }
}

/// Where the registries file came from: a path, or standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// `-`: standard input.
    Stdin,
}

impl Source {
    /// The name used in messages: the path as given, or `<stdin>`.
    pub fn display_name(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Stdin => "<stdin>".to_string(),
        }
    }
}

/// A registries file, loaded: the typed value K3s would hold, and where each piece came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// What wharfie's `yaml.Unmarshal` leaves in `registries.Registry`.
    pub registry: Registry,
    /// Positions and decoding notes, for audit and explain.
    pub source_map: SourceMap,
}

/// Decode registries.yaml text with yaml.v2's rules. `name` is used in error messages.
pub fn load_str(text: &[u8], name: &str) -> Result<Loaded, LoadError> {
    crate::yaml::decode_registry(text, name)
}

/// [`load_str`] without the [`SourceMap`] (left empty): the same registry and the same errors, in
/// a fraction of the memory. For `render`, which needs no positions.
pub fn load_str_without_positions(text: &[u8], name: &str) -> Result<Loaded, LoadError> {
    crate::yaml::decode_registry_with(text, name, false)
}
