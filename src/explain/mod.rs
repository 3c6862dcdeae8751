//! `explain IMAGE`: the requests containerd (as K3s ships it, or the stock build `--containerd`
//! names: [`crate::containerd::builds`]) makes to pull one image, in order,
//! from the files on a node: which `certs.d` directory applies, each host's first request URL,
//! the rewrite, TLS and credentials for it, and whether the registry's own endpoint comes last.
//!
//! explain describes what containerd does with *files*, so it never re-derives K3s's rules: it
//! renders the registries file with [`crate::k3s::render`] (or reads a real `certs.d` and
//! `config.toml` with `--hosts-dir`), and hands them to [`crate::containerd`], which reads them as
//! containerd does (the same model audit stands on). The reference goes through
//! [`crate::containerd::image_ref`], rewrites through [`crate::go::regexp`]. The result is data
//! ([`Explanation`], its warnings [`Diagnostic`]s of the one catalogue); [`crate::report`] prints
//! it, and masks secrets when it does.

use crate::containerd::cri::{AuthKind, CredentialLookup, CriRegistry};
use crate::containerd::docker::{is_localhost, DOCKER_HUB, DOCKER_HUB_HOST};
use crate::containerd::gotoml::DecodeError;
use crate::containerd::hosts_dir::{
    CertFilesReason, CertsTree, DefaultFill, PlainHttp, RegistryHost, Resolution, Source,
    DEFAULT_DIR, HOSTS_TOML,
};
use crate::containerd::hosts_toml::{Capabilities, HostOrigin};
use crate::containerd::image_ref::{self, ImageRef};
use crate::containerd::{Flavor, NodeView};
use crate::diag::{Code, Diagnostic};
use crate::go::quote::quote;
use crate::go::regexp::Regexp;
use crate::go::{filepath, net, url};
use crate::k3s::model::Model;
use crate::k3s::render::Rendered;
use crate::secret::Secret;

/// The files explain reads, and where they came from.
#[derive(Debug, Clone)]
pub(crate) struct Files {
    /// The certs.d tree and config.toml, as containerd reads them.
    pub(crate) node: NodeView<'static>,
    /// Where they came from.
    pub(crate) origin: Origin,
}

/// Where explain's files came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    /// Rendered from a registries file, as K3s writes them.
    Rendered {
        /// The registries file, as named on the command line.
        registries: String,
        /// `--disable-default-registry-endpoint` was set.
        disable_default_registry_endpoint: bool,
        /// `--embedded-registry` was set.
        embedded_registry: bool,
    },
    /// Read from a node's directory.
    Node {
        /// The `--hosts-dir` directory.
        hosts_dir: String,
        /// The `--containerd-config` file, if given.
        containerd_config: Option<String>,
    },
}

impl Files {
    /// The files K3s writes for `model`: hosts files as a `certs.d` tree rooted at the node's
    /// registry directory, credentials from the rendered config.toml. The files are copied:
    /// explain renders only the few directories it reads.
    pub(crate) fn rendered(registries: &str, model: &Model, rendered: &Rendered) -> Self {
        let view = rendered.on_node(model);
        Files {
            node: NodeView {
                tree: view.tree.into_owned(),
                config: view.config,
            },
            origin: Origin::Rendered {
                registries: registries.to_string(),
                disable_default_registry_endpoint: model.node.disable_default_registry_endpoint,
                embedded_registry: model.node.embedded_registry,
            },
        }
    }

    /// A node's `certs.d` tree and, optionally, what containerd makes of its config.toml.
    pub(crate) fn node(
        hosts_dir: &str,
        tree: CertsTree<'static>,
        config: Option<(&str, Result<CriRegistry, DecodeError>)>,
    ) -> Self {
        let containerd_config = config.as_ref().map(|(name, _)| name.to_string());
        Files {
            node: NodeView {
                tree,
                config: config.map(|(_, c)| c),
            },
            origin: Origin::Node {
                hosts_dir: hosts_dir.to_string(),
                containerd_config,
            },
        }
    }
}

/// Everything explain says about one image.
#[derive(Debug, Clone)]
pub(crate) struct Explanation {
    /// The reference as given.
    pub(crate) input: String,
    /// The reference as containerd normalises it.
    pub(crate) image: ImageRef,
    /// The containerd build that reads the files.
    pub(crate) containerd: Flavor,
    /// Where the files came from.
    pub(crate) origin: Origin,
    /// The directory containerd reads (`certs.d/docker.io`), if any.
    pub(crate) hosts_dir: Option<String>,
    /// The directories containerd looks for, in order, up to the one it takes: (path, exists).
    pub(crate) candidates: Vec<(String, bool)>,
    /// What containerd read from the directory.
    pub(crate) source: Source,
    /// The hosts.toml had a top-level `server` key.
    pub(crate) has_server_key: bool,
    /// The number of `[host]` entries containerd read.
    pub(crate) host_entries: usize,
    /// containerd fails before any request (the pull fails with this).
    pub(crate) error: Option<String>,
    /// The requests, in order.
    pub(crate) attempts: Vec<Attempt>,
    /// Hosts from the file that this pull does not use.
    pub(crate) skipped: Vec<Skipped>,
    /// Whether and why the registry's own endpoint comes last.
    pub(crate) default_endpoint: DefaultEndpoint,
    /// Surprises, each with a fix: diagnostics of the one catalogue.
    pub(crate) warnings: Vec<Diagnostic>,
}

/// One host's first request.
#[derive(Debug, Clone)]
pub(crate) struct Attempt {
    /// `HEAD` for a host that resolves the reference; `GET` for one that only serves content by
    /// digest.
    pub(crate) method: &'static str,
    /// The URL of the first request, as containerd builds and logs it (for a host that does not
    /// resolve, the digest is the one another host resolved: `<digest>`).
    pub(crate) url: String,
    /// The request host, `host[:port]`: the key credentials are looked up by.
    pub(crate) host: String,
    /// The registry's own endpoint (the root entry, or the one containerd fills in).
    pub(crate) default_endpoint: bool,
    /// Where the host comes from, for people: `[host."https://m/v2"]`, `server`, ...
    pub(crate) source: String,
    /// Its capabilities.
    pub(crate) capabilities: Vec<&'static str>,
    /// It takes part in resolving the tag (or digest); `false`: it only serves fetches by digest.
    pub(crate) resolves: bool,
    /// The `ns` query parameter, when containerd adds one.
    pub(crate) ns: Option<String>,
    /// Extra request headers from hosts.toml (`header`), as written.
    pub(crate) headers: Vec<(String, Vec<String>)>,
    /// The rewrite applied to the repository, if any.
    pub(crate) rewrite: Option<Rewrite>,
    /// Why there is or is not a rewrite.
    pub(crate) rewrite_note: String,
    /// TLS and scheme.
    pub(crate) tls: Tls,
    /// Go's HTTP client refuses to send requests to this host (a header it cannot send):
    /// containerd goes on with the next host.
    pub(crate) refused: Option<String>,
    /// The credentials sent after a 401, if any.
    pub(crate) credentials: Option<Credentials>,
    /// What is sent and why.
    pub(crate) credentials_note: String,
}

