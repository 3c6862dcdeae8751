//! render's JSON document (`--format json`, schema_version 1): the files with path, mode, size
//! and sha256, never their contents (they hold secrets); with `--output`, also what was (with
//! `--dry-run`, would be) removed and replaced. Fields are never renamed; new ones may be added.

use std::io;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{reason, Reporter};
use crate::k3s::render::{Rendered, CERTS_D, CONFIG_TOML};
use crate::write::{Plan, CONFIG_MODE, HOSTS_MODE};

/// The `schema_version` of render's JSON document.
pub(crate) const RENDER_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonDoc {
    schema_version: u32,
    /// `--output`, absolute; null for the preview.
    output: Option<String>,
    dry_run: bool,
    files: Vec<JsonFile>,
    removed: Vec<JsonRemoval>,
    replaced: Vec<JsonRemoval>,
    error: Option<String>,
}

#[derive(Serialize)]
struct JsonFile {
    /// Relative to --output (or to K3s's <data-dir>/agent/etc/containerd for the preview).
    path: String,
    /// Octal, as `ls` and `chmod` spell it: "0600".
    mode: String,
    size: usize,
    sha256: String,
    /// "rendered" (the preview), "written", "would_write" or "unchanged".
    status: &'static str,
}

#[derive(Serialize)]
struct JsonRemoval {
    path: String,
    reason: String,
}

fn file(path: String, mode: u32, contents: &[u8], status: &'static str) -> JsonFile {
    let digest = Sha256::digest(contents);
    let sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
    JsonFile {
        path,
        mode: format!("{mode:04o}"),
        size: contents.len(),
        sha256,
        status,
    }
}

impl Reporter<'_> {
    /// The files a render produces, without writing them.
    pub(crate) fn preview_json(&mut self, rendered: &Rendered) -> io::Result<()> {
        let mut files = vec![file(
            CONFIG_TOML.to_string(),
            CONFIG_MODE,
            &rendered.config_toml,
            "rendered",
        )];
        for h in &rendered.hosts {
            files.push(file(
                format!("{CERTS_D}/{}/hosts.toml", h.dir),
                HOSTS_MODE,
                &h.contents,
                "rendered",
            ));
        }
        self.render_doc(JsonDoc {
            schema_version: RENDER_SCHEMA_VERSION,
            output: None,
            dry_run: false,
            files,
            removed: Vec::new(),
            replaced: Vec::new(),
            error: None,
        })
    }

    /// What a write did, or (`dry_run`) would do.
    pub(crate) fn plan_json(&mut self, plan: &Plan, dry_run: bool) -> io::Result<()> {
        let rel = |p: &std::path::Path| {
            p.strip_prefix(&plan.dir)
                .unwrap_or(p)
                .to_string_lossy()
                .into_owned()
        };
        let files = plan
            .files
            .iter()
            .map(|f| {
                let status = match (f.unchanged, dry_run) {
                    (true, _) => "unchanged",
                    (false, true) => "would_write",
                    (false, false) => "written",
                };
                file(rel(&f.path), f.mode, &f.contents, status)
            })
            .collect();
        let removals = |list: &[crate::write::Removal]| {
            list.iter()
                .map(|r| JsonRemoval {
                    path: rel(&r.path),
                    reason: reason(r, &plan.dir),
                })
                .collect()
        };
        self.render_doc(JsonDoc {
            schema_version: RENDER_SCHEMA_VERSION,
            output: Some(plan.dir.to_string_lossy().into_owned()),
            dry_run,
            files,
            removed: removals(&plan.removals),
            replaced: removals(&plan.replaced),
            error: None,
        })
    }

    fn render_doc(&mut self, doc: JsonDoc) -> io::Result<()> {
        self.print_json(&doc)
    }
}
