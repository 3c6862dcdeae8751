//! config.toml as containerd's CRI plugin reads it for pulls: the registry table (`config_path`,
//! `configs."<host>".auth`), the credential lookup by request host, and `ParseAuth`
//! (containerd `internal/cri/server/images/image_pull.go`, containerd 2.1/2.2).
//!
//! Pure: bytes in, data out. Secrets stay [`Secret`]s.

use std::collections::BTreeMap;

use toml_edit::Item;

use super::gotoml::{self, DecodeError};
use super::hosts_toml::{decode_error, decode_string, field};
use crate::secret::Secret;

/// A `registry.configs."<host>".auth` table of config.toml (`criconfig.AuthConfig`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AuthConfig {
    /// `username`
    pub(crate) username: String,
    /// `password`
    pub(crate) password: Secret,
    /// `auth`: base64 of `user:password`.
    pub(crate) auth: Secret,
    /// `identitytoken`
    pub(crate) identitytoken: Secret,
}

/// Which field of an [`AuthConfig`] `ParseAuth` used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthKind {
    /// `username` (with `password`).
    UsernamePassword,
    /// `identitytoken` (no username): sent as an OAuth2 refresh token.
    IdentityToken,
    /// `auth`, decoded.
    Auth,
    /// All empty: anonymous.
    Anonymous,
}

impl AuthKind {
    /// The stable name (explain's JSON).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthKind::UsernamePassword => "username-password",
            AuthKind::IdentityToken => "identity-token",
            AuthKind::Auth => "auth",
            AuthKind::Anonymous => "anonymous",
        }
    }
}

/// What `ParseAuth` makes of an [`AuthConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The user name sent (empty for an identity token).
    pub(crate) username: String,
    /// The password, token or decoded secret.
    pub(crate) secret: Secret,
    /// Which field it came from.
    pub(crate) kind: AuthKind,
}

/// Why `ParseAuth` refuses an `auth` value: the request that asked for credentials fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AuthError {
    /// Not standard, padded base64.
    #[error("illegal base64 data at input byte {0}")]
    Base64(usize),
    /// No `:` between user and password. (containerd quotes the decoded value, a secret; we say
    /// what is wrong with it instead.)
    #[error("invalid decoded auth: the {0} decoded bytes hold no ':' between user and password")]
    NoColon(usize),
}

/// CRI's `ParseAuth` (no `ServerAddress` in config.toml auths): username/password, else the
/// identity token, else `auth` decoded as base64 `user:password`, else anonymous.
pub(crate) fn parse_auth(a: &AuthConfig) -> Result<Credentials, AuthError> {
    if !a.username.is_empty() {
        return Ok(Credentials {
            username: a.username.clone(),
            secret: a.password.clone(),
            kind: AuthKind::UsernamePassword,
        });
    }
    if !a.identitytoken.is_empty() {
        return Ok(Credentials {
            username: String::new(),
            secret: a.identitytoken.clone(),
            kind: AuthKind::IdentityToken,
        });
    }
    if !a.auth.is_empty() {
        let raw = a.auth.reveal().as_bytes();
        // ParseAuth decodes into a buffer of DecodedLen bytes and uses all of it, so the bytes
        // past the decoded length are NULs (trimmed from the password below).
        let mut decoded = crate::go::base64::decode_string(raw).map_err(AuthError::Base64)?;
        // base64.StdEncoding.DecodedLen(len(auth)) for the padded encoding.
        decoded.resize(decoded.len().max(raw.len() / 4 * 3), 0);
        let Some(colon) = decoded.iter().position(|&c| c == b':') else {
            return Err(AuthError::NoColon(decoded.len()));
        };
        // Decoded bytes that are not UTF-8 are shown with `\xNN` escapes.
        let user = crate::go::string::display(&decoded[..colon]).into_owned();
        let pass = &decoded[colon + 1..];
        let start = pass.iter().position(|&c| c != 0).unwrap_or(pass.len());
        let end = pass.iter().rposition(|&c| c != 0).map_or(start, |e| e + 1);
        return Ok(Credentials {
            username: user,
            secret: Secret::new(crate::go::string::display(&pass[start..end]).into_owned()),
            kind: AuthKind::Auth,
        });
    }
    Ok(Credentials {
        username: String::new(),
        secret: Secret::default(),
        kind: AuthKind::Anonymous,
    })
}