/// The rewrite applied to one host's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rewrite {
    /// The pattern.
    pub(crate) pattern: String,
    /// The replacement.
    pub(crate) replacement: String,
    /// The repository requested instead.
    pub(crate) repository: String,
    /// Only one result is possible (no other rule rewrites this repository differently).
    pub(crate) deterministic: bool,
    /// Other rules that rewrite it differently: (pattern, repository).
    pub(crate) alternatives: Vec<(String, String)>,
}

/// Scheme and TLS of one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tls {
    /// The scheme of the first request.
    pub(crate) scheme: String,
    /// How the connection is made.
    pub(crate) mode: TlsMode,
    /// CA files added to the system roots.
    pub(crate) ca: Vec<String>,
    /// Client certificate and key files (an empty key: the key is in the certificate file).
    pub(crate) client: Vec<[String; 2]>,
    /// `skip_verify`, when set.
    pub(crate) skip_verify: Option<bool>,
    /// containerd set `skip_verify` itself (the localhost default endpoint).
    pub(crate) skip_verify_forced: bool,
    /// With [`TlsMode::HttpsThenHttp`] and no port in the URL, connection errors also fall back.
    pub(crate) fallback_on_connection_error: bool,
}

/// How a host is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TlsMode {
    /// HTTPS only.
    Https,
    /// Plain HTTP only.
    PlainHttp,
    /// HTTPS first, then the same URL over HTTP (containerd's `NewHTTPFallback`).
    HttpsThenHttp,
}

impl TlsMode {
    /// The JSON name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            TlsMode::Https => "https",
            TlsMode::PlainHttp => "http",
            TlsMode::HttpsThenHttp => "https-then-http",
        }
    }
}

/// Credentials found in config.toml for a request host (unmasked; the reporter masks).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The `registry.configs` key.
    pub(crate) key: String,
    /// The user name sent.
    pub(crate) username: String,
    /// The secret sent.
    pub(crate) secret: Secret,
    /// Which config.toml field it came from.
    pub(crate) kind: AuthKind,
}

/// A host the pull does not contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    /// `scheme://host/path`.
    pub(crate) base: String,
    /// Its capabilities.
    pub(crate) capabilities: Vec<&'static str>,
    /// Why.
    pub(crate) reason: String,
}

/// The registry's own endpoint at the end of the list, or why it is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DefaultEndpoint {
    /// It is the last host tried.
    pub(crate) last: bool,
    /// Its base URL.
    pub(crate) url: Option<String>,
    /// Why.
    pub(crate) reason: String,
    /// What upstream containerd would do differently, when it would.
    pub(crate) upstream: Option<String>,
}

/// Explain the pull of `image` (written `input`) from `files`, as containerd build `flavor` does
/// it.
pub(crate) fn explain(input: &str, image: &ImageRef, files: &Files, flavor: Flavor) -> Explanation {
    let ns = image.domain.as_str();
    let tree = &files.node.tree;
    let res = tree.configure_hosts(ns, flavor);
    let mut warnings: Vec<Diagnostic> = Vec::new();
    let hosts_dir = res.lookup.chosen.as_ref().map(|n| tree.display(n));
    let candidates = res
        .lookup
        .candidates
        .iter()
        .map(|(n, found)| (tree.display(n), *found))
        .collect();

    if ns == DOCKER_HUB_HOST {
        warnings.push(Diagnostic::unplaced(
    Code::ImageNamesDockerHubHost,
    format!(
                "the image names {DOCKER_HUB_HOST}, not {DOCKER_HUB}: containerd reads {} and no docker.io \
                 mirror, rewrite or TLS setting applies (nor does the library/ prefix of official images)",
                tree.display(DOCKER_HUB_HOST)
            ),
    "Write Docker Hub images as docker.io/<name> or just <name>.",
));
    }
    if let Some(chosen) = res.lookup.chosen.as_deref().filter(|c| *c != DEFAULT_DIR) {
        // Only mirrors make the shadowing a surprise: a _default without [host] entries gives every
        // registry its own endpoint anyway.
        let wild: Vec<String> = tree
            .host_entries(DEFAULT_DIR, flavor)
            .iter()
            .map(|h| format!("{}://{}{}", h.scheme, h.host, h.path))
            .collect();
        if !wild.is_empty() {
            warnings.push(Diagnostic::unplaced(
    Code::WildcardShadowed,
    format!(
                    "the mirrors of {} ({}) do not apply to {ns}: containerd reads {} instead and never merges the \
                     two",
                    tree.display(DEFAULT_DIR),
                    wild.join(", "),
                    tree.display(chosen)
                ),
    format!("Repeat the \"*\" endpoints under mirrors.\"{ns}\" if {ns} should use them."),
));
        }
    }
    if let Source::CertFiles(CertFilesReason::Invalid(err)) = &res.source {
        warnings.push(Diagnostic::unplaced(
    Code::HostsTomlInvalid,
    format!(
                "containerd cannot read this hosts.toml ({err}); it falls back to the directory's certificate \
                 files and the registry's own endpoint: no mirrors, no TLS settings, no rewrites"
            ),
    "Fix the TOML; for rewrites avoid \\ and \" (write [.] instead of \\.).",
));
    }
    if let Some(err) = &res.error {
        warnings.push(Diagnostic::unplaced(
            Code::HostsDirUnreadable,
            format!("containerd fails every pull from {ns} before sending a request: {err}"),
            "Make the hosts directory entry a readable directory, or remove it.",
        ));
    }

    let (registry, registry_note) = match &files.node.config {
        None => (
            None,
            "not known: pass --containerd-config to see the credentials".to_string(),
        ),
        Some(Err(e)) => {
            warnings.push(Diagnostic::unplaced(
    Code::ConfigTomlInvalid,
    format!("containerd cannot load config.toml ({e}): it does not start, so nothing is pulled"),
    "Remove quotes and control characters from registry names and credentials.",
));
            (None, "not known: config.toml cannot be loaded".to_string())
        }
        Some(Ok(r)) => (Some(r), String::new()),
    };
    if let (Some(r), Origin::Node { .. }) = (registry, &files.origin) {
        if r.config_path.is_none() {
            warnings.push(Diagnostic::unplaced(
    Code::ConfigPathUnset,
    format!(
                    "config.toml sets no {}.config_path: containerd does not read any hosts directory",
                    r.section
                ),
    format!("Set {}.config_path to the certs.d directory.", r.section),
));
        }
    }

    let needed = if image.is_digest() {
        Capabilities::PULL
    } else {
        Capabilities::PULL | Capabilities::RESOLVE
    };
    let mut attempts = Vec::new();
    let mut skipped = Vec::new();
    let dir_path = res
        .lookup
        .chosen
        .as_ref()
        .map(|n| filepath::join(&[&tree.node_root, n]));
    if res.error.is_none() {
        for h in &res.hosts {
            let c = &h.config;
            let base = format!("{}://{}{}", c.scheme, c.host, c.path);
            if !c.capabilities.has(Capabilities::PULL) {
                skipped.push(Skipped {
                    base,
                    capabilities: c.capabilities.names(),
                    reason: "no pull capability: never used for pulls".to_string(),
                });
                continue;
            }
            let resolves = c.capabilities.has(needed);
            attempts.push(attempt(
                image,
                h,
                &res,
                files,
                registry,
                &registry_note,
                resolves,
                flavor,
                &mut warnings,
            ));
            if let Some(dir) = &dir_path {
                tls_path_warnings(h, dir, ns, &mut warnings);
            }
        }
        if !attempts.iter().any(|a| a.resolves) {
            let (what, caps) = if image.is_digest() {
                ("pull", "pull")
            } else {
                ("resolve", "pull and resolve")
            };
            warnings.push(Diagnostic::unplaced(
    Code::NoResolveHosts,
    format!(
                    "no host has the {caps} capabilities: the pull fails with \"no {what} hosts: not found\""
                ),
    "Give at least one host the pull and resolve capabilities (K3s writes both for every mirror)."
                    ,
));
        }
    }
    credential_warnings(image, registry, &attempts, &mut warnings);
    let default_endpoint = default_endpoint(ns, &res, files, hosts_dir.as_deref(), flavor);
    // The same surprise found for several hosts is said once, where it was first found.
    let mut seen = Vec::new();
    warnings.retain(|w| {
        let new = !seen.contains(w);
        if new {
            seen.push(w.clone());
        }
        new
    });
    Explanation {
        input: input.to_string(),
        image: image.clone(),
        containerd: flavor,
        origin: files.origin.clone(),
        hosts_dir,
        candidates,
        source: res.source.clone(),
        has_server_key: res.has_server_key,
        host_entries: res.host_entries(),
        error: res.error.as_ref().map(ToString::to_string),
        attempts,
        skipped,
        default_endpoint,
        warnings,
    }
}

