//! explain's printers: the numbered text for people and the `--json` document (schema_version 1)
//! for scripts. explain's secrets are masked here, when printing ([`crate::explain`] hands over
//! [`crate::secret::Secret`]s), and everything from a file is sanitised for the terminal; nothing
//! here computes anything containerd does.

use std::io::{self, Write};

use serde::Serialize;

use super::sanitize::clean;
use super::Reporter;
use crate::containerd::cri::AuthKind;
use crate::containerd::hosts_dir::{CertFilesReason, Source};
use crate::containerd::Flavor;
use crate::explain::{Attempt, Credentials, Explanation, Origin, Tls, TlsMode};

/// The `schema_version` of explain's JSON document.
pub(crate) const EXPLAIN_SCHEMA_VERSION: u32 = 1;

impl Reporter<'_> {
    /// explain's text: the image, the hosts directory, one numbered block per request, the
    /// default endpoint, the warnings.
    pub(crate) fn explain_text(&mut self, e: &Explanation) -> io::Result<()> {
        let show_secrets = self.show_secrets;
        let mut buf = Vec::new();
        explain_text_to(&mut buf, e, show_secrets)?;
        // Secrets quoted from the input (`[host."https://user:pw@..."]`) are masked here.
        let text = String::from_utf8_lossy(&buf);
        let text = self.mask(&text);
        self.out.write_all(text.as_bytes())?;
        self.out.flush()
    }

    /// explain's JSON document: `schema_version`, `image`, `hosts_dir`, `attempts` (`url`,
    /// `default_endpoint`, `capabilities`, `rewrite`, `tls`, `credentials`), `warnings` (`code`,
    /// `message`), plus fields added since. Fields keep the order of [`JsonDoc`].
    pub(crate) fn explain_json(&mut self, e: &Explanation) -> io::Result<()> {
        let show_secrets = self.show_secrets;
        let doc = JsonDoc::new(e, show_secrets);
        self.print_json(&doc)
    }
}

/// explain's text, with secrets (other than URL passwords) already masked by the printers below.
fn explain_text_to(out: &mut dyn Write, e: &Explanation, show_secrets: bool) -> io::Result<()> {
    let written = if e.input == e.image.to_string() {
        String::new()
    } else {
        format!(" (written {})", e.input)
    };
    writeln!(
        out,
        "image      {}{}",
        clean(&e.image.to_string()),
        clean(&written)
    )?;
    if e.containerd != Flavor::default() {
        let b = e.containerd.build();
        writeln!(out, "containerd {}: {}", b.name, b.title)?;
    }
    match &e.origin {
        Origin::Rendered { registries, .. } => writeln!(
            out,
            "files      rendered from {}, as K3s writes them",
            clean(registries)
        )?,
        Origin::Node {
            hosts_dir,
            containerd_config,
        } => match containerd_config {
            Some(c) => writeln!(
                out,
                "files      {}, credentials from {}",
                clean(hosts_dir),
                clean(c)
            )?,
            None => writeln!(
                out,
                "files      {} (no config.toml: credentials unknown)",
                clean(hosts_dir)
            )?,
        },
    }
    let looked: Vec<String> = e
        .candidates
        .iter()
        .map(|(p, found)| format!("{} ({})", clean(p), if *found { "found" } else { "absent" }))
        .collect();
    match &e.hosts_dir {
        Some(d) => writeln!(out, "hosts dir  {}", clean(d))?,
        None => writeln!(out, "hosts dir  none")?,
    }
    writeln!(out, "           looked for {}", looked.join(", "))?;
    writeln!(out, "           {}", clean(&source_text(e)))?;
    writeln!(out)?;

    if let Some(err) = &e.error {
        writeln!(
            out,
            "No request is sent: containerd fails the pull first ({}).",
            clean(err)
        )?;
    } else {
        writeln!(
                out,
                "Requests, in order: containerd sends a HEAD to each host until one answers; an error or a"
            )?;
        writeln!(
                out,
                "status >= 400 moves on to the next. Credentials go only in the retry after a 401. Content"
            )?;
        writeln!(
            out,
            "is then fetched by digest from the same hosts, in the same order{}.",
            if e.image.is_digest() {
                " (for a digest, each host is also asked at blobs/<digest> when no host has the manifest)"
            } else {
                ""
            }
        )?;
        for (i, a) in e.attempts.iter().enumerate() {
            writeln!(out)?;
            attempt_text(out, i + 1, a, show_secrets)?;
        }
        for s in &e.skipped {
            writeln!(out)?;
            writeln!(
                out,
                "-  {} (capabilities {}): skipped, {}",
                clean(&s.base),
                list(&s.capabilities),
                clean(&s.reason)
            )?;
        }
    }
    writeln!(out)?;
    let d = &e.default_endpoint;
    match (&d.url, d.last) {
        (Some(url), true) => writeln!(
            out,
            "Last: the registry's own endpoint {} ({}).",
            clean(url),
            clean(&d.reason)
        )?,
        _ => writeln!(out, "Last: no default endpoint: {}.", clean(&d.reason))?,
    }
    if let Some(up) = &d.upstream {
        writeln!(out, "      ({})", clean(up))?;
    }
    writeln!(out)?;
    if e.warnings.is_empty() {
        writeln!(out, "Warnings: none")?;
    } else {
        writeln!(out, "Warnings:")?;
        for w in &e.warnings {
            writeln!(
                out,
                "  {}[{}]: {}",
                w.severity.as_str(),
                w.code,
                clean(&w.message)
            )?;
            writeln!(out, "    fix: {}", clean(&w.help))?;
        }
    }
    out.flush()
}

