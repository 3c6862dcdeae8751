//! The registries.yaml schema, as rancher/wharfie's `pkg/registries/types.go` declares it, and
//! `load`, which reads a file the way K3s does (`registries.GetPrivateRegistries`: Go's yaml.v2,
//! non-strict).
//!
//! The types keep wharfie's names. Where Go has a pointer (`*AuthConfig`, `*TLSConfig`) we have an
//! `Option`: `tls: {}` is not the same as no `tls` (the hosts.toml template tests the pointer).
//! Go's strings are [`GoString`]s (bytes: a `!!binary` value need not be UTF-8), and Go's maps
//! become `BTreeMap`s: Go's template `range` visits keys in sorted byte order, and
//! `BTreeMap<GoString, _>` orders keys the same way.
//!
//! yaml.v2 reads these types through reflection; here each type says what reflection would see,
//! through the [`yaml`] schema traits ([`yaml::Struct`] and friends). That is the whole link
//! between the schema and the decoder, which knows no schema.
//!
//! Besides the typed value, `load` returns a [`SourceMap`]: where every key and value stood in the
//! file, and what yaml.v2 did to it (ignored an unknown key, let a duplicate win, read `yes` as a
//! boolean ...). `translate` never looks at it; `audit` and `explain` use it to point at lines.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::containerd::cri::add_auth_secrets;
use crate::go::string::GoString;
use crate::secret::Secrets;
use crate::yaml::{self, Elem, GoType, Out};
pub use crate::yaml::{LoadError, SourceMap};

/// `registries.Registry`: mirrors, configs and the deprecated `auths`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Registry {
    /// `mirrors`: registry name (as written, `*` included) -> mirror settings.
    pub mirrors: BTreeMap<GoString, Mirror>,
    /// `configs`: registry or endpoint host -> auth and TLS settings.
    pub configs: BTreeMap<GoString, RegistryConfig>,
    /// `auths`: parsed (and so able to fail a load) but never used by K3s.
    pub auths: BTreeMap<GoString, AuthConfig>,
}

impl Registry {
    /// The secrets of a registries file: every password, `auth` string (and the password it
    /// decodes to) and identity token of `configs` and `auths`, and the user information of
    /// every mirror name, endpoint and `configs` key.
    pub(crate) fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        for (name, m) in &self.mirrors {
            s.add_userinfo(&name.to_display());
            for e in &m.endpoints {
                s.add_userinfo(&e.to_display());
            }
        }
        let auths = self
            .configs
            .iter()
            .filter_map(|(k, c)| Some((k, c.auth.as_ref()?)));
        for (key, a) in auths.chain(self.auths.iter()) {
            s.add_userinfo(&key.to_display());
            add_auth_secrets(&mut s, &a.password, &a.auth, &a.identity_token);
        }
        for key in self.configs.keys() {
            s.add_userinfo(&key.to_display());
        }
        s
    }
}

/// `registries.Mirror`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mirror {
    /// `endpoint` (singular in YAML): the endpoints, in the order containerd tries them.
    pub endpoints: Vec<GoString>,
    /// `rewrite`: regular expression -> replacement, applied to the repository.
    pub rewrites: BTreeMap<GoString, GoString>,
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
    pub username: GoString,
    /// `password`
    pub password: GoString,
    /// `auth`: base64 of `username:password`.
    pub auth: GoString,
    /// `identity_token` in YAML, rendered as `identitytoken`.
    pub identity_token: GoString,
}

/// `registries.TLSConfig`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// `ca_file`
    pub ca_file: GoString,
    /// `cert_file`
    pub cert_file: GoString,
    /// `key_file`
    pub key_file: GoString,
    /// `insecure_skip_verify`
    pub insecure_skip_verify: bool,
}