/// The first request to one host, with its rewrite, TLS and credentials.
#[allow(clippy::too_many_arguments)]
fn attempt(
    image: &ImageRef,
    h: &RegistryHost,
    res: &Resolution,
    files: &Files,
    registry: Option<&CriRegistry>,
    registry_note: &str,
    resolves: bool,
    flavor: Flavor,
    warnings: &mut Vec<Diagnostic>,
) -> Attempt {
    let c = &h.config;
    let ns = image.domain.as_str();
    let (rewrite, rewrite_note) = rewrite_for(image, h, flavor, warnings);
    let repository = rewrite
        .as_ref()
        .map_or(image.path.as_str(), |r| r.repository.as_str());
    // A host without the capability to resolve first meets the pull when content is fetched by
    // the digest another host resolved to.
    let object = if resolves || image.is_digest() {
        image.object()
    } else {
        "<digest>"
    };
    let (url, ns_param) = request_url(h, repository, object, ns);
    let tls = tls_for(h);
    let refused = h.request_error.as_ref().map(|e| {
        warnings.push(Diagnostic::unplaced(
            Code::HeaderInvalid,
            format!(
                "no request reaches {}: Go's HTTP client refuses it ({e}); containerd logs \"trying next host\" \
                 and goes on with the next host",
                c.host
            ),
            "Keep header values on one line without control characters; header names are tokens.",
        ));
        e.to_string()
    });
    let (credentials, credentials_note) = match registry {
        None => (None, registry_note.to_string()),
        Some(r) => credentials_for(&c.host, r, warnings),
    };
    let cleartext = match h.plain_http() {
        PlainHttp::Never => None,
        PlainHttp::OnFallback => Some(
            "can be sent over plain HTTP (containerd tries HTTPS first and falls back to HTTP)",
        ),
        PlainHttp::Always => Some("are sent over plain HTTP"),
    };
    if let (Some(how), Some(_)) = (cleartext, &credentials) {
        if !is_localhost(&c.host) {
            warnings.push(Diagnostic::unplaced(
                Code::CredentialsOverHttp,
                format!("credentials for {} {how}", c.host),
                "Serve the registry over TLS (with ca_file for a private CA).",
            ));
        }
    }
    let dir = res
        .lookup
        .chosen
        .as_deref()
        .map(|n| files.node.tree.display(n))
        .unwrap_or_default();
    let source = match (&c.origin, h.fill) {
        (HostOrigin::Table { key }, _) => format!("[host.\"{key}\"]"),
        (HostOrigin::Root { server: Some(s) }, None) => {
            format!("server = \"{s}\" in {dir}/{HOSTS_TOML}")
        }
        (HostOrigin::Root { server: Some(_) }, Some(_)) => {
            format!("server = \"\" in {dir}/{HOSTS_TOML}, filled in by containerd")
        }
        (HostOrigin::Root { server: None }, _) if res.host_entries() > 0 => {
            format!("root of {dir}/{HOSTS_TOML} (no server key), filled in by containerd")
        }
        (HostOrigin::Root { server: None }, _) => {
            format!("root of {dir}/{HOSTS_TOML} (no [host] entries), filled in by containerd")
        }
        (HostOrigin::CertFiles, _) => {
            format!("containerd's default, with the certificate files of {dir}")
        }
        (HostOrigin::NoDirectory, _) => "containerd's default (no hosts directory)".to_string(),
    };
    Attempt {
        method: if resolves { "HEAD" } else { "GET" },
        url,
        host: c.host.clone(),
        default_endpoint: h.is_default(),
        source,
        capabilities: c.capabilities.names(),
        resolves,
        ns: ns_param,
        headers: c.header.clone(),
        rewrite,
        rewrite_note,
        tls,
        refused,
        credentials,
        credentials_note,
    }
}

/// `dockerBase.request` + `addNamespace`: `scheme://host` + `path.Join("/", host.Path,
/// repository, "manifests", object)`, then `?ns=<registry>` (query-escaped) unless the host is the
/// registry itself (or `registry-1.docker.io` for `docker.io`).
fn request_url(
    h: &RegistryHost,
    repository: &str,
    object: &str,
    ns: &str,
) -> (String, Option<String>) {
    let c = &h.config;
    let mut path = filepath::join(&["/", &c.path, repository, "manifests", object]);
    // RegistryHost.isProxy
    let is_proxy = ns != c.host && !(ns == DOCKER_HUB && c.host == DOCKER_HUB_HOST);
    let ns_param = if is_proxy {
        match path.find('?') {
            // addNamespace keeps the text up to the `?` and then parses what follows the `?` in
            // the already shortened path: any query in the path is dropped.
            Some(i) if i > 0 => path.truncate(i + 1),
            _ => path.push('?'),
        }
        path.push_str("ns=");
        path.push_str(&url::query_escape(ns).to_string());
        Some(ns.to_string())
    } else {
        None
    };
    (format!("{}://{}{}", c.scheme, c.host, path), ns_param)
}

