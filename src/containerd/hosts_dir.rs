//! The hosts directory (`certs.d`) as containerd's CRI plugin uses it for one registry:
//! `ConfigureHosts`, `HostDirFromRoot`, `hostPaths`, `hostDirectory`, `loadHostDir` and
//! `loadCertFiles` of containerd's `core/remotes/docker/config/hosts.go` and `config_unix.go`
//! (containerd 2.1/2.2), then the per-host TLS settlement (`NewHTTPFallback`) and the request
//! checks Go's HTTP client makes ([`super::http`]).
//!
//! A [`CertsTree`] is data: built from the files K3s renders ([`CertsTree::from_rendered`]) or read
//! from a node ([`CertsTree::read`], through [`crate::fs`]). Everything else here is pure.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use super::builds::{HttpWithTls, LoopbackDefault};
use super::docker::{is_localhost, DOCKER_HUB, DOCKER_HUB_HOST};
use super::gotoml::DecodeError;
use super::hosts_toml::{parse_hosts_file, Capabilities, HostConfig, HostOrigin};
use super::http::{validate_headers, HeaderError};
use super::Flavor;
use crate::fs::{self, PathError, Stat};
use crate::go::{filepath, net};
use crate::secret::{is_secret_header, Secrets};

/// The directory containerd falls back to for registries without one of their own.
pub(crate) const DEFAULT_DIR: &str = "_default";
/// The file containerd reads in a host directory.
pub(crate) const HOSTS_TOML: &str = "hosts.toml";

/// How `ConfigureHosts` filled in a last entry that had no host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DefaultFill {
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
pub(crate) struct RegistryHost {
    /// The host as parsed (scheme is the final one: `https` when the HTTP fallback applies).
    pub(crate) config: HostConfig,
    /// Set when `ConfigureHosts` filled this entry in as the registry's default endpoint.
    pub(crate) fill: Option<DefaultFill>,
    /// `ca`, `client` or `skip_verify` was given: the host gets its own TLS configuration.
    pub(crate) explicit_tls: bool,
    /// The URL said `http` but TLS is configured and the port is not 80: containerd tries HTTPS
    /// first and retries over plain HTTP (`NewHTTPFallback`).
    pub(crate) http_fallback: bool,
    /// Go's HTTP client refuses every request to this host (a header it cannot send): containerd
    /// logs "trying next host" and goes on with the next one.
    pub(crate) request_error: Option<HeaderError>,
}

impl RegistryHost {
    /// Whether this is the registry's own endpoint: the root entry or one containerd filled in.
    pub(crate) fn is_default(&self) -> bool {
        self.fill.is_some()
            || matches!(
                self.config.origin,
                HostOrigin::Root { .. } | HostOrigin::NoDirectory
            )
    }

    /// Whether requests to this host go over plain HTTP: always (an http URL without TLS
    /// settings, or on port 80), after an HTTPS attempt failed (the fallback), or never.
    pub(crate) fn plain_http(&self) -> PlainHttp {
        if self.http_fallback {
            PlainHttp::OnFallback
        } else if self.config.scheme == "http" {
            PlainHttp::Always
        } else {
            PlainHttp::Never
        }
    }
}

/// Whether a host is spoken to over plain HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlainHttp {
    /// HTTPS only.
    Never,
    /// HTTPS first; plain HTTP when the server answers in plain HTTP or the handshake times out.
    OnFallback,
    /// Plain HTTP only.
    Always,
}

/// A `certs.d` tree: directory name -> what containerd finds there. Only the entries directly
/// under the root matter: containerd looks up `<root>/<name>` for names without `/`. A tree of
/// rendered files borrows their contents (`'f`); a tree read from a node owns them.
#[derive(Debug, Clone, Default)]
pub(crate) struct CertsTree<'f> {
    /// The root as shown to people (`certs.d`, or the `--hosts-dir` path).
    pub(crate) display_root: String,
    /// The root as containerd sees it on the node: relative `ca`/`client` paths are resolved
    /// against `<node_root>/<dir>`.
    pub(crate) node_root: String,
    entries: BTreeMap<String, TreeEntry<'f>>,
}