/// explain's JSON document, schema_version 1. Never rename a field; add new ones freely.
#[derive(Serialize)]
struct JsonDoc<'a> {
    schema_version: u32,
    input: &'a str,
    image: String,
    registry: &'a str,
    repository: &'a str,
    object: &'a str,
    containerd: &'static str,
    files: JsonFiles<'a>,
    hosts_dir: Option<&'a str>,
    hosts_dir_candidates: Vec<JsonCandidate<'a>>,
    hosts_toml: JsonHostsToml,
    error: Option<&'a str>,
    attempts: Vec<JsonAttempt<'a>>,
    skipped_hosts: Vec<JsonSkipped<'a>>,
    default_endpoint: JsonDefault<'a>,
    warnings: Vec<JsonWarning<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum JsonFiles<'a> {
    Rendered {
        rendered_from: &'a str,
        disable_default_registry_endpoint: bool,
        embedded_registry: bool,
    },
    Node {
        hosts_dir: &'a str,
        containerd_config: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct JsonCandidate<'a> {
    path: &'a str,
    exists: bool,
}

#[derive(Serialize)]
struct JsonHostsToml {
    status: &'static str,
    error: Option<String>,
    server_key: bool,
    host_entries: usize,
}

#[derive(Serialize)]
struct JsonAttempt<'a> {
    url: &'a str,
    method: &'static str,
    host: &'a str,
    default_endpoint: bool,
    source: &'a str,
    capabilities: &'a [&'static str],
    resolves: bool,
    ns: Option<&'a str>,
    headers: Vec<JsonHeader<'a>>,
    rewrite: Option<JsonRewrite<'a>>,
    rewrite_note: &'a str,
    tls: JsonTls<'a>,
    refused: Option<&'a str>,
    credentials: Option<JsonCredentials<'a>>,
    credentials_note: &'a str,
}

#[derive(Serialize)]
struct JsonHeader<'a> {
    name: &'a str,
    values: &'a [String],
}

#[derive(Serialize)]
struct JsonRewrite<'a> {
    pattern: &'a str,
    replacement: &'a str,
    repository: &'a str,
    deterministic: bool,
    alternatives: Vec<JsonAlternative<'a>>,
}

#[derive(Serialize)]
struct JsonAlternative<'a> {
    pattern: &'a str,
    repository: &'a str,
}

#[derive(Serialize)]
struct JsonTls<'a> {
    scheme: &'a str,
    mode: &'static str,
    ca: &'a [String],
    client: &'a [[String; 2]],
    skip_verify: Option<bool>,
    fallback_on_connection_error: bool,
}

#[derive(Serialize)]
struct JsonCredentials<'a> {
    key: &'a str,
    username: &'a str,
    secret: &'a str,
    kind: &'static str,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    base: &'a str,
    capabilities: &'a [&'static str],
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonDefault<'a> {
    last: bool,
    url: Option<&'a str>,
    reason: &'a str,
    upstream_containerd: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonWarning<'a> {
    code: &'a str,
    message: &'a str,
    fix: &'a str,
    severity: &'static str,
}

