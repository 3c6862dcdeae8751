//! containerd's view of the files K3s writes: which `certs.d` directory it reads for a registry,
//! what it makes of that directory's `hosts.toml` (or certificate files), the list of hosts it
//! then contacts, and the credentials `config.toml` holds for each request host.
//!
//! Ported from containerd's `core/remotes/docker/config/hosts.go` and `config_unix.go`
//! (`ConfigureHosts`, `HostDirFromRoot`, `hostPaths`, `hostDirectory`, `loadHostDir`,
//! `parseHostsFile`, `getSortedHosts`, `parseHostConfig`, `loadCertFiles`, `makeAbsPath`) as
//! shipped in containerd 2.1/2.2, with the two changes K3s's fork of containerd carries
//! ([`Flavor::K3sFork`]): `rewrite` tables are read, and the root (`server`) entry is appended only
//! when the file has a top-level `server` key or no `[host]` table. Credentials follow the CRI
//! plugin (`internal/cri/server/images/image_pull.go`: the `registry.configs` lookup by request
//! host, `ParseAuth`).
//!
//! This module reads files only in [`CertsTree::read`] and [`read_config_toml`]; everything else is
//! pure. It knows nothing about registries.yaml or K3s's rules, and prints nothing.

pub mod image_ref;

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::Path;

use toml_edit::{Item, TableLike};

use crate::go::string::display;
use crate::go::{filepath, net, url};
use crate::k3s::endpoint::{is_localhost, DOCKER_HUB, DOCKER_HUB_HOST};
use crate::k3s::render::HostsFile;

/// The directory containerd falls back to for registries without one of their own.
pub const DEFAULT_DIR: &str = "_default";
/// The file containerd reads in a host directory.
pub const HOSTS_TOML: &str = "hosts.toml";

/// Which containerd reads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// The containerd K3s ships (k3s-io/containerd): reads `rewrite` tables, and a file with
    /// `[host]` entries but no top-level `server` key has no default endpoint.
    #[default]
    K3sFork,
    /// Upstream containerd: ignores `rewrite`, always appends the default endpoint.
    Upstream,
}

/// `docker.HostCapabilities`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities(u8);

impl Capabilities {
    /// `HostCapabilityPull`
    pub const PULL: Capabilities = Capabilities(1);
    /// `HostCapabilityResolve`
    pub const RESOLVE: Capabilities = Capabilities(2);
    /// `HostCapabilityPush`
    pub const PUSH: Capabilities = Capabilities(4);
    /// `HostCapabilityReferrers` (containerd 2.2; K3s 1.34 patch releases from v1.34.x with
    /// containerd 2.2 accept it in hosts.toml).
    pub const REFERRERS: Capabilities = Capabilities(8);
    /// What a host without a `capabilities` key gets.
    pub const ALL: Capabilities = Capabilities(15);
    /// What `ConfigureHosts` gives the default endpoint it fills in (pull, resolve, push; 2.2 also
    /// sets referrers, which a pull never uses).
    pub const DEFAULT_ENDPOINT: Capabilities = Capabilities(7);

    /// `Has`: every capability of `other` is present.
    pub fn has(self, other: Capabilities) -> bool {
        self.0 & other.0 == other.0
    }