/// One entry directly under the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TreeEntry<'f> {
    /// A directory.
    Dir(HostDir<'f>),
    /// Something that exists but is not a directory (`os.Stat` succeeds, so containerd picks it
    /// and then fails to read `<it>/hosts.toml`).
    NotDir,
    /// `os.Stat` failed with an error other than "does not exist": the pull fails.
    Unreadable(PathError),
}

/// What a host directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostDir<'f> {
    /// hosts.toml: `Ok(None)` when absent, `Err` when it cannot be read.
    pub(crate) hosts_toml: Result<Option<Cow<'f, [u8]>>, PathError>,
    /// The directory's entries, sorted by name as `os.ReadDir` sorts them.
    pub(crate) files: Vec<fs::DirEntry>,
    /// The directory could not be listed: `loadCertFiles` fails with this when it is needed.
    pub(crate) list_error: Option<PathError>,
}

impl Default for HostDir<'_> {
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
pub(crate) struct Lookup {
    /// The candidates in containerd's order, up to the one it took, with whether each exists.
    pub(crate) candidates: Vec<(String, bool)>,
    /// The directory name containerd reads, if any.
    pub(crate) chosen: Option<String>,
    /// `os.Stat` failed: the pull fails with this error.
    pub(crate) error: Option<PathError>,
}

/// Where the host list came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// No directory: containerd's single default host.
    NoDirectory,
    /// The directory's hosts.toml.
    HostsToml,
    /// `loadCertFiles`: default host only, with the directory's certificate files.
    CertFiles(CertFilesReason),
}

/// Why containerd read certificate files instead of hosts.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertFilesReason {
    /// There is no hosts.toml.
    Missing,
    /// hosts.toml is empty.
    Empty,
    /// hosts.toml cannot be decoded (containerd logs `failed to decode hosts.toml`).
    Invalid(InvalidHostsToml),
}

/// A hosts.toml containerd cannot decode, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidHostsToml {
    /// The file, as shown to people.
    pub(crate) file: String,
    /// The decoding error.
    pub(crate) error: DecodeError,
}

impl fmt::Display for InvalidHostsToml {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed to decode {}: {}", self.file, self.error)
    }
}

/// Everything containerd decides for one registry name before the first request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Resolution {
    /// The directory lookup.
    pub(crate) lookup: Lookup,
    /// What was read.
    pub(crate) source: Source,
    /// Whether the hosts.toml had a top-level `server` key.
    pub(crate) has_server_key: bool,
    /// The hosts, in the order containerd tries them.
    pub(crate) hosts: Vec<RegistryHost>,
    /// containerd fails before any request (unreadable directory or file).
    pub(crate) error: Option<PathError>,
}

impl Resolution {
    /// The number of `[host]` entries read.
    pub(crate) fn host_entries(&self) -> usize {
        self.hosts
            .iter()
            .filter(|h| matches!(h.config.origin, HostOrigin::Table { .. }))
            .count()
    }
}

impl<'f> CertsTree<'f> {
    /// The name under which containerd finds the directory K3s writes for map key `dir`
    /// (the first component of `filepath.Join(certs.d, dir)` below certs.d; see
    /// [`Self::from_rendered`]), or `None` when it is never looked up.
    pub(crate) fn found_as(dir: &[u8]) -> Option<String> {
        const ROOT: &str = "certs.d";
        let joined =
            crate::go::string::display(&filepath::join_bytes(&[ROOT.as_bytes(), dir])).into_owned();
        let rel = joined.strip_prefix(&format!("{ROOT}/"))?;
        Some(rel.split('/').next().unwrap_or(rel).to_string())
    }