impl<'a> JsonDoc<'a> {
    fn new(e: &'a Explanation, show_secrets: bool) -> Self {
        let files = match &e.origin {
            Origin::Rendered {
                registries,
                disable_default_registry_endpoint,
                embedded_registry,
            } => JsonFiles::Rendered {
                rendered_from: registries,
                disable_default_registry_endpoint: *disable_default_registry_endpoint,
                embedded_registry: *embedded_registry,
            },
            Origin::Node {
                hosts_dir,
                containerd_config,
            } => JsonFiles::Node {
                hosts_dir,
                containerd_config: containerd_config.as_deref(),
            },
        };
        let (status, error) = match &e.source {
            _ if e.error.is_some() => ("unreadable", e.error.clone()),
            Source::NoDirectory => ("none", None),
            Source::HostsToml => ("read", None),
            Source::CertFiles(CertFilesReason::Missing) => ("missing", None),
            Source::CertFiles(CertFilesReason::Empty) => ("empty", None),
            Source::CertFiles(CertFilesReason::Invalid(err)) => ("invalid", Some(err.to_string())),
        };
        JsonDoc {
            schema_version: EXPLAIN_SCHEMA_VERSION,
            input: &e.input,
            image: e.image.to_string(),
            registry: &e.image.domain,
            repository: &e.image.path,
            object: e.image.object(),
            containerd: e.containerd.build().name,
            files,
            hosts_dir: e.hosts_dir.as_deref(),
            hosts_dir_candidates: e
                .candidates
                .iter()
                .map(|(path, exists)| JsonCandidate {
                    path,
                    exists: *exists,
                })
                .collect(),
            hosts_toml: JsonHostsToml {
                status,
                error,
                server_key: e.has_server_key,
                host_entries: e.host_entries,
            },
            error: e.error.as_deref(),
            attempts: e
                .attempts
                .iter()
                .map(|a| JsonAttempt::new(a, show_secrets))
                .collect(),
            skipped_hosts: e
                .skipped
                .iter()
                .map(|s| JsonSkipped {
                    base: &s.base,
                    capabilities: &s.capabilities,
                    reason: &s.reason,
                })
                .collect(),
            default_endpoint: JsonDefault {
                last: e.default_endpoint.last,
                url: e.default_endpoint.url.as_deref(),
                reason: &e.default_endpoint.reason,
                upstream_containerd: e.default_endpoint.upstream.as_deref(),
            },
            warnings: e
                .warnings
                .iter()
                .map(|w| JsonWarning {
                    code: w.code.as_str(),
                    message: &w.message,
                    fix: &w.help,
                    severity: w.severity.as_str(),
                })
                .collect(),
        }
    }
}

impl<'a> JsonAttempt<'a> {
    fn new(a: &'a Attempt, show_secrets: bool) -> Self {
        JsonAttempt {
            url: &a.url,
            method: a.method,
            host: &a.host,
            default_endpoint: a.default_endpoint,
            source: &a.source,
            capabilities: &a.capabilities,
            resolves: a.resolves,
            ns: a.ns.as_deref(),
            headers: a
                .headers
                .iter()
                .map(|(name, values)| JsonHeader { name, values })
                .collect(),
            rewrite: a.rewrite.as_ref().map(|r| JsonRewrite {
                pattern: &r.pattern,
                replacement: &r.replacement,
                repository: &r.repository,
                deterministic: r.deterministic,
                alternatives: r
                    .alternatives
                    .iter()
                    .map(|(pattern, repository)| JsonAlternative {
                        pattern,
                        repository,
                    })
                    .collect(),
            }),
            rewrite_note: &a.rewrite_note,
            tls: JsonTls {
                scheme: &a.tls.scheme,
                mode: a.tls.mode.as_str(),
                ca: &a.tls.ca,
                client: &a.tls.client,
                skip_verify: a.tls.skip_verify,
                fallback_on_connection_error: a.tls.fallback_on_connection_error,
            },
            refused: a.refused.as_deref(),
            credentials: a.credentials.as_ref().map(|c| JsonCredentials {
                key: &c.key,
                username: &c.username,
                secret: c.secret.shown(show_secrets),
                kind: c.kind.as_str(),
            }),
            credentials_note: &a.credentials_note,
        }
    }
}

fn source_text(e: &Explanation) -> String {
    if e.error.is_some() {
        return "containerd cannot read it".to_string();
    }
    match &e.source {
        Source::NoDirectory => format!(
            "no directory applies: containerd uses its default endpoint for {}",
            e.image.domain
        ),
        Source::HostsToml => {
            let n = e.host_entries;
            let entries = format!("{n} [host] entr{}", if n == 1 { "y" } else { "ies" });
            if e.has_server_key {
                format!("hosts.toml read: {entries} and a server key")
            } else {
                format!("hosts.toml read: {entries}, no server key")
            }
        }
        Source::CertFiles(CertFilesReason::Missing) => {
            "no hosts.toml: containerd reads the directory's certificate files, default endpoint only".to_string()
        }
        Source::CertFiles(CertFilesReason::Empty) => {
            "empty hosts.toml: containerd reads the directory's certificate files, default endpoint only".to_string()
        }
        Source::CertFiles(CertFilesReason::Invalid(_)) => {
            "hosts.toml does not parse: containerd reads the directory's certificate files, default endpoint only"
                .to_string()
        }
    }
}

