//! hosts.toml as containerd decodes it: `parseHostsFile`, `getSortedHosts`,
//! `getTopLevelKeyValues`, `parseHostConfig`, `makeStringSlice` and `makeAbsPath` of
//! containerd's `core/remotes/docker/config/hosts.go` (containerd 2.1/2.2; the K3s fork at
//! vitorsavian/containerd tag v2.0.4-k3s3 for [`Flavor::K3sFork`]'s `rewrite` tables and its
//! `server` rule), over go-toml's syntax ([`super::gotoml`]) and go-toml's decoding into the
//! `hostFileConfig` struct (field names matched exactly, then case-insensitively; unknown keys
//! ignored; a value of the wrong type fails the whole file).
//!
//! Pure: bytes in, hosts out. Any error makes containerd ignore the whole file.

use std::collections::BTreeMap;
use std::fmt;

use toml_edit::{Item, TableLike};

use super::builds::RootWithoutServer;
use super::gotoml::{self, DecodeError};
use super::Flavor;
use crate::go::{filepath, url};

/// `docker.HostCapabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Capabilities(u8);

impl Capabilities {
    /// `HostCapabilityPull`
    pub(crate) const PULL: Capabilities = Capabilities(1);
    /// `HostCapabilityResolve`
    pub(crate) const RESOLVE: Capabilities = Capabilities(2);
    /// `HostCapabilityPush`
    pub(crate) const PUSH: Capabilities = Capabilities(4);
    /// `HostCapabilityReferrers` (containerd 2.2; K3s 1.34 patch releases from v1.34.x with
    /// containerd 2.2 accept it in hosts.toml).
    pub(crate) const REFERRERS: Capabilities = Capabilities(8);
    /// What a host without a `capabilities` key gets.
    pub(crate) const ALL: Capabilities = Capabilities(15);
    /// What `ConfigureHosts` gives the default endpoint it fills in (pull, resolve, push; 2.2 also
    /// sets referrers, which a pull never uses).
    pub(crate) const DEFAULT_ENDPOINT: Capabilities = Capabilities(7);

    /// `Has`: every capability of `other` is present.
    pub(crate) fn has(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names, in containerd's bit order.
    pub(crate) fn names(self) -> Vec<&'static str> {
        [
            (Self::PULL, "pull"),
            (Self::RESOLVE, "resolve"),
            (Self::PUSH, "push"),
            (Self::REFERRERS, "referrers"),
        ]
        .into_iter()
        .filter(|(c, _)| self.has(*c))
        .map(|(_, n)| n)
        .collect()
    }
}

impl std::ops::BitOr for Capabilities {
    type Output = Capabilities;
    fn bitor(self, rhs: Capabilities) -> Capabilities {
        Capabilities(self.0 | rhs.0)
    }
}

/// Where a host entry came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostOrigin {
    /// A `[host."<key>"]` table.
    Table {
        /// The table key, as written.
        key: String,
    },
    /// The file's root: `server` (and the root `ca`, `client`, `skip_verify` ...).
    Root {
        /// The `server` value, when the key is present.
        server: Option<String>,
    },
    /// `loadCertFiles`: the directory's `*.crt`, `*.cert`, `*.key` files, no hosts.toml.
    CertFiles,
    /// No host directory: containerd's own default host.
    NoDirectory,
}

/// containerd's `hostConfig`: one host as parsed from a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostConfig {
    /// `http` or `https` (whatever the URL said); empty until filled in.
    pub(crate) scheme: String,
    /// `host[:port]` as written in the URL; empty for the root entry without `server`.
    pub(crate) host: String,
    /// The API root: the URL path, `path.Clean`ed, with `/v2` appended unless `override_path`.
    pub(crate) path: String,
    /// `capabilities`.
    pub(crate) capabilities: Capabilities,
    /// `ca`, made absolute against the host directory; `Some(vec![])` is explicit TLS with the
    /// system roots only.
    pub(crate) ca_certs: Option<Vec<String>>,
    /// `client` pairs (certificate, key; an empty key means "the key is in the certificate
    /// file"), made absolute; `None` when none.
    pub(crate) client_pairs: Option<Vec<[String; 2]>>,
    /// `skip_verify`; present (even `false`) makes TLS explicit.
    pub(crate) skip_verify: Option<bool>,
    /// `dial_timeout`, as written.
    pub(crate) dial_timeout: Option<String>,
    /// `header`, keys as written.
    pub(crate) header: Vec<(String, Vec<String>)>,
    /// `rewrite` (K3s fork only): pattern -> replacement, in file order. containerd ranges over
    /// a Go map, so the order it tries them in is random.
    pub(crate) rewrites: Vec<(String, String)>,
    /// `override_path`.
    pub(crate) override_path: bool,
    /// Where it came from.
    pub(crate) origin: HostOrigin,
}