/// `withRewritesFromHost` (K3s fork, resolver.go; called anew for the resolve request and for
/// every fetch in fetcher.go): the first rule, in Go's random map order, whose
/// `ReplaceAllString` changes the repository; rules that do not compile are skipped. The rules
/// are the ones containerd read from hosts.toml (after TOML unescaping).
fn rewrite_for(
    image: &ImageRef,
    h: &RegistryHost,
    flavor: Flavor,
    warnings: &mut Vec<Diagnostic>,
) -> (Option<Rewrite>, String) {
    let c = &h.config;
    let repo = image.path.as_str();
    if !flavor.build().rewrites {
        return (
            None,
            format!(
                "none: {} does not read rewrite tables",
                flavor.build().title
            ),
        );
    }
    if c.rewrites.is_empty() {
        let note = if h.is_default() {
            "none: rewrites never apply to the registry's own endpoint (K3s writes them only for mirrors)"
        } else {
            "none: this host has no rewrite rules"
        };
        return (None, note.to_string());
    }
    let mut changed: Vec<(String, String, String)> = Vec::new();
    for (pattern, replacement) in &c.rewrites {
        let re = match Regexp::compile(pattern) {
            Ok(re) => re,
            Err(e) => {
                warnings.push(Diagnostic::unplaced(
    Code::RewriteInvalidRegex,
    format!(
                        "rewrite pattern {} for {} is not valid Go RE2 ({e}): containerd logs \"Failed to compile \
                         rewrite\" and skips it",
                        quote(pattern),
                        c.host
                    ),
    "RE2 has no look-around or back-references; rewrite with anchored alternatives.",
));
                continue;
            }
        };
        let (rr, count) = re.replace_all_counted(repo, replacement);
        if rr == repo {
            continue;
        }
        if count > 1 {
            warnings.push(Diagnostic::unplaced(
    Code::RewriteMultipleMatches,
    format!(
                    "rewrite pattern {} for {} matches {repo} {count} times and ReplaceAllString replaces each: \
                     {repo} -> {rr}",
                    quote(pattern),
                    c.host
                ),
    "Anchor the pattern (^...$) so it matches the repository once.",
));
        }
        if !image_ref::is_valid_path(&rr) {
            warnings.push(Diagnostic::unplaced(
    Code::RewriteInvalidRepository,
    format!(
                    "rewriting {repo} for {} gives {}, which is not a valid repository name: the mirror will not \
                     find it",
                    c.host,
                    quote(&rr)
                ),
    "Make the replacement produce lower-case path components separated by /.",
));
        }
        changed.push((pattern.clone(), replacement.clone(), rr));
    }
    let Some((pattern, replacement, repository)) = changed.first().cloned() else {
        warnings.push(Diagnostic::unplaced(
    Code::RewriteNoMatch,
    format!(
                "no rewrite rule for {} changes {repo}: it is requested as {repo}",
                c.host
            ),
    format!(
                "Match the repository as containerd sees it ({repo}; official Docker Hub images are library/<name>)."
            ),
));
        let patterns: Vec<String> = c.rewrites.iter().map(|(p, _)| quote(p)).collect();
        return (
            None,
            format!("none: no rule changes {repo} ({})", patterns.join(", ")),
        );
    };
    let alternatives: Vec<(String, String)> = changed
        .iter()
        .skip(1)
        .filter(|(_, _, r)| *r != repository)
        .map(|(p, _, r)| (p.clone(), r.clone()))
        .collect();
    let deterministic = alternatives.is_empty();
    let note = if deterministic {
        format!("{repo} -> {repository}")
    } else {
        let mut results: Vec<String> = vec![format!("{repository} ({})", quote(&pattern))];
        results.extend(
            alternatives
                .iter()
                .map(|(p, r)| format!("{r} ({})", quote(p))),
        );
        warnings.push(Diagnostic::unplaced(
    Code::RewriteOrderNondeterministic,
    format!(
                "{} rewrite rules for {} change {repo} differently; containerd picks one in Go's random map order \
                 for every request (the manifest and each blob anew), so one pull can mix {}, and fail with not found",
                results.len(),
                c.host,
                results.join(" and ")
            ),
    "Make the patterns mutually exclusive (anchor them with distinct prefixes).",
));
        format!(
            "{repo} -> one of {}, at random for every request",
            results.join(", ")
        )
    };
    (
        Some(Rewrite {
            pattern,
            replacement,
            repository,
            deterministic,
            alternatives,
        }),
        note,
    )
}

/// Scheme and TLS as `ConfigureHosts` settles them.
fn tls_for(h: &RegistryHost) -> Tls {
    let c = &h.config;
    let mode = if h.http_fallback {
        TlsMode::HttpsThenHttp
    } else if c.scheme == "http" {
        TlsMode::PlainHttp
    } else {
        TlsMode::Https
    };
    let port = net::split_host_port(&c.host)
        .map(|(_, p)| p)
        .unwrap_or_default();
    Tls {
        scheme: c.scheme.clone(),
        mode,
        ca: c.ca_certs.clone().unwrap_or_default(),
        client: c.client_pairs.clone().unwrap_or_default(),
        skip_verify: c.skip_verify,
        skip_verify_forced: h.fill == Some(DefaultFill::Localhost) && c.skip_verify == Some(true),
        // isPortError: connection refused and timeouts fall back only when the URL has no port.
        fallback_on_connection_error: h.http_fallback && port.is_empty(),
    }
}

/// A TLS path that `makeAbsPath` turned into the host directory itself (an empty `ca`, `client`
/// or key path): containerd cannot read it as a file, and fails every pull from the registry.
/// The codes are the ones audit gives the registries.yaml settings that make K3s write them.
fn tls_path_warnings(h: &RegistryHost, dir: &str, ns: &str, warnings: &mut Vec<Diagnostic>) {
    let c = &h.config;
    let fails = format!(
        "containerd resolves it to the hosts directory {dir} and fails every pull from {ns} (\"unable to read \
         ... is a directory\")"
    );
    if c.ca_certs.iter().flatten().any(|p| p == dir) {
        warnings.push(Diagnostic::unplaced(
            Code::TlsFileUnusable,
            format!("a ca path of {} is empty: {fails}", c.host),
            "Remove the empty ca entry (and ca_file: \"\" in registries.yaml).",
        ));
    }
    for [cert, key] in c.client_pairs.iter().flatten() {
        if cert == dir {
            warnings.push(Diagnostic::unplaced(
                Code::TlsKeyWithoutCert,
                format!(
                    "the client certificate path of {} is empty: {fails}",
                    c.host
                ),
                "Set cert_file too (or remove key_file).",
            ));
        }
        if key == dir {
            warnings.push(Diagnostic::unplaced(
                Code::TlsCertWithoutKey,
                format!("the client key path of {} is empty: {fails}", c.host),
                "Set key_file too (a combined certificate+key PEM still needs key_file: name the same file), or remove cert_file.",
            ));
        }
    }
}