    /// The tree K3s leaves on a fresh node for these rendered files (directory name as K3s
    /// names it, contents): each file goes to `filepath.Join(certs.d, dir)/hosts.toml`, as
    /// `writeContainerdHosts` writes it; a name with `/` makes its first component a directory
    /// without hosts.toml; names that clean to the root or outside it are never looked up.
    pub(crate) fn from_rendered(
        display_root: &str,
        node_root: &str,
        files: impl IntoIterator<Item = (&'f [u8], &'f [u8])>,
    ) -> Self {
        const ROOT: &str = "certs.d";
        let mut entries: BTreeMap<String, TreeEntry<'f>> = BTreeMap::new();
        for (dir, contents) in files {
            // A directory name that is not UTF-8 is never looked up (image references are
            // text); it keeps a printable spelling.
            let joined = crate::go::string::display(&filepath::join_bytes(&[ROOT.as_bytes(), dir]))
                .into_owned();
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
                        d.hosts_toml = Ok(Some(Cow::Borrowed(contents)));
                        (HOSTS_TOML, false)
                    }
                };
                if !d.files.iter().any(|e| e.name == name) {
                    d.files.push(fs::DirEntry {
                        name: name.to_string(),
                        is_dir,
                    });
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
    /// hosts.toml (within [`fs::Limit::HOSTS_TOML`]) and file names. Fails when the directory
    /// itself cannot be listed, and when a hosts.toml is refused (a FIFO or a device, on which
    /// containerd would block or read forever; a file too large): what containerd would do with
    /// it is not modelled.
    pub(crate) fn read(dir: &Path) -> Result<CertsTree<'static>, ReadError> {
        let mut entries = BTreeMap::new();
        for ent in fs::list_dir(dir)? {
            let path = dir.join(&ent.name);
            // os.Stat follows symbolic links.
            let entry = match fs::stat(&path) {
                Ok(Stat::Dir) => TreeEntry::Dir(read_host_dir(&path)?),
                Ok(Stat::Other) => TreeEntry::NotDir,
                Ok(Stat::Missing) => continue,
                Err(e) => TreeEntry::Unreadable(e),
            };
            entries.insert(ent.name, entry);
        }
        let root = dir.display().to_string();
        Ok(CertsTree {
            display_root: root.clone(),
            node_root: root,
            entries,
        })
    }

    /// The secrets in the tree: the user information of every URL-like text in its names and
    /// hosts.toml files (a `[host."https://TOKEN@..."]` key, a `server`), and the values of
    /// credential headers (`Authorization`).
    pub(crate) fn secrets(&self) -> Secrets {
        let mut s = Secrets::default();
        for (name, entry) in &self.entries {
            s.add_userinfo(name);
            let TreeEntry::Dir(d) = entry else { continue };
            let Ok(Some(bytes)) = &d.hosts_toml else {
                continue;
            };
            for chunk in bytes.utf8_chunks() {
                s.add_userinfo(chunk.valid());
            }
            for flavor in [Flavor::K3sFork, Flavor::Upstream] {
                let Ok(parsed) = parse_hosts_file("", bytes, flavor) else {
                    continue;
                };
                for h in &parsed.hosts {
                    for (header, values) in &h.header {
                        if is_secret_header(header) {
                            for v in values {
                                s.add(v);
                                // `Bearer TOKEN`, `Basic BASE64`: the credential alone, too.
                                if let Some((_, cred)) = v.split_once(' ') {
                                    s.add(cred.trim());
                                }
                            }
                        }
                    }
                }
            }
        }
        s
    }