impl HostConfig {
    pub(super) fn empty(origin: HostOrigin) -> Self {
        HostConfig {
            scheme: String::new(),
            host: String::new(),
            path: String::new(),
            capabilities: Capabilities::default(),
            ca_certs: None,
            client_pairs: None,
            skip_verify: None,
            dial_timeout: None,
            header: Vec::new(),
            rewrites: Vec::new(),
            override_path: false,
            origin,
        }
    }
}

/// A parsed hosts.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedHosts {
    /// The hosts in order: `[host]` tables in file order, then the root entry if it applies.
    pub(crate) hosts: Vec<HostConfig>,
    /// A top-level `server` key was present (what the fork tests).
    pub(crate) has_server_key: bool,
    /// There was at least one `[host."…"]` table.
    pub(crate) has_host_entries: bool,
}

/// `parseHostsFile`: hosts.toml as containerd decodes it. `base_dir` is the directory relative
/// `ca`/`client` paths are resolved against. Any error makes containerd ignore the whole file.
pub(crate) fn parse_hosts_file(
    base_dir: &str,
    bytes: &[u8],
    flavor: Flavor,
) -> Result<ParsedHosts, DecodeError> {
    let doc = gotoml::parse(bytes)?;
    let root = doc.as_table();
    // containerd 1.6's getSortedHosts: `root.Get("host").(*toml.Tree)`, an error when the file has
    // no `host` table (go-toml v1 gives inline tables the same type).
    if flavor.build().host_table_required && !root.get("host").is_some_and(Item::is_table_like) {
        return Err(DecodeError::msg("invalid `host` tree"));
    }
    let ordered = sorted_hosts(root);

    // toml.Unmarshal into struct { hostFileConfig; Server string; HostConfigs map[..] }.
    let mut server = String::new();
    let mut host_configs: BTreeMap<String, FileConfig> = BTreeMap::new();
    let mut root_config = FileConfig::default();
    for (key, item) in root.iter() {
        match field(key, FILE_FIELDS).or_else(|| field(key, ROOT_ONLY_FIELDS)) {
            Some("server") => server = decode_string(item, "server")?,
            Some("host") => {
                let table = item
                    .as_table_like()
                    .ok_or_else(|| decode_error(item, "host", "map[string]hostFileConfig"))?;
                for (hkey, hitem) in table.iter() {
                    let t = hitem
                        .as_table_like()
                        .ok_or_else(|| decode_error(hitem, hkey, "hostFileConfig"))?;
                    // A repeated table merges into the same Go map entry.
                    decode_file_config(
                        t,
                        host_configs.entry(hkey.to_string()).or_default(),
                        flavor,
                    )?;
                }
            }
            Some(f) => decode_field(f, item, &mut root_config, flavor)?,
            None => {}
        }
    }

    let mut hosts = Vec::new();
    for key in &ordered {
        let config = host_configs.get(key).cloned().unwrap_or_default();
        let mut h = parse_host_config(key, base_dir, &config)?;
        h.origin = HostOrigin::Table { key: key.clone() };
        hosts.push(h);
    }
    // getTopLevelKeyValues: the key/value pairs before the first table, by exact key.
    let has_server_key = root
        .get("server")
        .is_some_and(|i| !i.is_table() && !i.is_array_of_tables());
    let has_host_entries = !hosts.is_empty();
    let append_root = match flavor.build().root_without_server {
        // Parse root host config and append it as the last element.
        RootWithoutServer::Appended => true,
        // K3s's fork: only if the server key is set at the root of the tree, or no other hosts
        // are configured (so that leaving out `server` disables the fallback upstream).
        RootWithoutServer::DroppedWithHosts => has_server_key || hosts.is_empty(),
    };
    if append_root {
        let mut h = parse_host_config(&server, base_dir, &root_config)?;
        h.origin = HostOrigin::Root {
            server: has_server_key.then(|| server.clone()),
        };
        hosts.push(h);
    }
    Ok(ParsedHosts {
        hosts,
        has_server_key,
        has_host_entries,
    })
}

