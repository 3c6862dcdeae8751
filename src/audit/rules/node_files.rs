//! Rules about files on the node: the registries file's mode (`--check-files`), an existing
//! certs.d (`--hosts-dir`) and config.toml (`--containerd-config`). The node's files are read by
//! the command layer; what containerd makes of them comes from the same [`crate::containerd`]
//! model explain uses, so audit reports a hosts.toml problem for a host exactly when explain
//! says containerd cannot use its file.

use std::path::Path;

use super::super::context::{quote, Ctx};
use super::super::{ConfigToml, NodeFiles};
use crate::containerd::gotoml::DecodeError;
use crate::containerd::hosts_dir::{
    CertFilesReason, CertsTree, DirReading, Source, TreeEntry, DEFAULT_DIR, HOSTS_TOML,
};
use crate::containerd::hosts_toml::{Capabilities, HostOrigin};
use crate::containerd::http::validate_headers;
use crate::diag::Code;
use crate::diag::{Diagnostic, Location, Severity};
use crate::fs;
use crate::go::string::{BStr, ByteSlice};
use crate::write::HOSTS_TOML_HEADER;

/// Every node-file rule.
pub(crate) fn check(ctx: &mut Ctx<'_>, node: &NodeFiles) {
    if ctx.opts.check_files {
        registries_mode(ctx);
    }
    if let Some(tree) = &node.hosts_dir {
        for name in tree.names() {
            host_dir(ctx, tree, name);
        }
    }
    if let Some(config) = &node.config {
        containerd_config(ctx, config, node.hosts_dir.is_some());
    }
}

fn has_secrets(ctx: &Ctx<'_>) -> bool {
    let auth_secret = |a: &crate::registries::AuthConfig| {
        !a.password.is_empty() || !a.auth.is_empty() || !a.identity_token.is_empty()
    };
    ctx.reg
        .configs
        .values()
        .filter_map(|c| c.auth.as_ref())
        .any(auth_secret)
        || ctx.reg.auths.values().any(auth_secret)
        || ctx
            .reg
            .mirrors
            .values()
            .flat_map(|m| m.endpoints.iter())
            .any(|e| e.contains(&b'@') && e.find("://").is_some())
}

/// `secrets-file-permissions` for registries.yaml.
fn registries_mode(ctx: &mut Ctx<'_>) {
    let Some(path) = ctx.path else { return };
    let Some(mode) = fs::mode(path) else {
        return;
    };
    if mode & 0o044 == 0 || !has_secrets(ctx) {
        return;
    }
    let who = match (mode & 0o040 != 0, mode & 0o004 != 0) {
        (true, true) => "its group and all users",
        (true, false) => "its group",
        _ => "all users",
    };
    let f = Diagnostic::new(
        Code::SecretsFilePermissions,
        Severity::Warning,
        Location::file_start(ctx.file),
        format!(
            "{} holds registry credentials and is readable by {who} (mode {mode:04o})",
            ctx.file
        ),
        format!("chmod 600 {}", ctx.file),
    );
    ctx.emit(f);
}