/// The config.toml auth entry containerd uses for a request host: `registry.configs[host]`, an
/// exact lookup by `host[:port]`.
fn credentials_for(
    host: &str,
    r: &CriRegistry,
    warnings: &mut Vec<Diagnostic>,
) -> (Option<Credentials>, String) {
    match r.credentials_for(host) {
        CredentialLookup::NoEntry => {
            let mut note =
                format!("none: config.toml has no credentials for \"{host}\" (registry.configs)");
            if host == DOCKER_HUB_HOST {
                if let Some(k) = [DOCKER_HUB, "index.docker.io"]
                    .into_iter()
                    .find(|k| r.auths.contains_key(*k))
                {
                    note.push_str(&format!(
                        " (it has one under \"{k}\", which containerd never asks for)"
                    ));
                }
            }
            (None, note)
        }
        CredentialLookup::Empty => (
            None,
            format!("none: configs.\"{host}\".auth is empty, so the request stays anonymous"),
        ),
        CredentialLookup::Found(c) => {
            if c.kind == AuthKind::UsernamePassword && c.secret.is_empty() {
                warnings.push(Diagnostic::unplaced(
                    Code::AuthIncomplete,
                    format!(
                        "configs.\"{host}\".auth has a username but no password: Basic authentication fails with \
                         \"no basic auth credentials\", token servers hand out an anonymous token"
                    ),
                    "Set the password too.",
                ));
            }
            (
                Some(Credentials {
                    key: host.to_string(),
                    username: c.username,
                    secret: c.secret,
                    kind: c.kind,
                }),
                "sent when the registry answers 401 (the first request goes without)".to_string(),
            )
        }
        CredentialLookup::Unusable(e) => {
            warnings.push(Diagnostic::unplaced(
                Code::AuthInvalidBase64,
                format!(
                    "configs.\"{host}\".auth cannot be used ({e}): requests to {host} fail once it asks for credentials"
                ),
                "Use username and password, or set auth to the base64 of user:password.",
            ));
            (
                None,
                format!("none: configs.\"{host}\".auth is unusable ({e})"),
            )
        }
    }
}

/// Credentials in config.toml that look meant for this pull but are never sent.
fn credential_warnings(
    image: &ImageRef,
    registry: Option<&CriRegistry>,
    attempts: &[Attempt],
    warnings: &mut Vec<Diagnostic>,
) {
    let Some(r) = registry else {
        return;
    };
    let ns = image.domain.as_str();
    let contacted: Vec<&str> = attempts.iter().map(|a| a.host.as_str()).collect();
    let hostname = |h: &str| {
        url::parse(format!("//{h}"))
            .map(|u| u.hostname().to_string())
            .unwrap_or_default()
    };
    for key in r.auths.keys() {
        if contacted.contains(&key.as_str()) {
            continue;
        }
        if key == "*" {
            warnings.push(Diagnostic::unplaced(
    Code::WildcardConfigIgnored,
    "credentials under configs.\"*\" are never sent: containerd has no wildcard credential lookup",
    "Give credentials per host: configs.\"<host[:port]>\".",
));
            continue;
        }
        if (key == DOCKER_HUB || key == "index.docker.io") && ns == DOCKER_HUB {
            warnings.push(Diagnostic::unplaced(
    Code::AuthNeverUsed,
    format!(
                    "credentials under configs.\"{key}\" are never sent: Docker Hub requests go to {DOCKER_HUB_HOST}, \
                     and containerd looks credentials up by the request host"
                ),
    format!("Key them as configs.\"{DOCKER_HUB_HOST}\"."),
));
            continue;
        }
        let same_name = contacted
            .iter()
            .find(|h| !hostname(h).is_empty() && hostname(h) == hostname(key));
        if key == ns || same_name.is_some() {
            let target = same_name
                .copied()
                .or_else(|| contacted.first().copied())
                .unwrap_or(ns);
            warnings.push(Diagnostic::unplaced(
    Code::ConfigNotForEndpoint,
    format!(
                    "credentials under configs.\"{key}\" are not sent for this pull: it contacts {}; containerd \
                     looks credentials up by each request's exact host[:port]",
                    if contacted.is_empty() {
                        "no host".to_string()
                    } else {
                        contacted.join(" and ")
                    }
                ),
    format!("Key the credentials by the endpoint's host[:port], e.g. configs.\"{target}\"."),
));
        }
    }
}