/// The CRI registry settings of a config.toml: where hosts directories are, and the credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CriRegistry {
    /// The file's `version` (1 when absent).
    pub(crate) version: i64,
    /// The registry table's dotted path, for messages.
    pub(crate) section: String,
    /// `config_path`, if set.
    pub(crate) config_path: Option<String>,
    /// `configs."<host>".auth`, by key as written.
    pub(crate) auths: BTreeMap<String, AuthConfig>,
    /// `mirrors."<name>"` keys (the deprecated CRI mirror table; with `config_path` set,
    /// containerd's CRI image service refuses to start).
    pub(crate) mirrors: Vec<String>,
    /// Where each `configs."<host>".auth` came from, when the configuration is several files
    /// merged (config.toml and its imports): the file that set it last.
    pub(crate) auth_origin: BTreeMap<String, String>,
    /// Where `config_path` came from, when several files were merged.
    pub(crate) config_path_origin: Option<String>,
}

/// What the CRI plugin sends a request host after a 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialLookup {
    /// No `configs` entry for the host: anonymous.
    NoEntry,
    /// An entry with nothing in it: anonymous.
    Empty,
    /// These credentials.
    Found(Credentials),
    /// An `auth` `ParseAuth` refuses: requests to the host fail once it asks for credentials.
    Unusable(AuthError),
}

/// A password, an `auth` string (and the password it decodes to, as [`parse_auth`] reads it)
/// and an identity token, added to `s`.
pub(crate) fn add_auth_secrets(
    s: &mut crate::secret::Secrets,
    password: impl AsRef<[u8]>,
    auth: impl AsRef<[u8]>,
    identity_token: impl AsRef<[u8]>,
) {
    s.add(password);
    s.add(&auth);
    s.add(identity_token);
    let decoded = parse_auth(&AuthConfig {
        auth: crate::secret::Secret::new(crate::go::string::display(auth.as_ref())),
        ..Default::default()
    });
    if let Ok(c) = decoded {
        s.add(c.secret.reveal());
    }
}

impl CriRegistry {
    /// The secrets of the file's `auth` tables (and the user information of their keys).
    pub(crate) fn secrets(&self) -> crate::secret::Secrets {
        let mut s = crate::secret::Secrets::default();
        for (key, a) in &self.auths {
            s.add_userinfo(key);
            add_auth_secrets(
                &mut s,
                a.password.reveal(),
                a.auth.reveal(),
                a.identitytoken.reveal(),
            );
        }
        s
    }

    /// The credentials for a request host: `registry.configs[host]`, an exact lookup by the
    /// URL's `host[:port]` (so never by `docker.io`, `*` or a URL).
    pub(crate) fn credentials_for(&self, host: &str) -> CredentialLookup {
        let Some(a) = self.auths.get(host) else {
            return CredentialLookup::NoEntry;
        };
        match parse_auth(a) {
            Ok(c) if c.kind == AuthKind::Anonymous => CredentialLookup::Empty,
            Ok(c) => CredentialLookup::Found(c),
            Err(e) => CredentialLookup::Unusable(e),
        }
    }
}

/// The secrets of a config.toml: its credentials when containerd can read them, and the user
/// information of every URL-like text in it either way.
pub(crate) fn config_secrets(
    bytes: &[u8],
    parsed: &Result<CriRegistry, DecodeError>,
) -> crate::secret::Secrets {
    let mut s = match parsed {
        Ok(reg) => reg.secrets(),
        Err(_) => crate::secret::Secrets::default(),
    };
    for chunk in bytes.utf8_chunks() {
        s.add_userinfo(chunk.valid());
    }
    s
}