    /// The names, in containerd's bit order.
    pub fn names(self) -> Vec<&'static str> {
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
pub enum HostOrigin {
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
pub struct HostConfig {
    /// `http` or `https` (whatever the URL said); empty until filled in.
    pub scheme: String,
    /// `host[:port]` as written in the URL; empty for the root entry without `server`.
    pub host: String,
    /// The API root: the URL path, `path.Clean`ed, with `/v2` appended unless `override_path`.
    pub path: String,
    /// `capabilities`.
    pub capabilities: Capabilities,
    /// `ca`, made absolute against the host directory; `Some(vec![])` is explicit TLS with the
    /// system roots only.
    pub ca_certs: Option<Vec<String>>,
    /// `client` pairs (certificate, key; an empty key means "the key is in the certificate
    /// file"), made absolute; `None` when none.
    pub client_pairs: Option<Vec<[String; 2]>>,
    /// `skip_verify`; present (even `false`) makes TLS explicit.
    pub skip_verify: Option<bool>,
    /// `dial_timeout`, as written.
    pub dial_timeout: Option<String>,
    /// `header`, keys as written.
    pub header: Vec<(String, Vec<String>)>,
    /// `rewrite` (K3s fork only): pattern -> replacement, in file order. containerd ranges over
    /// a Go map, so the order it tries them in is random.
    pub rewrites: Vec<(String, String)>,
    /// `override_path`.
    pub override_path: bool,
    /// Where it came from.
    pub origin: HostOrigin,
}

impl HostConfig {
    fn empty(origin: HostOrigin) -> Self {
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

/// How `ConfigureHosts` filled in a last entry that had no host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultFill {
    /// `docker.io` is served by `https://registry-1.docker.io`.
    DockerHub,
    /// A loopback registry: https on no port or 443, else http; `skip_verify` forced on unless the
    /// port is 80.
    Localhost,
    /// `https://<registry>`.
    Registry,
}

/// containerd's `docker.RegistryHost` for one request host, after `ConfigureHosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryHost {
    /// The host as parsed (scheme is the final one: `https` when the HTTP fallback applies).
    pub config: HostConfig,
    /// Set when `ConfigureHosts` filled this entry in as the registry's default endpoint.
    pub fill: Option<DefaultFill>,
    /// `ca`, `client` or `skip_verify` was given: the host gets its own TLS configuration.
    pub explicit_tls: bool,
    /// The URL said `http` but TLS is configured and the port is not 80: containerd tries HTTPS
    /// first and retries over plain HTTP (`NewHTTPFallback`).
    pub http_fallback: bool,
}

impl RegistryHost {
    /// Whether this is the registry's own endpoint: the root entry or one containerd filled in.
    pub fn is_default(&self) -> bool {
        self.fill.is_some()
            || matches!(
                self.config.origin,
                HostOrigin::Root { .. } | HostOrigin::NoDirectory
            )
    }
}

/// A `certs.d` tree: directory name -> what containerd finds there. Only the entries directly
/// under the root matter: containerd looks up `<root>/<name>` for names without `/`.
#[derive(Debug, Clone, Default)]
pub struct CertsTree {
    /// The root as shown to people (`certs.d`, or the `--hosts-dir` path).
    pub display_root: String,
    /// The root as containerd sees it on the node: relative `ca`/`client` paths are resolved
    /// against `<node_root>/<dir>`.
    pub node_root: String,
    entries: BTreeMap<String, TreeEntry>,
}

/// One entry directly under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TreeEntry {
    /// A directory.
    Dir(HostDir),
    /// Something that exists but is not a directory (`os.Stat` succeeds, so containerd picks it
    /// and then fails to read `<it>/hosts.toml`).
    NotDir,
    /// `os.Stat` failed with an error other than "does not exist": the pull fails.
    Unreadable(String),
}

/// What a host directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostDir {
    /// hosts.toml: `Ok(None)` when absent, `Err` when it cannot be read.
    pub hosts_toml: Result<Option<Vec<u8>>, String>,
    /// The directory's entries, sorted by name as `os.ReadDir` sorts them; `true` for
    /// directories (containerd skips those).
    pub files: Vec<(String, bool)>,
    /// The directory could not be listed: `loadCertFiles` fails with this when it is needed.
    pub list_error: Option<String>,
}

impl Default for HostDir {
    fn default() -> Self {
        HostDir {
            hosts_toml: Ok(None),
            files: Vec::new(),
            list_error: None,
        }
    }
}

/// The result of `HostDirFromRoot` for one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The candidates in containerd's order, up to the one it took, with whether each exists.
    pub candidates: Vec<(String, bool)>,
    /// The directory name containerd reads, if any.
    pub chosen: Option<String>,
    /// `os.Stat` failed: the pull fails with this error.
    pub error: Option<String>,
}

/// Where the host list came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// No directory: containerd's single default host.
    NoDirectory,
    /// The directory's hosts.toml.
    HostsToml,
    /// `loadCertFiles`: default host only, with the directory's certificate files.
    CertFiles(CertFilesReason),
}

/// Why containerd read certificate files instead of hosts.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertFilesReason {
    /// There is no hosts.toml.
    Missing,
    /// hosts.toml is empty.
    Empty,
    /// hosts.toml does not parse (`failed to decode <dir>/hosts.toml`); the error.
    Invalid(String),
}

/// Everything containerd decides for one registry name before the first request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The directory lookup.
    pub lookup: Lookup,
    /// What was read.
    pub source: Source,
    /// Whether the hosts.toml had a top-level `server` key.
    pub has_server_key: bool,
    /// Whether the parsed file had `[host]` entries.
    pub has_host_entries: bool,
    /// The hosts, in the order containerd tries them.
    pub hosts: Vec<RegistryHost>,
    /// containerd fails before any request (unreadable directory or file).
    pub error: Option<String>,
}

impl CertsTree {
    /// The tree K3s leaves on a fresh node for these rendered files: each file goes to
    /// `filepath.Join(certs.d, dir)/hosts.toml`, as `writeContainerdHosts` writes it; a name with
    /// `/` makes its first component a directory without hosts.toml; names that clean to the root
    /// or outside it are never looked up.
    pub fn from_rendered(display_root: &str, node_root: &str, files: &[HostsFile]) -> Self {
        const ROOT: &str = "certs.d";
        let mut entries: BTreeMap<String, TreeEntry> = BTreeMap::new();
        for f in files {
            // A directory name that is not UTF-8 is never looked up (image references are
            // text); it keeps a printable spelling.
            let joined =
                display(&filepath::join_bytes(&[ROOT.as_bytes(), f.dir.as_bytes()])).into_owned();
            let Some(rel) = joined.strip_prefix(&format!("{ROOT}/")) else {
                continue;
            };
            // The first component is what containerd can find; a deeper path only makes it a
            // directory (holding a sub-directory) without hosts.toml of its own.
            let (first, child) = match rel.split_once('/') {
                Some((first, rest)) => (first, rest.split('/').next()),
                None => (rel, None),
            };
            let entry = entries
                .entry(first.to_string())
                .or_insert_with(|| TreeEntry::Dir(HostDir::default()));
            if let TreeEntry::Dir(d) = entry {
                let (name, is_dir) = match child {
                    Some(c) => (c, true),
                    None => {
                        d.hosts_toml = Ok(Some(f.contents.clone()));
                        (HOSTS_TOML, false)
                    }
                };
                if !d.files.iter().any(|(n, _)| n == name) {
                    d.files.push((name.to_string(), is_dir));
                    d.files.sort();
                }
            }
        }
        CertsTree {
            display_root: display_root.to_string(),
            node_root: node_root.to_string(),
            entries,
        }
    }