/// Whether the registry's own endpoint comes last, and why (not).
fn default_endpoint(
    ns: &str,
    res: &Resolution,
    files: &Files,
    dir: Option<&str>,
    flavor: Flavor,
) -> DefaultEndpoint {
    let last = res
        .hosts
        .last()
        .filter(|h| res.error.is_none() && h.is_default());
    let dir = dir.unwrap_or_default();
    if let Some(h) = last {
        let c = &h.config;
        let url = format!("{}://{}{}", c.scheme, c.host, c.path);
        let reason = match (&res.source, &c.origin) {
            (Source::NoDirectory, _) => format!("no hosts directory for {ns}: containerd's own default endpoint"),
            (Source::CertFiles(CertFilesReason::Invalid(_)), _) => {
                format!("{dir}/{HOSTS_TOML} is invalid: containerd uses the registry's own endpoint only")
            }
            (Source::CertFiles(CertFilesReason::Missing), _) => {
                format!("{dir} has no hosts.toml: containerd uses the registry's own endpoint only")
            }
            (Source::CertFiles(CertFilesReason::Empty), _) => {
                format!("{dir}/{HOSTS_TOML} is empty: containerd uses the registry's own endpoint only")
            }
            (_, HostOrigin::Root { server: Some(s) }) if s.is_empty() => format!(
                "server = \"\" in {dir}/{HOSTS_TOML}: containerd fills in {ns}'s own endpoint and tries it last"
            ),
            (_, HostOrigin::Root { server: Some(_) }) => format!("server in {dir}/{HOSTS_TOML}"),
            (_, HostOrigin::Root { server: None }) if res.host_entries() > 0 => format!(
                "{dir}/{HOSTS_TOML} has no top-level server key, and {} appends the registry's own endpoint anyway",
                flavor.build().title
            ),
            _ => format!("{dir}/{HOSTS_TOML} has no [host] entries, so containerd uses its root as the endpoint"),
        };
        return DefaultEndpoint {
            last: true,
            url: Some(url),
            reason,
            upstream: None,
        };
    }
    if let Some(err) = &res.error {
        return DefaultEndpoint {
            last: false,
            url: None,
            reason: format!("containerd fails before any request: {err}"),
            upstream: None,
        };
    }
    let why = match &files.origin {
        Origin::Rendered {
            disable_default_registry_endpoint: true,
            ..
        } => " (K3s leaves it out for --disable-default-registry-endpoint)",
        _ => "",
    };
    let upstream = CertsTree::default().configure_hosts(ns, Flavor::Upstream);
    let upstream_url = upstream
        .hosts
        .first()
        .map(|h| format!("{}://{}{}", h.config.scheme, h.config.host, h.config.path))
        .unwrap_or_default();
    DefaultEndpoint {
        last: false,
        url: None,
        reason: format!(
            "{dir}/{HOSTS_TOML} has [host] entries and no top-level server key{why}: K3s's containerd adds no \
             default endpoint, so the pull fails when these hosts fail"
        ),
        upstream: Some(format!("upstream containerd would still try {upstream_url} last")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k3s::node::NodeOptions;
    use crate::registries::{Mirror, Registry};
    use proptest::prelude::*;

    fn files_for(yaml: &str, node: &NodeOptions) -> (Model, Files) {
        let loaded = crate::registries::load_str(yaml.as_bytes(), "test").expect("valid yaml");
        let model = crate::k3s::translate::translate(&loaded.registry, node);
        let rendered = crate::k3s::render::render(&model).expect("renders");
        let files = Files::rendered("test", &model, &rendered);
        (model, files)
    }

    fn explain_str(yaml: &str, image: &str, node: &NodeOptions) -> Explanation {
        let (_, files) = files_for(yaml, node);
        let r = image_ref::parse_docker_ref(image).expect("valid reference");
        explain(image, &r, &files, Flavor::K3sFork)
    }

    fn urls(e: &Explanation) -> Vec<&str> {
        e.attempts.iter().map(|a| a.url.as_str()).collect()
    }

    fn codes(e: &Explanation) -> Vec<&str> {
        e.warnings.iter().map(|w| w.code.as_str()).collect()
    }

    #[test]
    fn mirror_then_default_with_ns() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://mirror.example.com:5000\"]\n";
        let e = explain_str(yaml, "nginx", &NodeOptions::default());
        assert_eq!(
            urls(&e),
            [
                "https://mirror.example.com:5000/v2/library/nginx/manifests/latest?ns=docker.io",
                "https://registry-1.docker.io/v2/library/nginx/manifests/latest",
            ]
        );
        assert!(e.default_endpoint.last);
        assert_eq!(e.hosts_dir.as_deref(), Some("certs.d/docker.io"));
    }

    #[test]
    fn ns_is_query_escaped_and_override_path_used_verbatim() {
        let yaml = "mirrors:\n  registry.example.com:5000:\n    endpoint: [\"https://h.example.com/v2/proxy\"]\n";
        let e = explain_str(
            yaml,
            "registry.example.com:5000/team/app:1.2",
            &NodeOptions::default(),
        );
        assert_eq!(
            urls(&e),
            [
                "https://h.example.com/v2/proxy/team/app/manifests/1.2?ns=registry.example.com%3A5000",
                "https://registry.example.com:5000/v2/team/app/manifests/1.2",
            ]
        );
    }

    #[test]
    fn rewrites_apply_to_mirrors_only_and_warn() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      \"^library/(.*)\": \"mirrored/$1\"\n      \"(.*)\": \"all/$1\"\n";
        let e = explain_str(yaml, "nginx", &NodeOptions::default());
        let rw = e.attempts[0].rewrite.as_ref().expect("rewritten");
        assert!(!rw.deterministic);
        assert!(codes(&e).contains(&"rewrite-order-nondeterministic"));
        assert!(e.attempts[1].rewrite.is_none());
        let e = explain_str(
            yaml.replace("\"(.*)\": \"all/$1\"\n", "").as_str(),
            "bitnami/redis",
            &NodeOptions::default(),
        );
        assert!(codes(&e).contains(&"rewrite-no-match"));
    }

    #[test]
    fn no_default_endpoint() {
        let yaml =
            "mirrors:\n  docker.io:\n    endpoint: [\"http://docker-cache.internal:5000\"]\n";
        let node = NodeOptions {
            disable_default_registry_endpoint: true,
            ..NodeOptions::default()
        };
        let e = explain_str(yaml, "nginx", &node);
        assert_eq!(
            urls(&e),
            ["http://docker-cache.internal:5000/v2/library/nginx/manifests/latest?ns=docker.io"]
        );
        assert!(!e.default_endpoint.last);
        assert!(e.default_endpoint.upstream.is_some());
    }

    #[test]
    fn credentials_by_request_host() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com:5000\"]\nconfigs:\n  docker.io:\n    auth: {username: u, password: p}\n  m.example.com:\n    auth: {username: u2, password: p2}\n";
        let e = explain_str(yaml, "nginx", &NodeOptions::default());
        assert!(e.attempts.iter().all(|a| a.credentials.is_none()));
        let c = codes(&e);
        assert!(c.contains(&"auth-never-used"), "{c:?}");
        assert!(c.contains(&"config-not-for-endpoint"), "{c:?}");
        assert!(e.attempts[1].credentials_note.contains("docker.io"));
    }

    #[test]
    fn wildcard_and_shadowing() {
        let yaml = "mirrors:\n  \"*\":\n    endpoint: [\"https://m.example.com\"]\nconfigs:\n  ghcr.io:\n    auth: {username: u, password: p}\n";
        let e = explain_str(
            yaml,
            "quay.io/prometheus/node-exporter:v1.8.0",
            &NodeOptions::default(),
        );
        assert_eq!(
            urls(&e),
            [
                "https://m.example.com/v2/prometheus/node-exporter/manifests/v1.8.0?ns=quay.io",
                "https://quay.io/v2/prometheus/node-exporter/manifests/v1.8.0",
            ]
        );
        let e = explain_str(yaml, "ghcr.io/org/img:1", &NodeOptions::default());
        assert!(codes(&e).contains(&"wildcard-shadowed"));
        assert_eq!(e.attempts.len(), 1);
        assert!(e.attempts[0].credentials.is_some());
    }

    #[test]
    fn invalid_hosts_toml_falls_back() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^library/(.*)\\.x$': 'lib/$1'\n";
        let e = explain_str(yaml, "nginx", &NodeOptions::default());
        assert!(codes(&e).contains(&"hosts-toml-invalid"));
        assert_eq!(
            urls(&e),
            ["https://registry-1.docker.io/v2/library/nginx/manifests/latest"]
        );
    }

    /// Registry names and endpoints the proptest draws from: valid reference domains, not
    /// localhost, not Docker Hub (whose default host differs from its name).
    fn registry_name() -> impl Strategy<Value = String> {
        ("[a-z]{1,6}", proptest::option::of(1000u16..9999)).prop_map(|(n, port)| match port {
            Some(p) => format!("{n}.example.com:{p}"),
            None => format!("{n}.example.com"),
        })
    }

    fn endpoint() -> impl Strategy<Value = String> {
        (
            prop_oneof![Just("https://"), Just("http://"), Just("")],
            registry_name(),
            prop_oneof![Just(""), Just("/v2"), Just("/prefix"), Just("/v2/proxy")],
        )
            .prop_map(|(s, h, p)| format!("{s}{h}{p}"))
    }

    fn registry() -> impl Strategy<Value = Registry> {
        let name = prop_oneof![4 => registry_name(), 1 => Just("docker.io".to_string())];
        (
            proptest::collection::btree_map(
                name,
                proptest::collection::vec(endpoint(), 0..4),
                1..4,
            ),
            // configs for some of the same names (and others): TLS and credentials decide
            // which registries get a directory, never which hosts a directory lists.
            proptest::collection::btree_map(
                prop_oneof![
                    registry_name(),
                    Just("docker.io".to_string()),
                    Just("registry-1.docker.io".to_string())
                ],
                (any::<bool>(), any::<bool>()),
                0..3,
            ),
        )
            .prop_map(|(mirrors, configs)| Registry {
                mirrors: mirrors
                    .into_iter()
                    .map(|(k, endpoints): (String, Vec<String>)| {
                        (
                            k.into(),
                            Mirror {
                                endpoints: endpoints.into_iter().map(Into::into).collect(),
                                rewrites: Default::default(),
                            },
                        )
                    })
                    .collect(),
                configs: configs
                    .into_iter()
                    .map(|(k, (auth, tls))| {
                        let c = crate::registries::RegistryConfig {
                            auth: auth.then(|| crate::registries::AuthConfig {
                                username: "u".into(),
                                password: "p".into(),
                                ..Default::default()
                            }),
                            tls: tls.then(|| crate::registries::TlsConfig {
                                ca_file: "/etc/ca.crt".into(),
                                ..Default::default()
                            }),
                        };
                        (k.into(), c)
                    })
                    .collect(),
                ..Registry::default()
            })
    }

    proptest! {
        /// explain agrees with render: for an image of each mirrored registry, the hosts contacted
        /// are that registry's hosts.toml [host] entries in order, then its server when present
        /// (or containerd's default when K3s wrote no file).
        #[test]
        fn endpoints_are_the_rendered_hosts_in_order(
            reg in registry(),
            disable_default in any::<bool>(),
            embedded in any::<bool>(),
        ) {
            let node = NodeOptions::with_flags(disable_default, embedded);
            let model = crate::k3s::translate::translate(&reg, &node);
            let rendered = crate::k3s::render::render(&model).expect("renders");
            let files = Files::rendered("test", &model, &rendered);
            for key in reg.mirrors.keys() {
                let image = image_ref::parse_docker_ref(&format!("{key}/team/app:1")).expect("valid");
                let e = explain(&key.to_string(), &image, &files, Flavor::K3sFork);
                let got: Vec<String> = e
                    .attempts
                    .iter()
                    .map(|a| a.url.split("/team/app/manifests/").next().unwrap_or_default().to_string())
                    .collect();
                let base = |u: &crate::go::url::Url| format!("{}://{}{}", u.scheme, u.host, u.path);
                let expected: Vec<String> = match model.hosts.get(key) {
                    Some(hc) => hc
                        .endpoints
                        .iter()
                        .filter_map(|ep| ep.url.as_deref().map(base))
                        .chain(hc.default.iter().filter_map(|d| d.url.as_deref()).filter(|u| !u.host.is_empty()).map(base))
                        .collect(),
                    // No file: containerd's own default host (docker.io is served by registry-1.docker.io).
                    None => vec![format!("https://{}/v2", crate::containerd::docker::default_host(key))],
                };
                // TLS with plain http: containerd upgrades the scheme (tested elsewhere); compare
                // host and path here, and the scheme where no fallback applies.
                let strip = |s: &str| s.split_once("://").map(|(_, r)| r.to_string()).unwrap_or_default();
                prop_assert_eq!(
                    got.iter().map(|s| strip(s)).collect::<Vec<_>>(),
                    expected.iter().map(|s| strip(s)).collect::<Vec<_>>(),
                    "registry {}", key
                );
                for (a, want) in e.attempts.iter().zip(&expected) {
                    if a.tls.mode != TlsMode::HttpsThenHttp {
                        prop_assert!(a.url.starts_with(want.as_str()), "{} vs {}", a.url, want);
                    }
                }
            }
        }
    }
    // The ways the containerd builds read certs.d differently (crate::containerd::builds), one
    // test each, over all three builds. The `1.6` column is also observed against a real
    // containerd 1.6.20 by tests/e2e; the fork's and 2.x's rest on reading their source.

    fn explain_as(yaml: &str, image: &str, node: &NodeOptions, flavor: Flavor) -> Explanation {
        let (_, files) = files_for(yaml, node);
        let r = image_ref::parse_docker_ref(image).expect("valid reference");
        explain(image, &r, &files, flavor)
    }

    fn explain_tree(dir: &str, hosts_toml: &str, image: &str, flavor: Flavor) -> Explanation {
        let tree = CertsTree::from_rendered(
            "/etc/containerd/certs.d",
            "/etc/containerd/certs.d",
            [(dir.as_bytes(), hosts_toml.as_bytes())],
        );
        let files = Files::node("/etc/containerd/certs.d", tree.into_owned(), None);
        let r = image_ref::parse_docker_ref(image).expect("valid reference");
        explain(image, &r, &files, flavor)
    }

    /// vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:246-259 and
    /// containerd v2.1.5 core/remotes/docker/config/hosts.go:214-227 wrap an http host with TLS
    /// settings in NewHTTPFallback and try https first; containerd v1.6.20
    /// remotes/docker/config/hosts.go:162-235 only builds the TLS config and keeps the scheme.
    #[test]
    fn http_endpoint_with_tls_settings_by_build() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"http://m.example.com:5000\"]\nconfigs:\n  m.example.com:5000:\n    tls: {insecure_skip_verify: true}\n";
        for flavor in [Flavor::K3sFork, Flavor::Upstream] {
            let e = explain_as(yaml, "nginx", &NodeOptions::default(), flavor);
            assert_eq!(
                urls(&e)[0],
                "https://m.example.com:5000/v2/library/nginx/manifests/latest?ns=docker.io"
            );
            assert_eq!(e.attempts[0].tls.mode, TlsMode::HttpsThenHttp, "{flavor:?}");
        }
        let e = explain_as(yaml, "nginx", &NodeOptions::default(), Flavor::Containerd16);
        assert_eq!(
            urls(&e)[0],
            "http://m.example.com:5000/v2/library/nginx/manifests/latest?ns=docker.io"
        );
        assert_eq!(e.attempts[0].tls.mode, TlsMode::PlainHttp);
        assert_eq!(e.attempts[0].tls.skip_verify, Some(true));
    }

    /// vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:103-124 and
    /// containerd v2.1.5 core/remotes/docker/config/hosts.go:104-124: a loopback registry's own
    /// endpoint is https on no port or 443, else http with skip_verify (so https first); port 80
    /// is plain http. containerd v1.6.20 remotes/docker/config/hosts.go:102-112: plain http.
    #[test]
    fn loopback_registry_endpoint_by_build() {
        let cases = [
            (
                "127.0.0.1:5000/app:1",
                "https://127.0.0.1:5000",
                TlsMode::HttpsThenHttp,
            ),
            ("localhost/app:1", "https://localhost", TlsMode::Https),
            ("[::1]:443/app:1", "https://[::1]:443", TlsMode::Https),
            (
                "localhost:80/app:1",
                "http://localhost:80",
                TlsMode::PlainHttp,
            ),
        ];
        for (image, base, mode) in cases {
            for flavor in [Flavor::K3sFork, Flavor::Upstream] {
                let e = explain_as("", image, &NodeOptions::default(), flavor);
                assert_eq!(
                    urls(&e),
                    [format!("{base}/v2/app/manifests/1")],
                    "{image} {flavor:?}"
                );
                assert_eq!(e.attempts[0].tls.mode, mode, "{image} {flavor:?}");
            }
            let e = explain_as("", image, &NodeOptions::default(), Flavor::Containerd16);
            let plain = base.replacen("https://", "http://", 1);
            assert_eq!(
                urls(&e),
                [format!("{plain}/v2/app/manifests/1")],
                "{image} 1.6"
            );
            assert_eq!(e.attempts[0].tls.mode, TlsMode::PlainHttp, "{image} 1.6");
        }
    }

    /// vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:398-413 appends the
    /// root entry only with a top-level server key (or no [host] entries); containerd v2.1.5
    /// core/remotes/docker/config/hosts.go:413-418 and v1.6.20 remotes/docker/config/hosts.go:
    /// 370-375 always append it.
    #[test]
    fn no_server_key_by_build() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n";
        let node = NodeOptions {
            disable_default_registry_endpoint: true,
            ..NodeOptions::default()
        };
        let mirror = "https://m.example.com/v2/library/nginx/manifests/latest?ns=docker.io";
        let e = explain_as(yaml, "nginx", &node, Flavor::K3sFork);
        assert_eq!(urls(&e), [mirror]);
        assert!(!e.default_endpoint.last);
        for flavor in [Flavor::Upstream, Flavor::Containerd16] {
            let e = explain_as(yaml, "nginx", &node, flavor);
            assert_eq!(
                urls(&e),
                [
                    mirror,
                    "https://registry-1.docker.io/v2/library/nginx/manifests/latest"
                ],
                "{flavor:?}"
            );
            assert!(e.default_endpoint.last, "{flavor:?}");
            assert!(
                e.default_endpoint
                    .reason
                    .contains("no top-level server key")
                    && e.default_endpoint.reason.contains(flavor.build().title),
                "{}",
                e.default_endpoint.reason
            );
        }
    }

    /// vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:357-359 reads
    /// `rewrite` and resolver.go:294 applies it (withRewritesFromHost, resolver.go:520); the
    /// hostFileConfig of containerd v2.1.5 (hosts.go:337-377) and v1.6.20 (hosts.go:289-325) has no
    /// such field.
    #[test]
    fn rewrites_by_build() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      \"^library/(.*)\": \"mirrored/$1\"\n";
        let e = explain_as(yaml, "nginx", &NodeOptions::default(), Flavor::K3sFork);
        assert_eq!(
            urls(&e)[0],
            "https://m.example.com/v2/mirrored/nginx/manifests/latest?ns=docker.io"
        );
        for flavor in [Flavor::Upstream, Flavor::Containerd16] {
            let e = explain_as(yaml, "nginx", &NodeOptions::default(), flavor);
            assert_eq!(
                urls(&e)[0],
                "https://m.example.com/v2/library/nginx/manifests/latest?ns=docker.io",
                "{flavor:?}"
            );
            assert!(e.attempts[0].rewrite.is_none());
            assert!(
                e.attempts[0]
                    .rewrite_note
                    .contains("does not read rewrite tables"),
                "{}",
                e.attempts[0].rewrite_note
            );
            assert!(
                !codes(&e).iter().any(|c| c.starts_with("rewrite-")),
                "{:?}",
                codes(&e)
            );
        }
    }

    /// containerd v1.6.20 remotes/docker/config/hosts.go:346,497-501: getSortedHosts refuses a file
    /// without a `host` table, so loadHostDir ignores it; 2.x's getSortedHosts (v2.1.5 hosts.go:548,
    /// the fork's hosts.go:561) needs none.
    #[test]
    fn hosts_toml_without_host_table_by_build() {
        let text = "server = \"https://m.example.com\"\n";
        for flavor in [Flavor::K3sFork, Flavor::Upstream] {
            let e = explain_tree("docker.io", text, "nginx", flavor);
            assert_eq!(
                urls(&e),
                ["https://m.example.com/v2/library/nginx/manifests/latest?ns=docker.io"],
                "{flavor:?}"
            );
        }
        let e = explain_tree("docker.io", text, "nginx", Flavor::Containerd16);
        assert_eq!(
            urls(&e),
            ["https://registry-1.docker.io/v2/library/nginx/manifests/latest"]
        );
        assert!(
            matches!(&e.source, Source::CertFiles(CertFilesReason::Invalid(err)) if err.to_string().contains("invalid `host` tree")),
            "{:?}",
            e.source
        );
        assert!(codes(&e).contains(&"hosts-toml-invalid"));
        // An empty [host] table is enough.
        let e = explain_tree(
            "docker.io",
            &format!("{text}[host]\n"),
            "nginx",
            Flavor::Containerd16,
        );
        assert_eq!(
            urls(&e),
            ["https://m.example.com/v2/library/nginx/manifests/latest?ns=docker.io"]
        );
    }

    /// What K3s writes is read the same way by every build, in the respects the builds share.
    #[test]
    fn k3s_files_read_alike_where_the_builds_agree() {
        let yaml = "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com:5000\", \"http://10.0.0.1:5000\"]\nconfigs:\n  m.example.com:5000:\n    auth: {username: u, password: p}\n    tls: {ca_file: /etc/ca.crt}\n";
        let fork = explain_as(yaml, "nginx", &NodeOptions::default(), Flavor::K3sFork);
        for flavor in Flavor::all() {
            let e = explain_as(yaml, "nginx", &NodeOptions::default(), flavor);
            assert_eq!(urls(&e), urls(&fork), "{flavor:?}");
            assert_eq!(e.attempts[0].credentials, fork.attempts[0].credentials);
            assert_eq!(e.containerd, flavor);
        }
    }
}
