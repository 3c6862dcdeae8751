//! `diff`'s output: a unified diff per changed file on stdout (secrets masked unless
//! `--show-secrets`; control characters escaped on a terminal), the verdict and what to restart on
//! stderr; or, with `--json`, one document listing the added, removed and changed files.

use std::io;

use serde::Serialize;

use super::sanitize::{clean, clean_bytes};
use super::{Reporter, NAME};
use crate::diff::{unified, Change};
use crate::secret::mask_text;

/// What `diff` found.
#[derive(Debug, Clone)]
pub(crate) struct DiffReport {
    /// The directory compared, as read here.
    pub(crate) dir: String,
    /// What to run for the changes to take effect.
    pub(crate) restart: String,
    /// The changes, sorted by path.
    pub(crate) changes: Vec<Change>,
    /// Whether config.toml was compared (not under a user template).
    pub(crate) config_compared: bool,
    /// K3s writes nothing here (an external runtime): which.
    pub(crate) writes_nothing: Option<String>,
    /// The drop-ins containerd merges into config.toml (a restart does not rewrite them).
    pub(crate) imports: Vec<String>,
}

/// The `schema_version` of `diff --format json`.
pub(crate) const DIFF_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Json<'a> {
    schema_version: u32,
    dir: &'a str,
    restart_changes_files: bool,
    restart: &'a str,
    added: Vec<&'a str>,
    removed: Vec<&'a str>,
    changed: Vec<&'a str>,
    not_compared: Vec<&'a str>,
    imports: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    external_runtime: Option<&'a str>,
}

impl Reporter<'_> {
    /// The diff, or its JSON.
    pub(crate) fn diff(&mut self, r: &DiffReport, json: bool) -> io::Result<()> {
        if json {
            let pick = |f: fn(&Change) -> bool| -> Vec<&str> {
                r.changes
                    .iter()
                    .filter(|c| f(c))
                    .map(Change::path)
                    .collect()
            };
            let doc = Json {
                schema_version: DIFF_SCHEMA_VERSION,
                dir: &r.dir,
                restart_changes_files: !r.changes.is_empty(),
                restart: &r.restart,
                added: pick(|c| matches!(c, Change::Added { .. })),
                removed: pick(|c| matches!(c, Change::Removed { .. })),
                changed: pick(|c| matches!(c, Change::Changed { .. })),
                not_compared: if r.config_compared || r.writes_nothing.is_some() {
                    Vec::new()
                } else {
                    vec![crate::k3s::render::CONFIG_TOML]
                },
                imports: &r.imports,
                external_runtime: r.writes_nothing.as_deref(),
            };
            self.print_json(&doc)?;
        } else {
            for c in &r.changes {
                let text = unified(c);
                let shown = if self.show_secrets {
                    text
                } else {
                    let mut masked = String::new();
                    for line in text.split_inclusive('\n') {
                        let (body, nl) = match line.strip_suffix('\n') {
                            Some(b) => (b, "\n"),
                            None => (line, ""),
                        };
                        masked.push_str(&mask_text(body));
                        masked.push_str(nl);
                    }
                    masked
                };
                if self.stdout_terminal {
                    self.out
                        .write_all(clean_bytes(shown.as_bytes()).as_bytes())?;
                } else {
                    self.out.write_all(shown.as_bytes())?;
                }
            }
        }
        self.out.flush()?;
        let e = &mut *self.err;
        if let Some(what) = &r.writes_nothing {
            writeln!(
                e,
                "{NAME}: K3s uses an external container runtime ({}): a restart writes nothing under {}",
                clean(what),
                clean(&r.dir)
            )?;
            return Ok(());
        }
        if !r.config_compared {
            writeln!(
                e,
                "{NAME}: note: config.toml is not compared: K3s renders it from a user template"
            )?;
        }
        if !r.imports.is_empty() {
            writeln!(
                e,
                "{NAME}: note: containerd also merges {} into config.toml; a restart does not rewrite them, yet they change what containerd runs with",
                clean(&r.imports.join(", "))
            )?;
        }
        if r.changes.is_empty() {
            writeln!(
                e,
                "{NAME}: a restart of K3s would change nothing under {}",
                clean(&r.dir)
            )?;
        } else {
            let count = |f: fn(&Change) -> bool| r.changes.iter().filter(|c| f(c)).count();
            writeln!(
                e,
                "{NAME}: a restart of K3s would change {} file{} under {} ({} added, {} removed, {} changed); to apply: {}",
                r.changes.len(),
                if r.changes.len() == 1 { "" } else { "s" },
                clean(&r.dir),
                count(|c| matches!(c, Change::Added { .. })),
                count(|c| matches!(c, Change::Removed { .. })),
                count(|c| matches!(c, Change::Changed { .. })),
                clean(&r.restart)
            )?;
        }
        Ok(())
    }
}
