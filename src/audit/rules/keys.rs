//! Rules about the `mirrors` and `configs` keys themselves: names that resolve outside certs.d
//! (K3s deletes what they point at) and names that can never match an image's registry.

use super::super::context::{quote, ypath, Ctx};
use crate::diag::Code;
use crate::diag::{Diagnostic, Severity};
use crate::go::filepath;
use crate::go::string::GoString;
use crate::k3s::model::NoteKind;
use crate::k3s::translate::DEFAULT_DIR;

/// The rules about registry names.
pub(crate) fn check(ctx: &mut Ctx<'_>) {
    unsafe_paths(ctx);
    collisions(ctx);
    invalid_keys(ctx);
}

/// `registry-dir-collision`: two distinct names whose certs.d directory (as K3s computes it:
/// `*` is `_default`, the rest through `filepath.Join`) is the same path.
fn collisions(ctx: &mut Ctx<'_>) {
    let mut by_dir: std::collections::BTreeMap<GoString, Vec<(&'static str, GoString)>> =
        std::collections::BTreeMap::new();
    let names = ctx
        .reg
        .mirrors
        .keys()
        .map(|k| ("mirrors", k))
        .chain(ctx.reg.configs.keys().map(|k| ("configs", k)));
    for (section, key) in names {
        let dir = if *key == "*" {
            DEFAULT_DIR.as_bytes()
        } else {
            key.as_bytes()
        };
        let names = by_dir
            .entry(filepath::join_bytes(&[b"certs.d", dir]).into())
            .or_default();
        // The same name in mirrors and configs is one registry, not a collision.
        if !names.iter().any(|(_, k)| k == key) {
            names.push((section, key.clone()));
        }
    }
    for (dir, names) in by_dir {
        let Some(((first_section, first), rest)) = names.split_first() else {
            continue;
        };
        for (section, key) in rest {
            let loc = ctx.loc_key(ypath![section, key]);
            let f = Diagnostic::new(
                Code::RegistryDirCollision,
                Severity::Error,
                loc,
                format!(
                    "registry name {} ({section}) and {} ({first_section}) both write {dir}/hosts.toml; K3s ranges over a Go map, so which one it writes is random at every start",
                    quote(key),
                    quote(first)
                ),
                "Keep one name per directory: use \"*\" for the default, never a literal \"_default\", and no trailing or doubled slashes.",
            );
            ctx.emit(f);
        }
    }
}

/// `registry-key-unsafe-path`: K3s's cleanContainerdHosts runs
/// `os.RemoveAll(filepath.Join(certs.d, dir))` for every directory it is about to write, and
/// `filepath.Join` cleans `""`, `.` and `..` away.
fn unsafe_paths(ctx: &mut Ctx<'_>) {
    let certs_d = ctx.model.paths.registry_dir.clone();
    let containerd_dir = filepath::join(&[&certs_d, ".."]);
    let dirs: Vec<GoString> = ctx.user_hosts().map(|(d, _)| d.clone()).collect();
    for dir in dirs {
        let joined = GoString::from(filepath::join_bytes(&[certs_d.as_bytes(), dir.as_bytes()]));
        let inside = joined
            .strip_prefix(certs_d.as_bytes())
            .is_some_and(|r| r.starts_with(b"/") && r.len() > 1);
        if inside {
            continue;
        }
        let what = if joined == certs_d {
            "certs.d itself: every registry directory in it, including ones you manage, is deleted, and K3s then writes certs.d/hosts.toml, which containerd never reads".to_string()
        } else if joined == containerd_dir {
            "the containerd config directory: the config.toml K3s has just written and any config.toml.tmpl are deleted".to_string()
        } else {
            format!("{joined}, outside certs.d")
        };
        let loc = ctx.dir_loc(dir.as_bstr());
        let key = ctx.dir_key(dir.as_bstr()).map_or(dir.clone(), |(_, k)| k);
        let f = Diagnostic::new(
            Code::RegistryKeyUnsafePath,
            Severity::Error,
            loc,
            format!("registry name {} resolves to {joined}; K3s deletes that directory on every start: {what}", quote(&key)),
            "Registry names must be a host[:port] such as registry.example.com:5000 (or \"*\").",
        );
        ctx.emit(f);
    }
}

/// `registry-key-invalid`.
fn invalid_keys(ctx: &mut Ctx<'_>) {
    let schema_words = [
        "mirrors",
        "configs",
        "auths",
        "endpoint",
        "rewrite",
        "auth",
        "tls",
        "username",
        "password",
        "identity_token",
        "ca_file",
        "cert_file",
        "key_file",
        "insecure_skip_verify",
    ];
    let mut keys: Vec<(&'static str, GoString)> = ctx
        .reg
        .mirrors
        .keys()
        .map(|k| ("mirrors", k.clone()))
        .collect();
    keys.extend(ctx.reg.configs.keys().map(|k| ("configs", k.clone())));
    for (section, name) in keys {
        // The checks below read the name as text; a byte that is not UTF-8 shows as `\xNN`.
        let key = &*name.to_display();
        // Schema words are the mis-indentation unknown-key reports; unsafe paths have their rule.
        if schema_words.contains(&key) || matches!(key, "" | "." | "..") || ctx.is_injected(&name) {
            continue;
        }
        let rejected = ctx.model.notes.iter().find_map(|n| match &n.kind {
            NoteKind::InvalidRegistry { host } if *host == name => Some(n.message.clone()),
            _ => None,
        });
        let mirror = section == "mirrors";
        let first_label = key.split('/').next().unwrap_or_default();
        let (severity, reason) = if let Some(msg) = rejected {
            (
                Severity::Error,
                format!("K3s cannot parse it and skips it, logging \"{msg}\""),
            )
        } else if key.contains("://") {
            (
                Severity::Error,
                format!(
                    "it has a scheme; the directory is certs.d/{}, which containerd never looks up",
                    filepath::clean(key)
                ),
            )
        } else if key.contains('/') {
            (
                Severity::Error,
                format!(
                    "it has a path; K3s writes certs.d/{key}/, which containerd never looks up, and also creates certs.d/{first_label}/ without a hosts.toml, which containerd then uses for {first_label} images (default host only, no \"*\" mirror) and which K3s never cleans up"
                ),
            )
        } else if key.contains('*') && key != "*" {
            (
                Severity::Error,
                "containerd has no pattern matching; only the whole key \"*\" is a wildcard"
                    .to_string(),
            )
        } else if key == "index.docker.io" {
            (Severity::Error, "image references normalise index.docker.io to docker.io, so no image has it as its registry".to_string())
        } else if mirror
            && key != "*"
            && key != "localhost"
            && key != DEFAULT_DIR
            && !key.contains('.')
            && !key.contains(':')
            && !key.starts_with('[')
        {
            (
                Severity::Error,
                format!("a single name without a dot or port is read as a Docker Hub namespace in image references (docker.io/{key}/...), never as a registry"),
            )
        } else if mirror && key == "registry-1.docker.io" {
            (Severity::Warning, "Docker Hub images are named docker.io/...; only images literally named registry-1.docker.io/... use this entry".to_string())
        } else if key.chars().any(|c| c.is_ascii_uppercase()) {
            (Severity::Warning, "it has upper-case letters; containerd looks registries up by exact, case-sensitive name".to_string())
        } else if key.ends_with(":443") || key.ends_with(":80") {
            (Severity::Warning, "it has an explicit default port; image names rarely carry it, and reg:443 is not the same registry name as reg".to_string())
        } else {
            continue;
        };
        let loc = ctx.loc_key(ypath![section, &name]);
        let f = Diagnostic::new(
            Code::RegistryKeyInvalid,
            severity,
            loc,
            if severity == Severity::Error {
                format!("{section} key {} can never match an image registry: {reason}", quote(&name))
            } else {
                format!("{section} key {} probably does not match the registry in image names: {reason}", quote(&name))
            },
            "Use the registry host[:port] exactly as it appears in image names (docker.io for Docker Hub).",
        );
        ctx.emit(f);
    }
}