/// The `hostFileConfig` fields as go-toml decodes them, before `parseHostConfig` checks them.
#[derive(Debug, Clone, Default)]
struct FileConfig {
    capabilities: Vec<String>,
    ca: Option<GoAny>,
    client: Option<GoAny>,
    skip_verify: Option<bool>,
    header: Option<Vec<(String, GoAny)>>,
    override_path: bool,
    dial_timeout: String,
    rewrites: Option<Vec<(String, String)>>,
}

/// A TOML value decoded into a Go `any`.
#[derive(Debug, Clone)]
enum GoAny {
    String(String),
    Array(Vec<GoAny>),
    Other(String),
}

impl fmt::Display for GoAny {
    /// Roughly what `%v` prints, for error messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GoAny::String(s) => f.write_str(s),
            GoAny::Array(a) => {
                f.write_str("[")?;
                for (i, v) in a.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            GoAny::Other(s) => f.write_str(s),
        }
    }
}

const FILE_FIELDS: &[&str] = &[
    "capabilities",
    "ca",
    "client",
    "skip_verify",
    "header",
    "override_path",
    "dial_timeout",
    "rewrite",
];
/// The root's own fields, besides the `hostFileConfig` ones it embeds.
const ROOT_ONLY_FIELDS: &[&str] = &["server", "host"];

/// go-toml's `structFieldPath`: a key names a field exactly, or case-insensitively.
pub(super) fn field(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    fields
        .iter()
        .copied()
        .find(|f| *f == key)
        .or_else(|| fields.iter().copied().find(|f| *f == key.to_lowercase()))
}

fn decode_file_config(
    t: &dyn TableLike,
    c: &mut FileConfig,
    flavor: Flavor,
) -> Result<(), DecodeError> {
    for (key, item) in t.iter() {
        if let Some(f) = field(key, FILE_FIELDS) {
            decode_field(f, item, c, flavor)?;
        }
    }
    Ok(())
}