    /// Read a real `certs.d` directory: every entry directly under it, and for directories their
    /// hosts.toml and file names. Errors name the path.
    pub fn read(dir: &Path) -> Result<Self, io::Error> {
        let with_path =
            |e: io::Error, p: &Path| io::Error::new(e.kind(), format!("{}: {e}", p.display()));
        let mut entries = BTreeMap::new();
        for ent in std::fs::read_dir(dir).map_err(|e| with_path(e, dir))? {
            let ent = ent.map_err(|e| with_path(e, dir))?;
            // A name that is not UTF-8 can never be a registry name from an image reference.
            let Ok(name) = ent.file_name().into_string() else {
                continue;
            };
            let path = ent.path();
            // os.Stat follows symbolic links.
            let entry = match std::fs::metadata(&path) {
                Ok(m) if m.is_dir() => TreeEntry::Dir(read_host_dir(&path)),
                Ok(_) => TreeEntry::NotDir,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => TreeEntry::Unreadable(format!("stat {}: {e}", path.display())),
            };
            entries.insert(name, entry);
        }
        let root = dir.display().to_string();
        Ok(CertsTree {
            display_root: root.clone(),
            node_root: root,
            entries,
        })
    }

    /// The directory names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// An entry by name.
    pub fn get(&self, name: &str) -> Option<&TreeEntry> {
        self.entries.get(name)
    }

    /// How a directory name is shown: `<display_root>/<name>`.
    pub fn display(&self, name: &str) -> String {
        format!("{}/{name}", self.display_root)
    }