/// The CRI registry table of a config.toml: `plugins.'io.containerd.cri.v1.images'.registry` in
/// version 3, `plugins."io.containerd.grpc.v1.cri".registry` in version 2 (containerd 2.x migrates
/// it), `plugins.cri.registry` in version 1. An error means containerd cannot load the file.
pub(crate) fn parse_config_toml(bytes: &[u8]) -> Result<CriRegistry, DecodeError> {
    let doc = gotoml::parse(bytes)?;
    let root = doc.as_table();
    let version = config_version(root)?;
    registry_in(root.get("plugins"), version)
}

/// A config.toml's `version` (1 when absent); containerd 2.x knows 1 to 3.
pub(crate) fn config_version(root: &toml_edit::Table) -> Result<i64, DecodeError> {
    let version = match root.get("version") {
        None => 1,
        Some(v) => v
            .as_integer()
            .ok_or_else(|| decode_error(v, "version", "int"))?,
    };
    if !(1..=3).contains(&version) {
        return Err(DecodeError {
            message: format!("unsupported config version `{version}`"),
            offset: root.get("version").and_then(|i| i.span()).map(|s| s.start),
        });
    }
    Ok(version)
}

/// The CRI plugin that holds the registry table in a config of `version`.
pub(crate) fn registry_plugin(version: i64) -> &'static str {
    match version {
        3 => IMAGES_PLUGIN,
        2 => GRPC_CRI_PLUGIN,
        _ => "cri",
    }
}

/// containerd 2's CRI image service plugin (config version 3).
pub(crate) const IMAGES_PLUGIN: &str = "io.containerd.cri.v1.images";
/// The CRI plugin of config version 2 (containerd 1.x; containerd 2 migrates its settings).
pub(crate) const GRPC_CRI_PLUGIN: &str = "io.containerd.grpc.v1.cri";