    /// The directory names, sorted.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// A copy that owns the files it borrowed.
    pub(crate) fn into_owned(self) -> CertsTree<'static> {
        let entries = self
            .entries
            .into_iter()
            .map(|(name, entry)| {
                let entry = match entry {
                    TreeEntry::Dir(d) => TreeEntry::Dir(HostDir {
                        hosts_toml: d.hosts_toml.map(|h| h.map(|c| Cow::Owned(c.into_owned()))),
                        files: d.files,
                        list_error: d.list_error,
                    }),
                    TreeEntry::NotDir => TreeEntry::NotDir,
                    TreeEntry::Unreadable(e) => TreeEntry::Unreadable(e),
                };
                (name, entry)
            })
            .collect();
        CertsTree {
            display_root: self.display_root,
            node_root: self.node_root,
            entries,
        }
    }

    /// An entry by name.
    pub(crate) fn get(&self, name: &str) -> Option<&TreeEntry<'f>> {
        self.entries.get(name)
    }

    /// How a directory name is shown: `<display_root>/<name>`.
    pub(crate) fn display(&self, name: &str) -> String {
        format!("{}/{name}", self.display_root)
    }

    /// The `[host]` entries containerd reads from directory `name` (none when it has no readable,
    /// valid hosts.toml).
    pub(crate) fn host_entries(&self, name: &str, flavor: Flavor) -> Vec<HostConfig> {
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

    /// `loadHostDir` for directory `name`: `None` when there is no such entry, `Err` when
    /// containerd fails (the entry is not a readable directory, or hosts.toml cannot be read).
    pub(crate) fn load(&self, name: &str, flavor: Flavor) -> Option<Result<DirReading, PathError>> {
        let shown = self.display(name);
        Some(match self.entries.get(name)? {
            TreeEntry::Dir(d) => {
                let dir_path = filepath::join(&[&self.node_root, name]);
                load_host_dir(d, &dir_path, &shown, flavor)
            }
            // os.ReadFile("<file>/hosts.toml") fails with ENOTDIR, which is not "does not
            // exist": loadHostDir returns it and the pull fails.
            TreeEntry::NotDir => Err(PathError {
                op: "open",
                path: format!("{shown}/{HOSTS_TOML}"),
                reason: "not a directory".to_string(),
            }),
            TreeEntry::Unreadable(e) => Err(e.clone()),
        })
    }

    /// `HostDirFromRoot`: the first of [`host_paths`] that exists.
    pub(crate) fn lookup(&self, host: &str) -> Lookup {
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
    pub(crate) fn configure_hosts(&self, host: &str, flavor: Flavor) -> Resolution {
        let lookup = self.lookup(host);
        let mut res = Resolution {
            lookup: lookup.clone(),
            source: Source::NoDirectory,
            has_server_key: false,
            hosts: Vec::new(),
            error: lookup.error.clone(),
        };
        if res.error.is_some() {
            return res;
        }
        let mut hosts: Option<Vec<HostConfig>> = None;
        if let Some(name) = &lookup.chosen {
            match self.load(name, flavor) {
                Some(Ok(loaded)) => {
                    res.source = loaded.source;
                    res.has_server_key = loaded.has_server_key;
                    hosts = Some(loaded.hosts);
                }
                Some(Err(e)) => {
                    res.error = Some(e);
                    return res;
                }
                None => {}
            }
        }
        // If hosts was not set, add a default host. (Nil, not empty: a directory may configure no
        // endpoints at all.)
        let mut hosts = hosts.unwrap_or_else(|| vec![HostConfig::empty(HostOrigin::NoDirectory)]);
        let mut fill = None;
        if let Some(last) = hosts.last_mut().filter(|h| h.host.is_empty()) {
            fill = Some(fill_default(last, host, flavor));
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
                let fallback = flavor.build().http_with_tls == HttpWithTls::HttpsThenHttp;
                if fallback && config.scheme == "http" && explicit_tls {
                    let port = net::split_host_port(&config.host)
                        .map(|(_, p)| p)
                        .unwrap_or_default();
                    // When the port is 80 the protocol is not ambiguous.
                    if port != "80" {
                        config.scheme = "https".to_string();
                        http_fallback = true;
                    }
                }
                let request_error = validate_headers(&config.header).err();
                RegistryHost {
                    config,
                    fill: if i + 1 == n { fill } else { None },
                    explicit_tls,
                    http_fallback,
                    request_error,
                }
            })
            .collect();
        res
    }
}