impl TlsConfig {
    /// The three file paths with their YAML key names, in the order K3s's template prints them.
    pub fn files(&self) -> [(&'static str, &GoString); 3] {
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

/// Decode registries.yaml text with yaml.v2's rules, as wharfie's `GetPrivateRegistries` does
/// (`yaml.Unmarshal(bytes, &registries.Registry{})`). `name` is used in error messages.
pub fn load_str(text: &[u8], name: &str) -> Result<Loaded, LoadError> {
    load(text, name, true)
}

/// [`load_str`] without the [`SourceMap`] (left empty): the same registry and the same errors, in
/// a fraction of the memory. For `render`, which needs no positions.
pub fn load_str_without_positions(text: &[u8], name: &str) -> Result<Loaded, LoadError> {
    load(text, name, false)
}

fn load(text: &[u8], name: &str, positions: bool) -> Result<Loaded, LoadError> {
    let mut registry = Registry::default();
    let source_map = yaml::unmarshal(text, name, &mut registry, positions)?;
    Ok(Loaded {
        registry,
        source_map,
    })
}

// What yaml.v2's reflection sees of each type: Go type names (for `cannot unmarshal ... into
// T`), the yaml tags of the fields, and the fields themselves.

impl yaml::Struct for Registry {
    fn type_name(&self) -> &'static str {
        Self::NAME
    }
    fn fields(&self) -> &'static [&'static str] {
        &["mirrors", "configs", "auths"]
    }
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>> {
        Some(match name {
            b"mirrors" => Out::Map(&mut self.mirrors),
            b"configs" => Out::Map(&mut self.configs),
            b"auths" => Out::Map(&mut self.auths),
            _ => return None,
        })
    }
    fn set_zero(&mut self) {
        *self = Self::default();
    }
}

impl GoType for Registry {
    const NAME: &'static str = "registries.Registry";
}

impl yaml::Struct for Mirror {
    fn type_name(&self) -> &'static str {
        Self::NAME
    }
    fn fields(&self) -> &'static [&'static str] {
        &["endpoint", "rewrite"]
    }
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>> {
        Some(match name {
            b"endpoint" => Out::StrSeq(&mut self.endpoints),
            b"rewrite" => Out::Map(&mut self.rewrites),
            _ => return None,
        })
    }
    fn set_zero(&mut self) {
        *self = Self::default();
    }
}

impl GoType for Mirror {
    const NAME: &'static str = "registries.Mirror";
}

impl Elem for Mirror {
    fn out(&mut self) -> Out<'_> {
        Out::Struct(self)
    }
}

impl yaml::Struct for RegistryConfig {
    fn type_name(&self) -> &'static str {
        Self::NAME
    }
    fn fields(&self) -> &'static [&'static str] {
        &["auth", "tls"]
    }
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>> {
        Some(match name {
            b"auth" => Out::Ptr(&mut self.auth),
            b"tls" => Out::Ptr(&mut self.tls),
            _ => return None,
        })
    }
    fn set_zero(&mut self) {
        *self = Self::default();
    }
}

impl GoType for RegistryConfig {
    const NAME: &'static str = "registries.RegistryConfig";
}

impl Elem for RegistryConfig {
    fn out(&mut self) -> Out<'_> {
        Out::Struct(self)
    }
}

impl yaml::Struct for AuthConfig {
    fn type_name(&self) -> &'static str {
        Self::NAME
    }
    fn fields(&self) -> &'static [&'static str] {
        &["username", "password", "auth", "identity_token"]
    }
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>> {
        Some(match name {
            b"username" => Out::Str(&mut self.username),
            b"password" => Out::Str(&mut self.password),
            b"auth" => Out::Str(&mut self.auth),
            b"identity_token" => Out::Str(&mut self.identity_token),
            _ => return None,
        })
    }
    fn set_zero(&mut self) {
        *self = Self::default();
    }
}

impl GoType for AuthConfig {
    const NAME: &'static str = "registries.AuthConfig";
}

impl Elem for AuthConfig {
    fn out(&mut self) -> Out<'_> {
        Out::Struct(self)
    }
}

impl yaml::Struct for TlsConfig {
    fn type_name(&self) -> &'static str {
        Self::NAME
    }
    fn fields(&self) -> &'static [&'static str] {
        &["ca_file", "cert_file", "key_file", "insecure_skip_verify"]
    }
    fn field(&mut self, name: &[u8]) -> Option<Out<'_>> {
        Some(match name {
            b"ca_file" => Out::Str(&mut self.ca_file),
            b"cert_file" => Out::Str(&mut self.cert_file),
            b"key_file" => Out::Str(&mut self.key_file),
            b"insecure_skip_verify" => Out::Bool(&mut self.insecure_skip_verify),
            _ => return None,
        })
    }
    fn set_zero(&mut self) {
        *self = Self::default();
    }
}

impl GoType for TlsConfig {
    const NAME: &'static str = "registries.TLSConfig";
}

#[cfg(test)]
mod tests;