    /// The `[host]` entries containerd reads from directory `name` (none when it has no readable,
    /// valid hosts.toml).
    pub fn host_entries(&self, name: &str, flavor: Flavor) -> Vec<HostConfig> {
        let Some(TreeEntry::Dir(d)) = self.entries.get(name) else {
            return Vec::new();
        };
        let dir_path = filepath::join(&[&self.node_root, name]);
        match &d.hosts_toml {
            Ok(Some(b)) => parse_hosts_file(&dir_path, b, flavor)
                .map(|p| {
                    p.hosts
                        .into_iter()
                        .filter(|h| matches!(h.origin, HostOrigin::Table { .. }))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// `HostDirFromRoot`: the first of [`host_paths`] that exists.
    pub fn lookup(&self, host: &str) -> Lookup {
        let mut candidates = Vec::new();
        for name in host_paths(host) {
            match self.entries.get(&name) {
                None => candidates.push((name, false)),
                Some(TreeEntry::Unreadable(err)) => {
                    let err = err.clone();
                    candidates.push((name, true));
                    return Lookup {
                        candidates,
                        chosen: None,
                        error: Some(err),
                    };
                }
                Some(_) => {
                    candidates.push((name.clone(), true));
                    return Lookup {
                        candidates,
                        chosen: Some(name),
                        error: None,
                    };
                }
            }
        }
        Lookup {
            candidates,
            chosen: None,
            error: None,
        }
    }

    /// `ConfigureHosts(...)(host)` for the CRI plugin: look the directory up, load it, fill in the
    /// default endpoint, and settle TLS per host.
    pub fn configure_hosts(&self, host: &str, flavor: Flavor) -> Resolution {
        let lookup = self.lookup(host);
        let mut res = Resolution {
            lookup: lookup.clone(),
            source: Source::NoDirectory,
            has_server_key: false,
            has_host_entries: false,
            hosts: Vec::new(),
            error: lookup.error.clone(),
        };
        if res.error.is_some() {
            return res;
        }
        let mut hosts: Option<Vec<HostConfig>> = None;
        if let Some(name) = &lookup.chosen {
            let dir_path = filepath::join(&[&self.node_root, name]);
            let shown = self.display(name);
            match self.entries.get(name) {
                Some(TreeEntry::Dir(d)) => match load_host_dir(d, &dir_path, &shown, flavor) {
                    Ok(loaded) => {
                        res.source = loaded.source;
                        res.has_server_key = loaded.has_server_key;
                        res.has_host_entries = loaded.has_host_entries;
                        hosts = Some(loaded.hosts);
                    }
                    Err(e) => {
                        res.error = Some(e);
                        return res;
                    }
                },
                _ => {
                    // os.ReadFile("<file>/hosts.toml") fails with ENOTDIR, which is not
                    // "does not exist": loadHostDir returns it and the pull fails.
                    res.error = Some(format!("open {shown}/{HOSTS_TOML}: not a directory"));
                    return res;
                }
            }
        }
        // If hosts was not set, add a default host. (Nil, not empty: a directory may configure no
        // endpoints at all.)
        let mut hosts = hosts.unwrap_or_else(|| vec![HostConfig::empty(HostOrigin::NoDirectory)]);
        let mut fill = None;
        if let Some(last) = hosts.last_mut().filter(|h| h.host.is_empty()) {
            fill = Some(fill_default(last, host));
        }
        let n = hosts.len();
        res.hosts = hosts
            .into_iter()
            .enumerate()
            .map(|(i, mut config)| {
                // CRI never sets DefaultTLS: only the host's own fields make TLS explicit.
                let explicit_tls = config.ca_certs.is_some()
                    || config.client_pairs.is_some()
                    || config.skip_verify.is_some();
                let mut http_fallback = false;
                if config.scheme == "http" && explicit_tls {
                    let port = net::split_host_port(&config.host)
                        .map(|(_, p)| p)
                        .unwrap_or_default();
                    // When the port is 80 the protocol is not ambiguous.
                    if port != "80" {
                        config.scheme = "https".to_string();
                        http_fallback = true;
                    }
                }
                RegistryHost {
                    config,
                    fill: if i + 1 == n { fill } else { None },
                    explicit_tls,
                    http_fallback,
                }
            })
            .collect();
        res
    }
}

/// `ConfigureHosts`' fill-in of a last entry without a host: the registry's own endpoint.
fn fill_default(h: &mut HostConfig, host: &str) -> DefaultFill {
    let kind = if host == DOCKER_HUB {
        h.scheme = "https".to_string();
        h.host = DOCKER_HUB_HOST.to_string();
        DefaultFill::DockerHub
    } else if is_localhost(host) {
        h.host = host.to_string();
        let port = net::split_host_port(host)
            .map(|(_, p)| p)
            .unwrap_or_default();
        // If port is default or 443, only use https; otherwise HTTP fallback logic is used.
        h.scheme = if port.is_empty() || port == "443" {
            "https"
        } else {
            "http"
        }
        .to_string();
        // When port is 80, protocol is not ambiguous; otherwise TLS verification is skipped for
        // localhost, overriding whatever the file said.
        if port != "80" {
            h.skip_verify = Some(true);
        }
        DefaultFill::Localhost
    } else {
        h.host = host.to_string();
        h.scheme = "https".to_string();
        DefaultFill::Registry
    };
    h.path = "/v2".to_string();
    h.capabilities = Capabilities::DEFAULT_ENDPOINT;
    kind
}

/// `hostPaths` (config_unix.go): `host_port_` (when the host has a `:`), the host itself, then
/// `_default`.
pub fn host_paths(host: &str) -> Vec<String> {
    let ch = host_directory(host);
    let mut out = Vec::with_capacity(3);
    if ch != host {
        out.push(ch);
    }
    out.push(host.to_string());
    out.push(DEFAULT_DIR.to_string());
    out
}

/// `hostDirectory`: `:port` becomes `_port_`, at the last `:` (so `[::1]` becomes `[:_1]_`).
pub fn host_directory(host: &str) -> String {
    match host.rfind(':') {
        Some(idx) if idx > 0 => format!("{}_{}_", &host[..idx], &host[idx + 1..]),
        _ => host.to_string(),
    }
}

fn read_host_dir(path: &Path) -> HostDir {
    let hosts_path = path.join(HOSTS_TOML);
    let hosts_toml = match std::fs::read(&hosts_path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("open {}: {e}", hosts_path.display())),
    };
    let (mut files, list_error): (Vec<(String, bool)>, _) = match std::fs::read_dir(path) {
        Ok(rd) => (
            rd.flatten()
                .filter_map(|e| {
                    // DirEntry.IsDir() does not follow symbolic links; neither does file_type().
                    let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                    e.file_name().into_string().ok().map(|n| (n, is_dir))
                })
                .collect(),
            None,
        ),
        Err(e) => (Vec::new(), Some(format!("open {}: {e}", path.display()))),
    };
    files.sort();
    HostDir {
        hosts_toml,
        files,
        list_error,
    }
}

/// A loaded host directory.
struct Loaded {
    source: Source,
    has_server_key: bool,
    has_host_entries: bool,
    hosts: Vec<HostConfig>,
}

/// `loadHostDir`: hosts.toml if present and not empty (falling back to the certificate files when
/// it does not parse), else the certificate files. `dir_path` is the node path, `shown` the path
/// for messages.
fn load_host_dir(
    d: &HostDir,
    dir_path: &str,
    shown: &str,
    flavor: Flavor,
) -> Result<Loaded, String> {
    let bytes = d.hosts_toml.clone()?;
    let cert_files = |reason| match &d.list_error {
        // loadCertFiles: os.ReadDir failed for another reason than "does not exist".
        Some(e) => Err(e.clone()),
        None => Ok(Loaded {
            source: Source::CertFiles(reason),
            has_server_key: false,
            has_host_entries: false,
            hosts: vec![load_cert_files(d, dir_path)],
        }),
    };
    match bytes {
        None => cert_files(CertFilesReason::Missing),
        Some(b) if b.is_empty() => cert_files(CertFilesReason::Empty),
        Some(b) => match parse_hosts_file(dir_path, &b, flavor) {
            Ok(parsed) => Ok(Loaded {
                source: Source::HostsToml,
                has_server_key: parsed.has_server_key,
                has_host_entries: parsed.has_host_entries,
                hosts: parsed.hosts,
            }),
            Err(e) => cert_files(CertFilesReason::Invalid(format!(
                "failed to decode {shown}/{HOSTS_TOML}: {e}"
            ))),
        },
    }
}

/// `loadCertFiles`: one host without URL; `*.crt` files are CAs, `*.cert` files client
/// certificates with the `*.key` of the same name when it exists.
fn load_cert_files(d: &HostDir, dir_path: &str) -> HostConfig {
    let mut h = HostConfig::empty(HostOrigin::CertFiles);
    let exists = |name: &str| d.files.iter().any(|(n, _)| n == name);
    for (name, is_dir) in &d.files {
        if *is_dir {
            continue;
        }
        if name.ends_with(".crt") {
            h.ca_certs
                .get_or_insert_with(Vec::new)
                .push(filepath::join(&[dir_path, name]));
        }
        if let Some(base) = name.strip_suffix(".cert") {
            let key = format!("{base}.key");
            let key_path = if exists(&key) {
                filepath::join(&[dir_path, &key])
            } else {
                String::new()
            };
            h.client_pairs
                .get_or_insert_with(Vec::new)
                .push([filepath::join(&[dir_path, name]), key_path]);
        }
    }
    h
}

/// A parsed hosts.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedHosts {
    /// The hosts in order: `[host]` tables in file order, then the root entry if it applies.
    pub hosts: Vec<HostConfig>,
    /// A top-level `server` key was present (what the fork tests).
    pub has_server_key: bool,
    /// There was at least one `[host."…"]` table.
    pub has_host_entries: bool,
}

/// `parseHostsFile`: hosts.toml as containerd (go-toml v2, TOML 1.0) decodes it. `base_dir` is the
/// directory relative `ca`/`client` paths are resolved against. Any error makes containerd ignore
/// the whole file.
pub fn parse_hosts_file(
    base_dir: &str,
    bytes: &[u8],
    flavor: Flavor,
) -> Result<ParsedHosts, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("toml: invalid UTF-8: {e}"))?;
    check_toml_1_0(text)?;
    let doc = toml_edit::Document::parse(text).map_err(|e| toml_error(text, &e))?;
    let root = doc.as_table();
    let ordered = sorted_hosts(root);