fn attempt_text(out: &mut dyn Write, n: usize, a: &Attempt, show_secrets: bool) -> io::Result<()> {
    writeln!(out, "{n}. {} {}", a.method, clean(&a.url))?;
    let role = if a.default_endpoint {
        "the registry's own endpoint"
    } else {
        "mirror"
    };
    writeln!(
        out,
        "   host         {} ({role}), from {}",
        clean(&a.host),
        clean(&a.source)
    )?;
    let resolves = if a.resolves {
        String::new()
    } else {
        "; not asked to resolve the reference, only to fetch content by digest".to_string()
    };
    writeln!(out, "   capabilities {}{resolves}", list(&a.capabilities))?;
    for (name, values) in &a.headers {
        let values: Vec<String> = values.iter().map(|v| clean(v).into_owned()).collect();
        writeln!(
            out,
            "   header       {}: {}",
            clean(name),
            values.join(", ")
        )?;
    }
    writeln!(out, "   rewrite      {}", clean(&a.rewrite_note))?;
    writeln!(out, "   tls          {}", clean(&tls_text(&a.tls)))?;
    if let Some(err) = &a.refused {
        writeln!(
            out,
            "   refused      never sent: {}; containerd goes on with the next host",
            clean(err)
        )?;
    }
    match &a.credentials {
        Some(c) => writeln!(
            out,
            "   credentials  {}",
            clean(&credentials_text(c, show_secrets))
        )?,
        None => writeln!(out, "   credentials  {}", clean(&a.credentials_note))?,
    }
    Ok(())
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn tls_text(t: &Tls) -> String {
    let mut parts: Vec<String> = Vec::new();
    match t.mode {
        TlsMode::PlainHttp if t.ca.is_empty() && t.client.is_empty() => {
            parts.push("plain HTTP, no TLS".to_string())
        }
        // containerd 1.6: TLS settings on an http:// host are never used.
        TlsMode::PlainHttp => {
            parts.push("plain HTTP, no TLS (its TLS settings are not used)".to_string())
        }
        TlsMode::Https => parts.push("https".to_string()),
        TlsMode::HttpsThenHttp => {
            let also = if t.fallback_on_connection_error {
                ", or when the connection is refused or times out (no port in the URL: https:443, then http:80)"
            } else {
                ""
            };
            parts.push(format!(
                "https first; retried over plain http when the server answers in plain HTTP or the handshake times \
                 out{also}"
            ));
        }
    }
    if t.mode != TlsMode::PlainHttp {
        match t.skip_verify {
            Some(true) if t.skip_verify_forced => parts.push(
                "certificate not verified (containerd skips verification for localhost)"
                    .to_string(),
            ),
            Some(true) => parts.push("certificate not verified (skip_verify)".to_string()),
            _ if t.ca.is_empty() => parts.push("verified against the system roots".to_string()),
            _ => parts.push(format!(
                "verified against the system roots and {}",
                t.ca.join(", ")
            )),
        }
        for [cert, key] in &t.client {
            if key.is_empty() {
                parts.push(format!("client certificate {cert} (key in the same file)"));
            } else {
                parts.push(format!("client certificate {cert}, key {key}"));
            }
        }
    }
    parts.join("; ")
}

fn credentials_text(c: &Credentials, show: bool) -> String {
    let key = &c.key;
    match c.kind {
        AuthKind::UsernamePassword => format!(
            "configs.\"{key}\": username {}, password {}",
            c.username,
            shown(c.secret.shown(show))
        ),
        AuthKind::IdentityToken => format!(
            "configs.\"{key}\": identity token {} (an OAuth2 refresh token)",
            shown(c.secret.shown(show))
        ),
        AuthKind::Auth => format!(
            "configs.\"{key}\": auth, decoded to username {}, password {}",
            c.username,
            shown(c.secret.shown(show))
        ),
        AuthKind::Anonymous => format!("configs.\"{key}\": empty"),
    }
}

fn shown(s: &str) -> String {
    if s.is_empty() {
        "(empty)".to_string()
    } else {
        s.to_string()
    }
}