/// The registry a directory name stands for, for messages: `host_port_` is `host:port`,
/// `_default` is every registry without a directory of its own.
fn registry_of(name: &str) -> String {
    if name == DEFAULT_DIR {
        return "every registry without a directory of its own".to_string();
    }
    let host = name
        .strip_suffix('_')
        .and_then(|s| s.rsplit_once('_'))
        .filter(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map_or_else(|| name.to_string(), |(h, p)| format!("{h}:{p}"));
    quote(&host)
}

/// A position in a node file: line and character column of a byte offset.
fn at_offset(file: &str, text: &str, offset: Option<usize>) -> Location {
    let Some(offset) = offset else {
        return Location::file_start(file);
    };
    let mut cut = offset.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let line = text[..cut].matches('\n').count() + 1;
    let line_start = text[..cut].rfind('\n').map_or(0, |i| i + 1);
    Location {
        file: file.to_string(),
        line: u32::try_from(line).unwrap_or(u32::MAX),
        column: u32::try_from(text[line_start..cut].chars().count() + 1).unwrap_or(u32::MAX),
        width: 1,
        path: Vec::new(),
    }
}

/// The rules for one entry of an existing certs.d: `hosts-dir-unreadable`,
/// `hosts-toml-invalid`, `header-invalid`, `no-resolve-hosts` (what containerd makes of it) and
/// `unmanaged-hosts-dir` (what K3s will do to it).
fn host_dir(ctx: &mut Ctx<'_>, tree: &CertsTree, name: &str) {
    let dir_name = tree.display(name);
    let hosts_name = format!("{dir_name}/{HOSTS_TOML}");
    let registry = registry_of(name);
    let text = match tree.get(name) {
        Some(TreeEntry::Dir(d)) => match &d.hosts_toml {
            Ok(Some(b)) => Some(b.clone()),
            _ => None,
        },
        _ => None,
    };
    if let Some(bytes) = &text {
        ctx.extra_sources.push((
            hosts_name.clone(),
            String::from_utf8_lossy(bytes).into_owned(),
        ));
    }
    match tree.load(name, ctx.flavor()) {
        None => return,
        Some(Err(e)) => {
            let f = Diagnostic::new(
                Code::HostsDirUnreadable,
                Severity::Error,
                Location::file_start(&dir_name),
                format!(
                    "containerd fails every pull from {registry} before sending a request: {e}"
                ),
                "Make the entry a readable directory holding hosts.toml, or remove it.",
            );
            ctx.emit(f);
            return;
        }
        Some(Ok(reading)) => {
            let shown = String::from_utf8_lossy(text.as_deref().unwrap_or_default()).into_owned();
            what_containerd_reads(ctx, &hosts_name, &shown, &registry, &reading);
        }
    }
    let Some(TreeEntry::Dir(d)) = tree.get(name) else {
        return;
    };
    let header = text
        .as_ref()
        .is_some_and(|t| t.starts_with(HOSTS_TOML_HEADER));
    let file = if text.is_some() {
        hosts_name.clone()
    } else {
        dir_name.clone()
    };
    let here = Location::file_start(&file);
    let managed = ctx.model.hosts.contains_key(name.as_bytes());
    if managed {
        // K3s runs RemoveAll on it before writing its own hosts.toml.
        let mut lost: Vec<String> = d
            .files
            .iter()
            .filter(|e| e.name != HOSTS_TOML)
            .map(|e| e.name.clone())
            .collect();
        if text.is_some() && !header {
            lost.insert(0, "hosts.toml (not written by K3s)".to_string());
        }
        if lost.is_empty() {
            return;
        }
        let key = ctx.dir_loc(BStr::new(name));
        let f = Diagnostic::new(
                Code::UnmanagedHostsDir,
                Severity::Warning,
                here,
                format!("{dir_name} will be deleted by K3s at its next start, because K3s writes its own hosts.toml there: {} will be lost", lost.join(", ")),
                "Manage this registry through registries.yaml (TLS files can live anywhere, e.g. /etc/rancher/k3s/certs), or remove it from registries.yaml.",
            )
            .related(&key, "the registries.yaml entry K3s writes it for");
        ctx.emit(f);
        return;
    }
    if header {
        // K3s wrote it and removes it at its next start: nothing survives.
        return;
    }
    let first_line = text.as_ref().map(|t| {
        String::from_utf8_lossy(t.split(|b| *b == b'\n').next().unwrap_or_default()).into_owned()
    });
    let stale_k3s = first_line
        .as_deref()
        .is_some_and(|l| l.trim_start().starts_with("# File generated by"));
    // containerd probes <host>_<port>_ before <host>:<port>.
    let port_form = name
        .strip_suffix('_')
        .and_then(|s| s.rsplit_once('_'))
        .map(|(h, p)| format!("{h}:{p}"));
    let overrides_k3s = port_form
        .as_ref()
        .filter(|h| ctx.model.hosts.contains_key(h.as_bytes()));
    let wildcard = ctx.model.hosts.contains_key(DEFAULT_DIR.as_bytes()) && name != DEFAULT_DIR;
    let message = if let Some(h) = overrides_k3s {
        format!("{dir_name} is not managed by K3s and containerd looks it up before K3s's certs.d/{h}, so registries.yaml's settings for {} are not used", quote(h))
    } else if stale_k3s {
        format!("{dir_name} looks generated by K3s, but its first line is not exactly K3s's header, so K3s never cleans it up and containerd keeps using it for {}", quote(name))
    } else if wildcard {
        format!("{dir_name} is not managed by K3s and survives its clean-up; containerd uses it for {} instead of the \"*\" mirror", quote(name))
    } else {
        return;
    };
    let f = Diagnostic::new(
        Code::UnmanagedHostsDir,
        Severity::Warning,
        here,
        message,
        "Manage the registry through registries.yaml, or rename/remove the directory.",
    );
    ctx.emit(f);
}

/// What containerd reads from one directory of the node, as explain would say it.
fn what_containerd_reads(
    ctx: &mut Ctx<'_>,
    hosts_name: &str,
    text: &str,
    registry: &str,
    reading: &DirReading,
) {
    if let Source::CertFiles(CertFilesReason::Invalid(e)) = &reading.source {
        let DecodeError { message, offset } = &e.error;
        let f = Diagnostic::new(
            Code::HostsTomlInvalid,
            Severity::Error,
            at_offset(hosts_name, text, *offset),
            format!("containerd cannot decode {hosts_name} ({message}); it ignores the file and pulls from {registry} through the registry itself, without mirrors, TLS settings or rewrites"),
            "Fix the file; if K3s wrote it, fix registries.yaml (see `k3s-registries audit` on it).",
        );
        ctx.emit(f);
        return;
    }
    if reading.source != Source::HostsToml {
        return;
    }
    for h in &reading.hosts {
        if let Err(e) = validate_headers(&h.header) {
            // Point at the host's table when it has one.
            let offset = match &h.origin {
                HostOrigin::Table { key } => text.find(&format!("\"{key}\"")),
                _ => None,
            };
            let f = Diagnostic::new(
                Code::HeaderInvalid,
                Severity::Error,
                at_offset(hosts_name, text, offset),
                format!(
                    "no request reaches {} for {registry}: Go's HTTP client refuses it ({e}); containerd logs \"trying next host\" and goes on with the next host",
                    quote(&h.host)
                ),
                "Keep header values on one line without control characters; header names are tokens.",
            );
            ctx.emit(f);
        }
    }
    // A last entry without a host is filled in with pull and resolve.
    let resolves = reading.hosts.iter().any(|h| {
        h.host.is_empty()
            || h.capabilities
                .has(Capabilities::PULL | Capabilities::RESOLVE)
    });
    if !resolves {
        let f = Diagnostic::new(
            Code::NoResolveHosts,
            Severity::Error,
            Location::file_start(hosts_name),
            format!("no host in {hosts_name} has the pull and resolve capabilities: every pull by tag from {registry} fails with \"no resolve hosts: not found\""),
            "Give at least one host the pull and resolve capabilities (K3s writes both for every mirror).",
        );
        ctx.emit(f);
    }
}

/// `config-toml-invalid`, `config-path-unset` and `secrets-file-permissions` for the node's
/// config.toml.
fn containerd_config(ctx: &mut Ctx<'_>, config: &ConfigToml, with_hosts_dir: bool) {
    let name = config.name.as_str();
    let text = String::from_utf8_lossy(&config.bytes).into_owned();
    match &config.parsed {
        Err(e) => {
            let f = Diagnostic::new(
                Code::ConfigTomlInvalid,
                Severity::Error,
                at_offset(name, &text, e.offset),
                format!("containerd cannot load {name} ({}); containerd cannot start with it, and K3s with it", e.message),
                "Fix the file; if K3s wrote it, fix registries.yaml (see `k3s-registries audit` on it).",
            );
            ctx.emit(f);
        }
        Ok(r) if r.config_path.is_none() && with_hosts_dir => {
            let f = Diagnostic::new(
                Code::ConfigPathUnset,
                Severity::Error,
                Location::file_start(name),
                format!(
                    "{name} sets no {}.config_path: containerd does not read any hosts directory",
                    r.section
                ),
                format!("Set {}.config_path to the certs.d directory.", r.section),
            );
            ctx.emit(f);
        }
        Ok(_) => {}
    }
    let creds = text.lines().any(|l| {
        let t = l.trim_start();
        ["password", "auth", "identitytoken"].iter().any(|k| {
            t.strip_prefix(k)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
    });
    if ctx.opts.check_files && creds && fs::readable_by_others(Path::new(name)) {
        let f = Diagnostic::new(
            Code::SecretsFilePermissions,
            Severity::Warning,
            Location::file_start(name),
            format!("{name} holds registry credentials and any user can read it: it is world-readable and so is every directory above it"),
            "Restore mode 0700 on <data-dir>/agent (K3s creates it so), or chmod 600 the file.",
        );
        ctx.emit(f);
    }
    ctx.extra_sources.push((name.to_string(), text));
}
