//! What a restart of K3s changes under `<data-dir>/agent/etc/containerd`: the files K3s would
//! write now compared with the files there, after the removals K3s's clean-up makes. Which
//! directories K3s removes is [`crate::write::Output::plan`]'s (K3s's `cleanContainerdHosts` rule: the
//! host directories it is about to write, and the ones whose hosts.toml starts with its header
//! and that no registry needs any more); a directory a person wrote is never removed, so never
//! shown as removed. Pure: the tree on disk comes in as data.

use std::collections::BTreeMap;
use std::path::Path;

use crate::k3s::render::CONFIG_TOML;
use crate::write::Plan;

/// One file a restart changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    /// K3s writes a file that is not there.
    Added {
        /// Its path, relative to the containerd directory.
        path: String,
        /// What K3s writes.
        new: Vec<u8>,
    },
    /// K3s's clean-up removes a file (with its directory).
    Removed {
        /// Its path.
        path: String,
        /// What is there now.
        old: Vec<u8>,
    },
    /// K3s writes different bytes.
    Changed {
        /// Its path.
        path: String,
        /// What is there now.
        old: Vec<u8>,
        /// What K3s writes.
        new: Vec<u8>,
    },
}

impl Change {
    /// The file's path, relative to the containerd directory.
    pub(crate) fn path(&self) -> &str {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::Changed { path, .. } => path,
        }
    }
}

/// `path` relative to `dir`, `/`-separated (`""` for `dir` itself).
fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string_lossy().into_owned())
}

/// What a restart does to the containerd directory, paths relative to it: the files K3s writes
/// and the entries its clean-up removes first (a written host directory is removed, then
/// written again: whatever else a person put in it goes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Restart {
    /// Every file K3s writes, with its bytes.
    pub(crate) written: Vec<(String, Vec<u8>)>,
    /// Every entry removed before the writes (files, or directories with all they hold).
    pub(crate) removed: Vec<String>,
}

impl Restart {
    /// What the writer's `plan` (K3s's `writeContainerdConfig`, `cleanContainerdHosts` and
    /// `writeContainerdHosts`, worked out against the directory) says a restart does.
    pub(crate) fn from_plan(plan: &Plan) -> Restart {
        Restart {
            written: plan
                .files
                .iter()
                .map(|f| (relative(&plan.dir, &f.path), f.contents.clone()))
                .collect(),
            removed: plan
                .removals
                .iter()
                .chain(&plan.replaced)
                .map(|r| relative(&plan.dir, &r.path))
                .collect(),
        }
    }
}

/// The changes `restart` makes to a directory whose files are `on_disk` (relative paths).
/// `compare_config`: whether config.toml is compared (not when K3s renders it from a user
/// template we cannot execute). Sorted by path.
pub(crate) fn changes(
    restart: &Restart,
    on_disk: &[(String, Vec<u8>)],
    compare_config: bool,
) -> Vec<Change> {
    let is_removed = |path: &str| {
        restart.removed.iter().any(|r| {
            r.is_empty()
                || path == r
                || path
                    .strip_prefix(r.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    };
    let written: BTreeMap<&str, &[u8]> = restart
        .written
        .iter()
        .filter(|(p, _)| compare_config || p != CONFIG_TOML)
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut out = Vec::new();
    let disk: BTreeMap<&str, &[u8]> = on_disk
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    for (path, old) in &disk {
        if !compare_config && *path == CONFIG_TOML {
            continue;
        }
        match written.get(*path) {
            Some(new) if new != old => out.push(Change::Changed {
                path: path.to_string(),
                old: old.to_vec(),
                new: new.to_vec(),
            }),
            Some(_) => {}
            None if is_removed(path) => out.push(Change::Removed {
                path: path.to_string(),
                old: old.to_vec(),
            }),
            None => {}
        }
    }
    for (path, new) in &written {
        if !disk.contains_key(path) {
            out.push(Change::Added {
                path: path.to_string(),
                new: new.to_vec(),
            });
        }
    }
    out.sort_by(|a, b| a.path().cmp(b.path()));
    out
}

/// A unified diff of one change (`a/` and `b/` prefixes, `/dev/null` for a missing side),
/// three lines of context. Invalid UTF-8 is shown replaced.
pub(crate) fn unified(change: &Change) -> String {
    let (old, new, a, b) = match change {
        Change::Added { path, new } => (
            Vec::new(),
            new.clone(),
            "/dev/null".to_string(),
            format!("b/{path}"),
        ),
        Change::Removed { path, old } => (
            old.clone(),
            Vec::new(),
            format!("a/{path}"),
            "/dev/null".to_string(),
        ),
        Change::Changed { path, old, new } => (
            old.clone(),
            new.clone(),
            format!("a/{path}"),
            format!("b/{path}"),
        ),
    };
    let old = String::from_utf8_lossy(&old).into_owned();
    let new = String::from_utf8_lossy(&new).into_owned();
    let mut text = similar::TextDiff::from_lines(&old, &new)
        .unified_diff()
        .context_radius(3)
        .header(&a, &b)
        .to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restart(hosts: &[(&str, &str)], removed: &[&str]) -> Restart {
        let mut written = vec![("config.toml".to_string(), b"new config\n".to_vec())];
        written.extend(
            hosts
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec())),
        );
        Restart {
            written,
            removed: removed.iter().map(|p| p.to_string()).collect(),
        }
    }

    fn disk(files: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    #[test]
    fn added_removed_changed_and_left_alone() {
        let p = restart(
            &[
                ("certs.d/a/hosts.toml", "A2\n"),
                ("certs.d/b/hosts.toml", "B\n"),
            ],
            &["certs.d/a", "certs.d/old"],
        );
        let d = disk(&[
            ("config.toml", "new config\n"),
            ("certs.d/a/hosts.toml", "A1\n"),
            ("certs.d/a/ca.crt", "x"),
            (
                "certs.d/old/hosts.toml",
                "# File generated by k3s. DO NOT EDIT.\n",
            ),
            ("certs.d/mine/hosts.toml", "server = \"https://m\"\n"),
            ("config-v3.toml.d/10.toml", "x"),
        ]);
        let c = changes(&p, &d, true);
        let kinds: Vec<(&str, &str)> = c
            .iter()
            .map(|c| match c {
                Change::Added { path, .. } => ("added", path.as_str()),
                Change::Removed { path, .. } => ("removed", path.as_str()),
                Change::Changed { path, .. } => ("changed", path.as_str()),
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("removed", "certs.d/a/ca.crt"),
                ("changed", "certs.d/a/hosts.toml"),
                ("added", "certs.d/b/hosts.toml"),
                ("removed", "certs.d/old/hosts.toml"),
            ]
        );
    }

    #[test]
    fn config_not_compared_under_a_user_template() {
        let p = restart(&[], &[]);
        let d = disk(&[("config.toml", "from a template\n")]);
        assert!(changes(&p, &d, false).is_empty());
        assert_eq!(changes(&p, &d, true).len(), 1);
        let d = disk(&[]);
        assert!(changes(&p, &d, false).is_empty());
    }

    #[test]
    fn unified_diffs() {
        let c = Change::Changed {
            path: "config.toml".into(),
            old: b"a\nb\n".to_vec(),
            new: b"a\nc\n".to_vec(),
        };
        assert_eq!(
            unified(&c),
            "--- a/config.toml\n+++ b/config.toml\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n"
        );
        let c = Change::Added {
            path: "x".into(),
            new: b"n\n".to_vec(),
        };
        assert!(unified(&c).starts_with("--- /dev/null\n+++ b/x\n"));
    }
}