    // toml.Unmarshal into struct { hostFileConfig; Server string; HostConfigs map[..] }.
    let mut server = String::new();
    let mut host_configs: BTreeMap<String, FileConfig> = BTreeMap::new();
    let mut root_config = FileConfig::default();
    for (key, item) in root.iter() {
        match field(key, ROOT_FIELDS) {
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
    let append_root = match flavor {
        // Parse root host config and append it as the last element.
        Flavor::Upstream => true,
        // K3s's fork: only if the server key is set at the root of the tree, or no other hosts
        // are configured (so that leaving out `server` disables the fallback upstream).
        Flavor::K3sFork => has_server_key || hosts.is_empty(),
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
const ROOT_FIELDS: &[&str] = &[
    "capabilities",
    "ca",
    "client",
    "skip_verify",
    "header",
    "override_path",
    "dial_timeout",
    "rewrite",
    "server",
    "host",
];

/// go-toml's `structFieldPath`: a key names a field exactly, or case-insensitively.
fn field(key: &str, fields: &[&'static str]) -> Option<&'static str> {
    fields
        .iter()
        .copied()
        .find(|f| *f == key)
        .or_else(|| fields.iter().copied().find(|f| *f == key.to_lowercase()))
}

fn decode_file_config(t: &dyn TableLike, c: &mut FileConfig, flavor: Flavor) -> Result<(), String> {
    for (key, item) in t.iter() {
        if let Some(f) = field(key, FILE_FIELDS) {
            decode_field(f, item, c, flavor)?;
        }
    }
    Ok(())
}

fn decode_field(f: &str, item: &Item, c: &mut FileConfig, flavor: Flavor) -> Result<(), String> {
    match f {
        "capabilities" => {
            let arr = item
                .as_array()
                .ok_or_else(|| decode_error(item, f, "[]string"))?;
            c.capabilities = arr
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        format!(
                            "toml: cannot decode TOML {} into a Go value of type string",
                            v.type_name()
                        )
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
        // Upstream containerd has no such field: there the key is ignored like any unknown key.
        "rewrite" if flavor == Flavor::K3sFork => {
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

fn decode_string(item: &Item, what: &str) -> Result<String, String> {
    item.as_str()
        .map(str::to_string)
        .ok_or_else(|| decode_error(item, what, "string"))
}

fn decode_error(item: &Item, what: &str, go_type: &str) -> String {
    format!(
        "toml: cannot decode TOML {} into {what} ({go_type})",
        item.type_name()
    )
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
) -> Result<HostConfig, String> {
    let mut result = HostConfig::empty(HostOrigin::Root { server: None });
    if !server.is_empty() {
        let server = if server.starts_with("http") {
            server.to_string()
        } else {
            format!("https://{server}")
        };
        let u = url::parse(&server).map_err(|e| format!("unable to parse server {server}: {e}"))?;
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
                    _ => return Err(format!("unknown capability {c}")),
                };
        }
    }

    let abs = |p: &str| make_abs_path(p, base_dir);
    if let Some(ca) = &config.ca {
        result.ca_certs = Some(match ca {
            GoAny::String(s) => vec![abs(s)],
            GoAny::Array(a) => make_string_slice(a)?.iter().map(|s| abs(s)).collect(),
            other => return Err(format!("invalid type {other} for \"ca\"")),
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
                            let [c, k]: [String; 2] = slice
                                .try_into()
                                .map_err(|_| format!("invalid pair {p} for \"client\""))?;
                            pairs.push([c, k]);
                        }
                        GoAny::Other(t) => return Err(format!("invalid type {t} for \"client\"")),
                    }
                }
            }
            other => return Err(format!("invalid type {other} for \"client\"")),
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
                other => return Err(format!("invalid type {other} for header {}", quote(k))),
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
fn make_string_slice(a: &[GoAny]) -> Result<Vec<String>, String> {
    a.iter()
        .map(|v| match v {
            GoAny::String(s) => Ok(s.clone()),
            other => Err(format!("unable to cast {other} to string")),
        })
        .collect()
}

/// `makeAbsPath`: absolute paths stay; others are joined to the host directory (so `""` is the
/// directory itself, which then fails to load as a certificate).
pub fn make_abs_path(p: &str, base: &str) -> String {
    if p.starts_with('/') {
        p.to_string()
    } else {
        filepath::join(&[base, p])
    }
}

use crate::go::quote::quote;

/// A TOML syntax error on one line: `toml: line L, column C: <what>`. toml_edit's list of valid
/// escapes includes TOML 1.1's `\e` and `\x`, which containerd's TOML 1.0 parser lacks, so that
/// message is replaced by TOML 1.0's list.
fn toml_error(text: &str, e: &toml_edit::TomlError) -> String {
    let msg = e.message().lines().next().unwrap_or_default();
    let msg = if msg.contains("escaped value") {
        "invalid escape sequence (TOML 1.0 has \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)"
    } else {
        msg
    };
    match e.span() {
        Some(span) => {
            let before = &text.as_bytes()[..span.start.min(text.len())];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let col = before.len()
                - before
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |i| i + 1)
                + 1;
            format!("toml: line {line}, column {col}: {msg}")
        }
        None => format!("toml: {msg}"),
    }
}

/// Go's `time.ParseDuration`, as a check: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or `0`.
fn parse_duration(s: &str) -> Result<(), String> {
    let err = || format!("time: invalid duration {}", quote(s));
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
            return Err(format!("time: missing unit in duration {}", quote(s)));
        }
        if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(&unit) {
            return Err(format!(
                "time: unknown unit {} in duration {}",
                quote(unit),
                quote(s)
            ));
        }
        t = &rest[unit_len..];
    }
    Ok(())
}

/// What toml_edit (TOML 1.1) accepts and containerd's go-toml v2 (TOML 1.0) refuses: the `\e` and
/// `\xHH` escapes, and inline tables that span lines or end with a comma.
pub fn check_toml_1_0(text: &str) -> Result<(), String> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut line = 1;
    // Open brackets of values: b'[' for arrays (and headers), b'{' for inline tables.
    let mut open: Vec<u8> = Vec::new();
    let bad_escape = |line: usize, c: u8| {
        Err(format!(
            "toml: line {line}: invalid escape \\{} (TOML 1.1 only; containerd reads TOML 1.0)",
            c as char
        ))
    };
    while i < b.len() {
        match b[i] {
            b'\n' => {
                if open.last() == Some(&b'{') {
                    return Err(format!(
                        "toml: line {line}: newline inside an inline table (TOML 1.1 only; containerd reads TOML 1.0)"
                    ));
                }
                line += 1;
                i += 1;
            }
            b'#' => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                let multi = b[i..].starts_with(b"\"\"\"");
                i += if multi { 3 } else { 1 };
                loop {
                    if i >= b.len() {
                        break;
                    }
                    match b[i] {
                        b'\\' => {
                            match b.get(i + 1) {
                                Some(&c @ (b'e' | b'x')) => return bad_escape(line, c),
                                Some(b'\n') => line += 1,
                                _ => {}
                            }
                            i += 2;
                        }
                        b'"' if multi && b[i..].starts_with(b"\"\"\"") => {
                            // Up to two more quotes may belong to the string.
                            i += 3;
                            while i < b.len() && b[i] == b'"' {
                                i += 1;
                            }
                            break;
                        }
                        b'"' if !multi => {
                            i += 1;
                            break;
                        }
                        b'\n' => {
                            line += 1;
                            i += 1;
                            if !multi {
                                break;
                            }
                        }
                        _ => i += 1,
                    }
                }
            }
            b'\'' => {
                let multi = b[i..].starts_with(b"'''");
                i += if multi { 3 } else { 1 };
                while i < b.len() {
                    if multi && b[i..].starts_with(b"'''") {
                        i += 3;
                        while i < b.len() && b[i] == b'\'' {
                            i += 1;
                        }
                        break;
                    }
                    if !multi && (b[i] == b'\'' || b[i] == b'\n') {
                        i += usize::from(b[i] == b'\'');
                        break;
                    }
                    if b[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
            c @ (b'[' | b'{') => {
                open.push(c);
                i += 1;
            }
            b']' | b'}' => {
                open.pop();
                i += 1;
            }
            b',' => {
                if open.last() == Some(&b'{') {
                    let next = b[i + 1..].iter().find(|c| !matches!(c, b' ' | b'\t'));
                    if next == Some(&b'}') {
                        return Err(format!(
                            "toml: line {line}: trailing comma in an inline table (TOML 1.1 only; containerd reads TOML 1.0)"
                        ));
                    }
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// A `registry.configs."<host>".auth` table of config.toml (criconfig.AuthConfig).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthConfig {
    /// `username`
    pub username: String,
    /// `password`
    pub password: String,
    /// `auth`: base64 of `user:password`.
    pub auth: String,
    /// `identitytoken`
    pub identitytoken: String,
}

/// Which field of an [`AuthConfig`] `ParseAuth` used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `username` (with `password`).
    UsernamePassword,
    /// `identitytoken` (no username): sent as an OAuth2 refresh token.
    IdentityToken,
    /// `auth`, decoded.
    Auth,
    /// All empty: anonymous.
    Anonymous,
}

/// What `ParseAuth` makes of an [`AuthConfig`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name sent (empty for an identity token).
    pub username: String,
    /// The password, token or decoded secret.
    pub secret: String,
    /// Which field it came from.
    pub kind: AuthKind,
}

/// CRI's `ParseAuth` (no `ServerAddress` in config.toml auths): username/password, else the
/// identity token, else `auth` decoded as base64 `user:password`, else anonymous. A bad `auth`
/// is an error, and the request that asked for credentials fails.
pub fn parse_auth(a: &AuthConfig) -> Result<Credentials, String> {
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
        let raw = a.auth.as_bytes();
        // ParseAuth decodes into a buffer of DecodedLen bytes and uses all of it, so the bytes
        // past the decoded length are NULs (trimmed from the password below).
        let mut decoded = crate::go::base64::decode_string(raw)
            .map_err(|off| format!("illegal base64 data at input byte {off}"))?;
        // base64.StdEncoding.DecodedLen(len(auth)) for the padded encoding.
        decoded.resize(decoded.len().max(raw.len() / 4 * 3), 0);
        let Some(colon) = decoded.iter().position(|&c| c == b':') else {
            // containerd's error quotes the decoded value (`invalid decoded auth: %q`): a secret,
            // so we say what is wrong with it instead.
            return Err(format!(
                "invalid decoded auth: the {} decoded bytes hold no ':' between user and password",
                decoded.len()
            ));
        };
        // Decoded bytes that are not UTF-8 are shown with `\xNN` escapes.
        let user = display(&decoded[..colon]).into_owned();
        let pass = &decoded[colon + 1..];
        let start = pass.iter().position(|&c| c != 0).unwrap_or(pass.len());
        let end = pass.iter().rposition(|&c| c != 0).map_or(start, |e| e + 1);
        return Ok(Credentials {
            username: user,
            secret: display(&pass[start..end]).into_owned(),
            kind: AuthKind::Auth,
        });
    }
    Ok(Credentials {
        username: String::new(),
        secret: String::new(),
        kind: AuthKind::Anonymous,
    })
}

/// The CRI registry settings of a config.toml: where hosts directories are, and the credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CriRegistry {
    /// The file's `version` (1 when absent).
    pub version: i64,
    /// The registry table's dotted path, for messages.
    pub section: String,
    /// `config_path`, if set.
    pub config_path: Option<String>,
    /// `configs."<host>".auth`, by key as written.
    pub auths: BTreeMap<String, AuthConfig>,
}

/// Read and parse a node's config.toml (see [`parse_config_toml`]); the error names the path.
pub fn read_config_toml(path: &Path) -> Result<Result<CriRegistry, String>, io::Error> {
    let bytes = std::fs::read(path)
        .map_err(|e| io::Error::new(e.kind(), format!("reading {}: {e}", path.display())))?;
    Ok(parse_config_toml(&bytes))
}

/// The CRI registry table of a config.toml: `plugins.'io.containerd.cri.v1.images'.registry` in
/// version 3, `plugins."io.containerd.grpc.v1.cri".registry` in version 2 (containerd 2.x migrates
/// it), `plugins.cri.registry` in version 1. An error means containerd cannot load the file.
pub fn parse_config_toml(bytes: &[u8]) -> Result<CriRegistry, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("invalid UTF-8: {e}"))?;
    check_toml_1_0(text)?;
    let doc = toml_edit::Document::parse(text).map_err(|e| toml_error(text, &e))?;
    let root = doc.as_table();
    let version = match root.get("version") {
        None => 1,
        Some(v) => v
            .as_integer()
            .ok_or_else(|| "version is not an integer".to_string())?,
    };
    let plugin = match version {
        3 => "io.containerd.cri.v1.images",
        2 => "io.containerd.grpc.v1.cri",
        1 => "cri",
        v => return Err(format!("unsupported config version `{v}`")),
    };
    let quote_key = if version == 3 { '\'' } else { '"' };
    let mut reg = CriRegistry {
        version,
        section: format!("plugins.{quote_key}{plugin}{quote_key}.registry"),
        ..CriRegistry::default()
    };
    let Some(registry) = root
        .get("plugins")
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
        .ok_or_else(|| format!("{}: not a table", reg.section))?;
    for (key, item) in registry.iter() {
        match field(key, &["config_path", "configs"]) {
            Some("config_path") => reg.config_path = Some(decode_string(item, "config_path")?),
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
                                Some("password") => a.password = decode_string(fv, fk)?,
                                Some("auth") => a.auth = decode_string(fv, fk)?,
                                Some("identitytoken") => a.identitytoken = decode_string(fv, fk)?,
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

    fn parse(text: &str, flavor: Flavor) -> Result<ParsedHosts, String> {
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
                "invalid escape \\x",
            ),
            (
                "server = 1\n",
                "toml: cannot decode TOML integer into server (string)",
            ),
            ("[host.\"https://a\"]\n[host.\"https://a\"]\n", "toml:"),
            ("x = { a = 1,\n b = 2 }\n", "newline inside an inline table"),
        ] {
            let err = parse(text, Flavor::K3sFork).expect_err(text);
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

    fn tree(files: &[(&str, &str)]) -> CertsTree {
        let hosts: Vec<HostsFile> = files
            .iter()
            .map(|(d, c)| HostsFile {
                dir: (*d).into(),
                contents: c.as_bytes().to_vec(),
            })
            .collect();
        CertsTree::from_rendered("certs.d", "/node/certs.d", &hosts)
    }

    #[test]
    fn lookup_order_and_default_fill() {
        let t = tree(&[
            ("_default", "server = \"\"\n[host.\"https://m\"]\n"),
            ("registry.example.com_5000_", ""),
        ]);
        assert_eq!(host_paths("r:5000"), ["r_5000_", "r:5000", "_default"]);
        assert_eq!(host_directory("[::1]"), "[:_1]_");
        let r = t.configure_hosts("quay.io", Flavor::K3sFork);
        assert_eq!(r.lookup.chosen.as_deref(), Some("_default"));
        let last = r.hosts.last().expect("hosts");
        assert_eq!(
            (last.config.host.as_str(), last.fill),
            ("quay.io", Some(DefaultFill::Registry))
        );
        // The host_port_ spelling wins over host:port and shadows _default; an empty hosts.toml
        // means certificate files only: the default host.
        let r = t.configure_hosts("registry.example.com:5000", Flavor::K3sFork);
        assert_eq!(
            r.lookup.chosen.as_deref(),
            Some("registry.example.com_5000_")
        );
        assert_eq!(r.source, Source::CertFiles(CertFilesReason::Empty));
        assert_eq!(r.hosts.len(), 1);
        // No directory at all (no _default either).
        let r = tree(&[]).configure_hosts("docker.io", Flavor::K3sFork);
        assert_eq!(r.source, Source::NoDirectory);
        assert_eq!(r.hosts[0].config.host, "registry-1.docker.io");
        // Localhost: http with skip_verify, so https first with fallback; port 80 is plain http.
        let r = tree(&[]).configure_hosts("localhost:5000", Flavor::K3sFork);
        let h = &r.hosts[0];
        assert_eq!(
            (
                h.config.scheme.as_str(),
                h.config.skip_verify,
                h.http_fallback
            ),
            ("https", Some(true), true)
        );
        let r = tree(&[]).configure_hosts("127.0.0.1:80", Flavor::K3sFork);
        let h = &r.hosts[0];
        assert_eq!(
            (
                h.config.scheme.as_str(),
                h.config.skip_verify,
                h.http_fallback
            ),
            ("http", None, false)
        );
    }

    #[test]
    fn rendered_tree_layout() {
        let t = tree(&[
            ("registry.example.com/team", "x"),
            ("..", "y"),
            ("", "z"),
            ("https://s.example.com", "w"),
        ]);
        let names: Vec<&str> = t.names().collect();
        assert_eq!(names, ["https:", "registry.example.com"]);
        match t.get("registry.example.com") {
            Some(TreeEntry::Dir(d)) => assert_eq!(d.hosts_toml, Ok(None)),
            other => panic!("{other:?}"),
        }
    }

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
            (c.username.as_str(), c.secret.as_str(), c.kind),
            ("u", "p:x", AuthKind::Auth)
        );
        assert!(parse_config_toml(b"[plugins.'a\n").is_err());
        assert!(parse_config_toml(b"version = 3\n[plugins.'io.containerd.cri.v1.images'.registry.configs.'x'.auth]\nusername = \"\\x01\"\n").is_err());
    }

    #[test]
    fn parse_auth_like_cri() {
        let a = |u: &str, p: &str, auth: &str, t: &str| AuthConfig {
            username: u.into(),
            password: p.into(),
            auth: auth.into(),
            identitytoken: t.into(),
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
        assert_eq!(
            parse_auth(&a("", "", "dTpw", "")).map(|c| c.secret),
            Ok("p".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dTp\nw", "")).map(|c| c.secret),
            Ok("p".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dTpwx", "")),
            Err("illegal base64 data at input byte 4".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dckr_pat", "")),
            Err("illegal base64 data at input byte 4".to_string())
        );
        assert_eq!(
            parse_auth(&a("", "", "dXNlcg==", "")),
            Err(
                "invalid decoded auth: the 6 decoded bytes hold no ':' between user and password"
                    .to_string()
            )
        );
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
