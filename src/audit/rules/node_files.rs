//! Rules about files on the node: the registries file's mode (`--check-files`), an existing
//! certs.d (`--hosts-dir`) and config.toml (`--containerd-config`). The files are read by
//! [`files`] before the rules run; these rules only look at the data.

use std::path::Path;

use super::super::context::{quote, Ctx};
use super::super::files::{self, HostDir};
use super::super::tomlcheck;
use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Loc, Severity};
use crate::go::string::{BStr, ByteSlice};
use crate::k3s::translate::DEFAULT_DIR;
use crate::write::HOSTS_TOML_HEADER;

/// Files read from the node for `--hosts-dir` and `--containerd-config`.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeFiles {
    /// `--hosts-dir` and its directories.
    pub hosts_dir: Option<(String, Vec<HostDir>)>,
    /// `--containerd-config`: its name and bytes.
    pub config: Option<(String, Vec<u8>)>,
}

/// Every node-file rule.
pub(crate) fn check(ctx: &mut Ctx<'_>, node: &NodeFiles) {
    if ctx.opts.check_files {
        registries_mode(ctx);
    }
    if let Some((dir, entries)) = &node.hosts_dir {
        for d in entries {
            host_dir(ctx, dir, d);
        }
    }
    if let Some((name, bytes)) = &node.config {
        containerd_config(ctx, name, bytes);
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
    let Some(mode) = files::mode(path) else {
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
    let f = Finding::new(
        Code::SecretsFilePermissions,
        Severity::Warning,
        Loc::file_start(ctx.file),
        format!(
            "{} holds registry credentials and is readable by {who} (mode {mode:04o})",
            ctx.file
        ),
        format!("chmod 600 {}", ctx.file),
    );
    ctx.emit(f);
}

/// `unmanaged-hosts-dir` and `hosts-toml-invalid` for one directory of an existing certs.d.
fn host_dir(ctx: &mut Ctx<'_>, root: &str, d: &HostDir) {
    let dir_name = Path::new(root).join(&d.name).display().to_string();
    let hosts_name = Path::new(root)
        .join(&d.name)
        .join("hosts.toml")
        .display()
        .to_string();
    let (file, text) = match &d.hosts_toml {
        Some(Ok(b)) => (hosts_name.clone(), Some(b.clone())),
        Some(Err(e)) => {
            let f = Finding::new(
                Code::HostsTomlInvalid,
                Severity::Error,
                Loc::file_start(&hosts_name),
                format!("{hosts_name} cannot be read ({e}); containerd cannot read it either"),
                "Fix the file's permissions.",
            );
            ctx.emit(f);
            (hosts_name.clone(), None)
        }
        None => (dir_name.clone(), None),
    };
    let header = text
        .as_ref()
        .is_some_and(|t| t.starts_with(HOSTS_TOML_HEADER));
    if let Some(bytes) = &text {
        let s = String::from_utf8_lossy(bytes).into_owned();
        let verdict = if std::str::from_utf8(bytes).is_err() {
            Err((1, 1, "it is not UTF-8".to_string()))
        } else {
            tomlcheck::check(&s).map(|_| ()).map_err(|p| {
                let (l, c) = tomlcheck::line_col(&s, p.offset);
                (l, c, p.message)
            })
        };
        if let Err((line, column, why)) = verdict {
            let f = Finding::new(
                Code::HostsTomlInvalid,
                Severity::Error,
                Loc {
                    file: hosts_name.clone(),
                    line,
                    column,
                    width: 1,
                    path: Vec::new(),
                },
                format!("{hosts_name} is not valid TOML ({why}); containerd ignores it and pulls {} from the registry itself, without mirrors or TLS settings", quote(&d.name)),
                "Fix the file; if K3s wrote it, fix registries.yaml (see `k3s-registries audit` on it).",
            );
            ctx.emit(f);
        }
        ctx.extra_sources.push((hosts_name.clone(), s));
    }
    let here = Loc::file_start(&file);
    let managed = ctx.model.hosts.contains_key(d.name.as_bytes());
    if managed {
        // K3s runs RemoveAll on it before writing its own hosts.toml.
        let mut lost: Vec<String> = d.other_files.clone();
        if text.is_some() && !header {
            lost.insert(0, "hosts.toml (not written by K3s)".to_string());
        }
        if lost.is_empty() {
            return;
        }
        let key = ctx.dir_loc(BStr::new(&d.name));
        let f = Finding::new(
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
    let port_form = d
        .name
        .strip_suffix('_')
        .and_then(|s| s.rsplit_once('_'))
        .map(|(h, p)| format!("{h}:{p}"));
    let overrides_k3s = port_form
        .as_ref()
        .filter(|h| ctx.model.hosts.contains_key(h.as_bytes()));
    let wildcard = ctx.model.hosts.contains_key(DEFAULT_DIR.as_bytes()) && d.name != DEFAULT_DIR;
    let message = if let Some(h) = overrides_k3s {
        format!("{dir_name} is not managed by K3s and containerd looks it up before K3s's certs.d/{h}, so registries.yaml's settings for {} are not used", quote(h))
    } else if stale_k3s {
        format!("{dir_name} looks generated by K3s, but its first line is not exactly K3s's header, so K3s never cleans it up and containerd keeps using it for {}", quote(&d.name))
    } else if wildcard {
        format!("{dir_name} is not managed by K3s and survives its clean-up; containerd uses it for {} instead of the \"*\" mirror", quote(&d.name))
    } else {
        return;
    };
    let f = Finding::new(
        Code::UnmanagedHostsDir,
        Severity::Warning,
        here,
        message,
        "Manage the registry through registries.yaml, or rename/remove the directory.",
    );
    ctx.emit(f);
}

/// `config-toml-invalid` and `secrets-file-permissions` for the node's config.toml.
fn containerd_config(ctx: &mut Ctx<'_>, name: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).into_owned();
    if let Err(p) = tomlcheck::check(&text) {
        let (line, column) = tomlcheck::line_col(&text, p.offset);
        let f = Finding::new(
            Code::ConfigTomlInvalid,
            Severity::Error,
            Loc {
                file: name.to_string(),
                line,
                column,
                width: 1,
                path: Vec::new(),
            },
            format!("{name} is not valid TOML for containerd ({}); containerd cannot start with it, and K3s with it", p.message),
            "Fix the file; if K3s wrote it, fix registries.yaml (see `k3s-registries audit` on it).",
        );
        ctx.emit(f);
    }
    let creds = text.lines().any(|l| {
        let t = l.trim_start();
        ["password", "auth", "identitytoken"].iter().any(|k| {
            t.strip_prefix(k)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
    });
    if ctx.opts.check_files && creds && files::readable_by_others(Path::new(name)) {
        let f = Finding::new(
            Code::SecretsFilePermissions,
            Severity::Warning,
            Loc::file_start(name),
            format!("{name} holds registry credentials and any user can read it: it is world-readable and so is every directory above it"),
            "Restore mode 0700 on <data-dir>/agent (K3s creates it so), or chmod 600 the file.",
        );
        ctx.emit(f);
    }
    ctx.extra_sources.push((name.to_string(), text));
}