/// `ConfigureHosts`' fill-in of a last entry without a host: the registry's own endpoint.
fn fill_default(h: &mut HostConfig, host: &str, flavor: Flavor) -> DefaultFill {
    let kind = if host == DOCKER_HUB {
        h.scheme = "https".to_string();
        h.host = DOCKER_HUB_HOST.to_string();
        DefaultFill::DockerHub
    } else if is_localhost(host) && flavor.build().loopback_default == LoopbackDefault::PlainHttp {
        // Plain http on any port, skipping TLS verification for localhost.
        h.host = host.to_string();
        h.scheme = "http".to_string();
        h.skip_verify = Some(true);
        DefaultFill::Localhost
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
pub(crate) fn host_paths(host: &str) -> Vec<String> {
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
pub(crate) fn host_directory(host: &str) -> String {
    match host.rfind(':') {
        Some(idx) if idx > 0 => format!("{}_{}_", &host[..idx], &host[idx + 1..]),
        _ => host.to_string(),
    }
}

fn read_host_dir(path: &Path) -> Result<HostDir<'static>, ReadError> {
    let file = path.join(HOSTS_TOML);
    let hosts_toml =
        fs::read_optional(&file, fs::Limit::HOSTS_TOML).map_err(|refusal| ReadError::Refused {
            path: file.display().to_string(),
            refusal,
        })?;
    let (files, list_error) = match fs::list_dir(path) {
        Ok(files) => (files, None),
        Err(e) => (Vec::new(), Some(e)),
    };
    Ok(HostDir {
        hosts_toml: hosts_toml.map(|h| h.map(Cow::Owned)),
        files,
        list_error,
    })
}

/// A `certs.d` directory that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ReadError {
    /// The directory itself cannot be listed.
    #[error(transparent)]
    Root(#[from] PathError),
    /// A hosts.toml in it is not read.
    #[error("refusing to read {path}: {refusal}")]
    Refused {
        /// The file.
        path: String,
        /// Why.
        refusal: fs::Refusal,
    },
}

/// What containerd read from a host directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DirReading {
    /// hosts.toml, or the certificate files (and why).
    pub(crate) source: Source,
    /// hosts.toml had a top-level `server` key.
    pub(crate) has_server_key: bool,
    /// The hosts in file order (the root entry last), before `ConfigureHosts` fills in the
    /// default endpoint.
    pub(crate) hosts: Vec<HostConfig>,
}

/// `loadHostDir`: hosts.toml if present and not empty (falling back to the certificate files when
/// it does not decode), else the certificate files. `dir_path` is the node path, `shown` the path
/// for messages.
fn load_host_dir(
    d: &HostDir<'_>,
    dir_path: &str,
    shown: &str,
    flavor: Flavor,
) -> Result<DirReading, PathError> {
    let bytes = d.hosts_toml.as_ref().map_err(Clone::clone)?.as_deref();
    let cert_files = |reason| match &d.list_error {
        // loadCertFiles: os.ReadDir failed for another reason than "does not exist".
        Some(e) => Err(e.clone()),
        None => Ok(DirReading {
            source: Source::CertFiles(reason),
            has_server_key: false,
            hosts: vec![load_cert_files(d, dir_path)],
        }),
    };
    match bytes {
        None => cert_files(CertFilesReason::Missing),
        Some([]) => cert_files(CertFilesReason::Empty),
        Some(b) => match parse_hosts_file(dir_path, b, flavor) {
            Ok(parsed) => Ok(DirReading {
                source: Source::HostsToml,
                has_server_key: parsed.has_server_key,
                hosts: parsed.hosts,
            }),
            Err(error) => cert_files(CertFilesReason::Invalid(InvalidHostsToml {
                file: format!("{shown}/{HOSTS_TOML}"),
                error,
            })),
        },
    }
}

/// `loadCertFiles`: one host without URL; `*.crt` files are CAs, `*.cert` files client
/// certificates with the `*.key` of the same name when it exists.
fn load_cert_files(d: &HostDir<'_>, dir_path: &str) -> HostConfig {
    let mut h = HostConfig::empty(HostOrigin::CertFiles);
    let exists = |name: &str| d.files.iter().any(|e| e.name == name);
    for e in d.files.iter().filter(|e| !e.is_dir) {
        let name = e.name.as_str();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn tree<'f>(files: &[(&'f str, &'f str)]) -> CertsTree<'f> {
        CertsTree::from_rendered(
            "certs.d",
            "/node/certs.d",
            files.iter().map(|(d, c)| (d.as_bytes(), c.as_bytes())),
        )
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
}