fn decode_field(
    f: &str,
    item: &Item,
    c: &mut FileConfig,
    flavor: Flavor,
) -> Result<(), DecodeError> {
    match f {
        "capabilities" => {
            let arr = item
                .as_array()
                .ok_or_else(|| decode_error(item, f, "[]string"))?;
            c.capabilities = arr
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| DecodeError {
                        message: format!(
                            "toml: cannot decode TOML {} into a Go value of type string",
                            v.type_name()
                        ),
                        offset: v.span().map(|s| s.start),
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        "ca" => c.ca = Some(go_any(item)),
        "client" => c.client = Some(go_any(item)),
        "skip_verify" => {
            c.skip_verify = Some(
                item.as_bool()
                    .ok_or_else(|| decode_error(item, f, "bool"))?,
            )
        }
        "header" => {
            let t = item
                .as_table_like()
                .ok_or_else(|| decode_error(item, f, "map[string]interface {}"))?;
            let header = c.header.get_or_insert_with(Vec::new);
            for (k, v) in t.iter() {
                header.retain(|(hk, _)| hk != k);
                header.push((k.to_string(), go_any(v)));
            }
        }
        "override_path" => {
            c.override_path = item
                .as_bool()
                .ok_or_else(|| decode_error(item, f, "bool"))?
        }
        "dial_timeout" => c.dial_timeout = decode_string(item, f)?,
        // Stock containerd has no such field: there the key is ignored like any unknown key.
        "rewrite" if flavor.build().rewrites => {
            let t = item
                .as_table_like()
                .ok_or_else(|| decode_error(item, f, "map[string]string"))?;
            let rw = c.rewrites.get_or_insert_with(Vec::new);
            for (k, v) in t.iter() {
                let s = decode_string(v, k)?;
                rw.retain(|(rk, _)| rk != k);
                rw.push((k.to_string(), s));
            }
        }
        _ => {}
    }
    Ok(())
}

/// A string field.
pub(super) fn decode_string(item: &Item, what: &str) -> Result<String, DecodeError> {
    item.as_str()
        .map(str::to_string)
        .ok_or_else(|| decode_error(item, what, "string"))
}

/// go-toml's type error for a value that does not fit its field.
pub(super) fn decode_error(item: &Item, what: &str, go_type: &str) -> DecodeError {
    DecodeError {
        message: format!(
            "toml: cannot decode TOML {} into {what} ({go_type})",
            item.type_name()
        ),
        offset: item.span().map(|s| s.start),
    }
}

fn go_any(item: &Item) -> GoAny {
    match item {
        Item::Value(v) => go_any_value(v),
        other => GoAny::Other(format!("map[{}]", other.type_name())),
    }
}

fn go_any_value(v: &toml_edit::Value) -> GoAny {
    match v {
        toml_edit::Value::String(s) => GoAny::String(s.value().clone()),
        toml_edit::Value::Array(a) => GoAny::Array(a.iter().map(go_any_value).collect()),
        other => GoAny::Other(other.type_name().to_string()),
    }
}

/// `getSortedHosts`: the second key part of every `[host.<x>…]` table header, in file order,
/// skipping a header that repeats the previous host (sub-tables such as `.rewrite`).
fn sorted_hosts(root: &toml_edit::Table) -> Vec<String> {
    let mut headers: Vec<(isize, Vec<String>)> = Vec::new();
    collect_headers(root, &mut Vec::new(), &mut headers);
    headers.sort_by_key(|(pos, _)| *pos);
    let mut out: Vec<String> = Vec::new();
    let mut prev = String::new();
    for (_, parts) in headers {
        if parts.len() < 2 || parts[0] != "host" || parts[1] == prev {
            continue;
        }
        prev = parts[1].clone();
        out.push(prev.clone());
    }
    out
}

fn collect_headers(
    t: &toml_edit::Table,
    path: &mut Vec<String>,
    out: &mut Vec<(isize, Vec<String>)>,
) {
    for (key, item) in t.iter() {
        if let Item::Table(sub) = item {
            path.push(key.to_string());
            if !sub.is_implicit() && !sub.is_dotted() {
                if let Some(pos) = sub.position() {
                    out.push((pos, path.clone()));
                }
            }
            collect_headers(sub, path, out);
            path.pop();
        }
    }
}

/// `parseHostConfig`: check and convert one entry. `server` is the table key (or the root
/// `server` value).
fn parse_host_config(
    server: &str,
    base_dir: &str,
    config: &FileConfig,
) -> Result<HostConfig, DecodeError> {
    let mut result = HostConfig::empty(HostOrigin::Root { server: None });
    if !server.is_empty() {
        let server = if server.starts_with("http") {
            server.to_string()
        } else {
            format!("https://{server}")
        };
        let u = url::parse(&server)
            .map_err(|e| DecodeError::msg(format!("unable to parse server {server}: {e}")))?;
        // The server comes from TOML, so it is text; only `%XX` escapes give other bytes, which
        // keep a printable spelling here (for explain's messages).
        result.scheme = u.scheme.to_string();
        result.host = u.host.to_string();
        let mut path = u.path.to_string();
        if !path.is_empty() {
            path = filepath::clean(&path);
            if !path.ends_with("/v2") && !config.override_path {
                path.push_str("/v2");
            }
        } else if !config.override_path {
            path = "/v2".to_string();
        }
        result.path = path;
    }
    result.override_path = config.override_path;
    result.skip_verify = config.skip_verify;
    result.rewrites = config.rewrites.clone().unwrap_or_default();

    if config.capabilities.is_empty() {
        result.capabilities = Capabilities::ALL;
    } else {
        for c in &config.capabilities {
            result.capabilities = result.capabilities
                | match c.to_lowercase().as_str() {
                    "pull" => Capabilities::PULL,
                    "resolve" => Capabilities::RESOLVE,
                    "push" => Capabilities::PUSH,
                    "referrers" => Capabilities::REFERRERS,
                    _ => return Err(DecodeError::msg(format!("unknown capability {c}"))),
                };
        }
    }

    let abs = |p: &str| make_abs_path(p, base_dir);
    if let Some(ca) = &config.ca {
        result.ca_certs = Some(match ca {
            GoAny::String(s) => vec![abs(s)],
            GoAny::Array(a) => make_string_slice(a)?.iter().map(|s| abs(s)).collect(),
            other => return Err(DecodeError::msg(format!("invalid type {other} for \"ca\""))),
        });
    }
    if let Some(client) = &config.client {
        let mut pairs: Vec<[String; 2]> = Vec::new();
        match client {
            GoAny::String(s) => pairs.push([abs(s), String::new()]),
            GoAny::Array(a) => {
                // []string or [][2]string
                for p in a {
                    match p {
                        GoAny::String(s) => pairs.push([abs(s), String::new()]),
                        GoAny::Array(pa) => {
                            let slice: Vec<String> =
                                make_string_slice(pa)?.iter().map(|s| abs(s)).collect();
                            let [c, k]: [String; 2] = slice.try_into().map_err(|_| {
                                DecodeError::msg(format!("invalid pair {p} for \"client\""))
                            })?;
                            pairs.push([c, k]);
                        }
                        GoAny::Other(t) => {
                            return Err(DecodeError::msg(format!(
                                "invalid type {t} for \"client\""
                            )))
                        }
                    }
                }
            }
            other => {
                return Err(DecodeError::msg(format!(
                    "invalid type {other} for \"client\""
                )))
            }
        }
        // Go appends to a nil slice: no pairs stays nil (no explicit TLS), except for the string
        // form, which always sets one.
        if !pairs.is_empty() {
            result.client_pairs = Some(pairs);
        }
    }
    if let Some(header) = &config.header {
        for (k, v) in header {
            let values = match v {
                GoAny::String(s) => vec![s.clone()],
                GoAny::Array(a) => make_string_slice(a)?,
                other => {
                    return Err(DecodeError::msg(format!(
                        "invalid type {other} for header {}",
                        q(k)
                    )))
                }
            };
            result.header.push((k.clone(), values));
        }
    }
    if !config.dial_timeout.is_empty() {
        parse_duration(&config.dial_timeout)?;
        result.dial_timeout = Some(config.dial_timeout.clone());
    }
    Ok(result)
}

/// `makeStringSlice`: every element must be a string.
fn make_string_slice(a: &[GoAny]) -> Result<Vec<String>, DecodeError> {
    a.iter()
        .map(|v| match v {
            GoAny::String(s) => Ok(s.clone()),
            other => Err(DecodeError::msg(format!(
                "unable to cast {other} to string"
            ))),
        })
        .collect()
}

/// `makeAbsPath`: absolute paths stay; others are joined to the host directory (so `""` is the
/// directory itself, which then fails to load as a certificate).
pub(crate) fn make_abs_path(p: &str, base: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        filepath::join(&[base, p])
    }
}

/// Go's `time.ParseDuration`, as a check: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`.
fn parse_duration(s: &str) -> Result<(), DecodeError> {
    let err = || DecodeError::msg(format!("time: invalid duration {}", q(s)));
    let mut t = s.strip_prefix(['-', '+']).unwrap_or(s);
    if t == "0" {
        return Ok(());
    }
    if t.is_empty() {
        return Err(err());
    }
    while !t.is_empty() {
        let int_len = t.bytes().take_while(u8::is_ascii_digit).count();
        let mut rest = &t[int_len..];
        let mut frac_len = 0;
        if let Some(r) = rest.strip_prefix('.') {
            frac_len = r.bytes().take_while(u8::is_ascii_digit).count();
            rest = &r[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(err());
        }
        let unit_len = rest
            .bytes()
            .take_while(|c| *c != b'.' && !c.is_ascii_digit())
            .count();
        let unit = &rest[..unit_len];
        if unit.is_empty() {
            return Err(DecodeError::msg(format!(
                "time: missing unit in duration {}",
                q(s)
            )));
        }
        if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(&unit) {
            return Err(DecodeError::msg(format!(
                "time: unknown unit {} in duration {}",
                q(unit),
                q(s)
            )));
        }
        t = &rest[unit_len..];
    }
    Ok(())
}

/// Go's `%q` of a Go string (the bytes it stands for).
fn q(s: &str) -> String {
    crate::go::quote::quote(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const K3S_DOCKER_IO: &str = "# File generated by k3s. DO NOT EDIT.
server = \"https://registry-1.docker.io/v2\"
capabilities = [\"pull\", \"resolve\", \"push\"]

[host]

[host.\"https://127.0.0.1:6443/v2\"]
  capabilities = [\"pull\", \"resolve\"]
  ca = [\"/var/lib/rancher/k3s/agent/server-ca.crt\"]
  client = [[\"/var/lib/rancher/k3s/agent/client-k3s-controller.crt\", \"/var/lib/rancher/k3s/agent/client-k3s-controller.key\"]]

[host.\"https://registry.example.com/v2\"]
  capabilities = [\"pull\", \"resolve\"]
  ca = [\"/etc/rancher/k3s/registry-ca.crt\"]
  [host.\"https://registry.example.com/v2\".rewrite]
    \"^library/(.*)\" = \"mirrored/$1\"
";

    fn parse(text: &str, flavor: Flavor) -> Result<ParsedHosts, DecodeError> {
        parse_hosts_file("/etc/containerd/certs.d/docker.io", text.as_bytes(), flavor)
    }

    #[test]
    fn k3s_file_in_order_with_root_last() {
        let p = parse(K3S_DOCKER_IO, Flavor::K3sFork).expect("valid");
        let urls: Vec<String> = p
            .hosts
            .iter()
            .map(|h| format!("{}://{}{}", h.scheme, h.host, h.path))
            .collect();
        assert_eq!(
            urls,
            [
                "https://127.0.0.1:6443/v2",
                "https://registry.example.com/v2",
                "https://registry-1.docker.io/v2"
            ]
        );
        assert_eq!(p.hosts[0].capabilities.names(), ["pull", "resolve"]);
        assert_eq!(p.hosts[2].capabilities.names(), ["pull", "resolve", "push"]);
        assert_eq!(
            p.hosts[0].client_pairs.as_deref(),
            Some(
                &[[
                    "/var/lib/rancher/k3s/agent/client-k3s-controller.crt".to_string(),
                    "/var/lib/rancher/k3s/agent/client-k3s-controller.key".to_string()
                ]][..]
            )
        );
        assert_eq!(
            p.hosts[1].rewrites,
            [("^library/(.*)".to_string(), "mirrored/$1".to_string())]
        );
        assert!(p.has_server_key);
        // Upstream ignores the rewrite table.
        let up = parse(K3S_DOCKER_IO, Flavor::Upstream).expect("valid");
        assert!(up.hosts[1].rewrites.is_empty());
    }

    #[test]
    fn missing_server_disables_fallback_only_in_the_fork() {
        let text =
            "[host.\"https://m.example.com/v2\"]\n  capabilities = [\"pull\", \"resolve\"]\n";
        assert_eq!(parse(text, Flavor::K3sFork).expect("valid").hosts.len(), 1);
        assert_eq!(parse(text, Flavor::Upstream).expect("valid").hosts.len(), 2);
        // server = "" counts as present (the k3s#11857 fix): the root is appended, host empty.
        let text = "server = \"\"\n[host.\"https://m.example.com/v2\"]\n";
        let p = parse(text, Flavor::K3sFork).expect("valid");
        assert_eq!(p.hosts.len(), 2);
        assert_eq!(p.hosts[1].host, "");
        // No [host] entries: the root is always appended.
        assert_eq!(
            parse("ca = \"/x.crt\"\n", Flavor::K3sFork)
                .expect("valid")
                .hosts
                .len(),
            1
        );
    }

    #[test]
    fn paths_and_override() {
        let text = "[host.\"https://h.example.com/v2/proxy/\"]\n  override_path = true\n[host.\"h2.example.com:5000/a/b/\"]\n[host.\"http://h3\"]\n[host.\"https://h4/x/../v2/\"]\n";
        let p = parse(text, Flavor::K3sFork).expect("valid");
        let got: Vec<(&str, &str, &str)> = p
            .hosts
            .iter()
            .map(|h| (h.scheme.as_str(), h.host.as_str(), h.path.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("https", "h.example.com", "/v2/proxy"),
                ("https", "h2.example.com:5000", "/a/b/v2"),
                ("http", "h3", "/v2"),
                ("https", "h4", "/v2"),
            ]
        );
    }

    #[test]
    fn header_order_and_repeats() {
        // getSortedHosts lists a host again when its sub-table comes after another host.
        let text = "[host.\"https://a\"]\n[host.\"https://b\"]\n[host.\"https://a\".header]\n  x = \"1\"\n";
        let p = parse(text, Flavor::K3sFork).expect("valid");
        let hosts: Vec<&str> = p.hosts.iter().map(|h| h.host.as_str()).collect();
        assert_eq!(hosts, ["a", "b", "a"]);
        // Dotted keys and inline tables define hosts containerd never lists.
        let text = "host = { \"https://a\" = { capabilities = [\"pull\"] } }\n";
        let p = parse(text, Flavor::K3sFork).expect("valid");
        assert_eq!(p.hosts.len(), 1);
        assert!(matches!(p.hosts[0].origin, HostOrigin::Root { .. }));
    }

    #[test]
    fn errors_make_the_file_invalid() {
        for (text, want) in [
            (
                "[host.\"https://a\"]\n  capabilities = [\"pull\", \"fly\"]\n",
                "unknown capability fly",
            ),
            (
                "[host.\"https://a\"]\n  ca = 1\n",
                "invalid type integer for \"ca\"",
            ),
            (
                "[host.\"https://a\"]\n  client = [[\"a\"]]\n",
                "invalid pair [a] for \"client\"",
            ),
            (
                "[host.\"https://a\"]\n  skip_verify = \"true\"\n",
                "toml: cannot decode TOML string into skip_verify (bool)",
            ),
            (
                "[host.\"https://a\"]\n  dial_timeout = \"5\"\n",
                "time: missing unit in duration \"5\"",
            ),
            (
                "[host.\"https://a\".rewrite]\n  \"^x\\.y\" = \"z\"\n",
                "toml:",
            ),
            (
                "[host.\"https://a\".rewrite]\n  \"^x\\x41\" = \"z\"\n",
                "invalid escaped character U+0078 'x'",
            ),
            (
                "server = 1\n",
                "toml: cannot decode TOML integer into server (string)",
            ),
            ("[host.\"https://a\"]\n[host.\"https://a\"]\n", "toml:"),
            (
                "x = { a = 1,\n b = 2 }\n",
                "invalid character at start of key",
            ),
        ] {
            let err = parse(text, Flavor::K3sFork).expect_err(text).to_string();
            assert!(err.contains(want), "{text:?}: {err}");
        }
        // Unknown keys, whatever their type, are ignored; field names match case-insensitively.
        let p = parse(
            "Server = \"https://r\"\nunknown = [1]\n[host.\"https://a\"]\n  CA = \"rel.crt\"\n",
            Flavor::K3sFork,
        )
        .expect("valid");
        assert_eq!(
            p.hosts[0].ca_certs.as_deref(),
            Some(&["/etc/containerd/certs.d/docker.io/rel.crt".to_string()][..])
        );
        // `Server` fills c.Server, but the fork's tree["server"] check is exact: no root entry.
        assert_eq!(p.hosts.len(), 1);
    }

    #[test]
    fn client_pairs_and_empty_paths() {
        let p = parse(
            "client = [[\"\", \"/k.key\"], \"/both.pem\"]\n",
            Flavor::K3sFork,
        )
        .expect("valid");
        assert_eq!(
            p.hosts[0].client_pairs,
            Some(vec![
                [
                    "/etc/containerd/certs.d/docker.io".to_string(),
                    "/k.key".to_string()
                ],
                ["/both.pem".to_string(), String::new()],
            ])
        );
        let p = parse("client = []\nca = []\n", Flavor::K3sFork).expect("valid");
        assert_eq!(p.hosts[0].client_pairs, None);
        assert_eq!(p.hosts[0].ca_certs, Some(vec![]));
    }

    #[test]
    fn durations() {
        for ok in ["0", "5s", "1.5m", "-2h3m", "300ms", ".5s", "1µs"] {
            assert!(parse_duration(ok).is_ok(), "{ok}");
        }
        for bad in ["", "5", "s", "1x", "1..2s", "+"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