/// The registry settings under `plugins` (a config of `version`).
pub(crate) fn registry_in(
    plugins: Option<&Item>,
    version: i64,
) -> Result<CriRegistry, DecodeError> {
    let plugin = registry_plugin(version);
    let quote_key = if version == 3 { '\'' } else { '"' };
    let mut reg = CriRegistry {
        version,
        section: format!("plugins.{quote_key}{plugin}{quote_key}.registry"),
        ..CriRegistry::default()
    };
    let Some(registry) = plugins
        .and_then(Item::as_table_like)
        .and_then(|p| p.get(plugin))
        .and_then(Item::as_table_like)
        .and_then(|c| {
            c.iter()
                .find(|(k, _)| field(k, &["registry"]).is_some())
                .map(|(_, v)| v)
        })
    else {
        return Ok(reg);
    };
    let registry = registry
        .as_table_like()
        .ok_or_else(|| decode_error(registry, "registry", "Registry"))?;
    for (key, item) in registry.iter() {
        match field(key, &["config_path", "configs", "mirrors"]) {
            Some("config_path") => reg.config_path = Some(decode_string(item, "config_path")?),
            Some("mirrors") => {
                if let Some(m) = item.as_table_like() {
                    reg.mirrors.extend(m.iter().map(|(k, _)| k.to_string()));
                }
            }
            Some("configs") => {
                let configs = item
                    .as_table_like()
                    .ok_or_else(|| decode_error(item, "configs", "map[string]RegistryConfig"))?;
                for (host, c) in configs.iter() {
                    let c = c
                        .as_table_like()
                        .ok_or_else(|| decode_error(c, host, "RegistryConfig"))?;
                    for (ck, auth) in c.iter() {
                        if field(ck, &["auth"]).is_none() {
                            continue;
                        }
                        let t = auth
                            .as_table_like()
                            .ok_or_else(|| decode_error(auth, "auth", "AuthConfig"))?;
                        let a = reg.auths.entry(host.to_string()).or_default();
                        for (fk, fv) in t.iter() {
                            match field(fk, &["username", "password", "auth", "identitytoken"]) {
                                Some("username") => a.username = decode_string(fv, fk)?,
                                Some("password") => {
                                    a.password = Secret::new(decode_string(fv, fk)?)
                                }
                                Some("auth") => a.auth = Secret::new(decode_string(fv, fk)?),
                                Some("identitytoken") => {
                                    a.identitytoken = Secret::new(decode_string(fv, fk)?)
                                }
                                _ => {}
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    Ok(reg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_toml_credentials() {
        let v3 = "version = 3\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = \"/c\"\n[plugins.'io.containerd.cri.v1.images'.registry.configs.'r.example.com:5000'.auth]\n  username = \"u\"\n  password = \"p\"\n";
        let r = parse_config_toml(v3.as_bytes()).expect("valid");
        assert_eq!(r.config_path.as_deref(), Some("/c"));
        assert_eq!(r.auths["r.example.com:5000"].username, "u");
        let v2 = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".registry.configs.\"docker.io\".auth]\n  auth = \"dTpwOng=\"\n";
        let r = parse_config_toml(v2.as_bytes()).expect("valid");
        let c = parse_auth(&r.auths["docker.io"]).expect("decodes");
        assert_eq!(
            (c.username.as_str(), c.secret.reveal(), c.kind),
            ("u", "p:x", AuthKind::Auth)
        );
        assert!(parse_config_toml(b"[plugins.'a\n").is_err());
        assert!(parse_config_toml(b"version = 3\n[plugins.'io.containerd.cri.v1.images'.registry.configs.'x'.auth]\nusername = \"\\x01\"\n").is_err());
        let e = parse_config_toml(b"version = 5\n").expect_err("version");
        assert_eq!(e.message, "unsupported config version `5`");
        assert_eq!(e.offset, Some(10));
    }

    #[test]
    fn parse_auth_like_cri() {
        let a = |u: &str, p: &str, auth: &str, t: &str| AuthConfig {
            username: u.into(),
            password: Secret::new(p),
            auth: Secret::new(auth),
            identitytoken: Secret::new(t),
        };
        assert_eq!(
            parse_auth(&a("u", "", "x", "t")).map(|c| c.kind),
            Ok(AuthKind::UsernamePassword)
        );
        assert_eq!(
            parse_auth(&a("", "p", "", "t")).map(|c| c.kind),
            Ok(AuthKind::IdentityToken)
        );
        assert_eq!(
            parse_auth(&a("", "p", "", "")).map(|c| c.kind),
            Ok(AuthKind::Anonymous)
        );
        // Go's base64: padding required, \r\n skipped, errors at Go's offsets.
        let secret = |r: Result<Credentials, AuthError>| r.map(|c| c.secret.reveal().to_string());
        assert_eq!(
            secret(parse_auth(&a("", "", "dTpw", ""))),
            Ok("p".to_string())
        );
        assert_eq!(
            secret(parse_auth(&a("", "", "dTp\nw", ""))),
            Ok("p".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dTpwx", "")),
            Err(AuthError::Base64(4))
        );
        assert_eq!(
            parse_auth(&a("", "", "dckr_pat", "")).map_err(|e| e.to_string()),
            Err("illegal base64 data at input byte 4".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dXNlcg==", "")).map_err(|e| e.to_string()),
            Err(
                "invalid decoded auth: the 6 decoded bytes hold no ':' between user and password"
                    .to_string()
            )
        );
    }

    #[test]
    fn lookup_is_exact() {
        let mut r = CriRegistry::default();
        r.auths.insert(
            "docker.io".into(),
            AuthConfig {
                username: "u".into(),
                ..AuthConfig::default()
            },
        );
        r.auths
            .insert("e.example.com".into(), AuthConfig::default());
        assert_eq!(
            r.credentials_for("registry-1.docker.io"),
            CredentialLookup::NoEntry
        );
        assert!(matches!(
            r.credentials_for("docker.io"),
            CredentialLookup::Found(_)
        ));
        assert_eq!(r.credentials_for("e.example.com"), CredentialLookup::Empty);
    }
}
