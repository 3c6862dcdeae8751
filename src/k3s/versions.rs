//! K3s versions as data: which K3s releases we model, and for each the era of K3s's registry code
//! it ships (templates, template functions, the `--pause-image` default). Everything that differs
//! between K3s releases is a field of [`Era`]; the templates take their conditionals from it and
//! no other module branches on a version.
//!
//! Every row cites the K3s commits it was read from. The forks that carry K3s's release branches
//! (K3s's own repository is too large to fetch): `vitorsavian/k3s` (branches cut from K3s
//! release-1.31 to 1.36) and `muicoder/k3s` (release-1.32, up to K3s's commit `81dfaabb1`; the
//! fork owner's later commits are not K3s). A release ships the branch as it is a few days after
//! its "Update to vX.Y.Z" commit; each boundary below was checked against those commits with
//! `tools/oracle/releases.py`, which runs K3s's own code at every release and groups the releases
//! by the bytes they write. hosts.toml, `getHostConfigs` and the embedded registry's
//! `InjectMirror` are the same in every modelled release; only config.toml differs.
//!
//! Not modelled, because no K3s source for them was available to check: K3s releases before the
//! containerd 2.0 / config version 3 switch (v1.31.5, v1.32.1 and older), v1.31.12 and later,
//! v1.32.11 and later, v1.33.14 and later, anything after v1.34.10, v1.35.7 and v1.36.3.

use std::fmt;

/// One state of K3s's registry code: what config.toml looks like in every release that ships it.
#[derive(Debug, PartialEq, Eq)]
pub struct Era {
    /// A short stable name (`containerd-2.1`).
    pub id: &'static str,
    /// What changed, in one line.
    pub summary: &'static str,
    /// The K3s commits that made this era, one per release line, with what they did.
    pub commits: &'static [&'static str],
    /// `--pause-image`'s default (`pkg/cli/cmds/agent.go`).
    pub pause_image: &'static str,
    /// v3 template: `use_local_image_pull = true` in the snapshotter's table (containerd 2.1).
    pub use_local_image_pull: bool,
    /// v3 template: the CNI bin dir as `bin_dirs = ["…"]` (containerd 2.1) rather than
    /// `bin_dir = "…"`.
    pub cni_bin_dirs: bool,
    /// Both templates: an `imports = [...]` line naming `config-v3.toml.d/*.toml` (v3) or
    /// `config.toml.d/*.toml` (v2) next to config.toml, built with the `filepathjoin` function.
    pub imports: bool,
    /// The user template the v3 header tells people to use instead of editing the file.
    pub v3_header_template: &'static str,
    /// The nix snapshotter: `--snapshotter nix` gets its image service socket
    /// (`<state>/nix-snapshotter.sock`), snapshot annotations and the nix tables.
    pub nix_snapshotter: bool,
    /// The functions K3s's config templates may call (`templates_linux.go`).
    pub template_functions: &'static [&'static str],
    /// v3 template, rootless (in a user namespace): `[plugins.'io.containerd.nri.v1.nri']
    /// disable = true` (added with the nix snapshotter).
    pub rootless_disables_nri: bool,
}

/// containerd 2.0 and config version 3: the first modelled state.
pub static CONTAINERD_2_0: Era = Era {
    id: "containerd-2.0",
    summary: "containerd 2.0: config version 3 by default, trimEmpty on every file, \
              CNI `bin_dir = \"...\"`, pause image rancher/mirrored-pause:3.6",
    commits: &[
        "master bc4597239 Update containerd config schema to version 3, 2b6225eef Fix missing \
         migration for containerd registry.configs plugin namespace, 7b1c48212 Render CNI dir \
         config whenever vars are set",
        "release-1.31 ad668b389, 06981c785, 103e6b338 (in v1.31.6: K3s's release notes list \
         #11820 and #11834, merged after the Update to v1.31.6 commit)",
        "release-1.32 3b90bf653, 4b44c0b51, d02b1bd8e (in v1.32.2, tagged at 381620efb)",
    ],
    pause_image: "rancher/mirrored-pause:3.6",
    use_local_image_pull: false,
    cni_bin_dirs: false,
    imports: false,
    v3_header_template: "config.toml.tmpl",
    nix_snapshotter: false,
    template_functions: &["deschemify", "toJson"],
    rootless_disables_nri: false,
};

/// containerd 2.1: local image pull and a list of CNI bin dirs in the v3 template.
pub static CONTAINERD_2_1: Era = Era {
    id: "containerd-2.1",
    summary: "containerd 2.1: v3 `use_local_image_pull = true` and `bin_dirs = [\"...\"]`",
    commits: &[
        "master e47c497a3 Bump containerd to v2.1.4 (first shipped in v1.34.0)",
        "release-1.32 3451e179a (v1.32.9)",
        "release-1.33 10353a342 (v1.33.5)",
    ],
    use_local_image_pull: true,
    cni_bin_dirs: true,
    ..CONTAINERD_2_0
};

/// Drop-in imports, the v3 header fix and the nix snapshotter.
pub static IMPORTS: Era = Era {
    id: "imports",
    summary: "`imports = [\".../config-v3.toml.d/*.toml\"]` (v2: config.toml.d), v3 header \
              `Use config-v3.toml.tmpl instead.`, nix snapshotter, `filepathjoin`, rootless \
              nodes disable NRI",
    commits: &[
        "master b51167a99 config: add default imports to containerd base templates, de59b6327 \
         Add nix-snapshotter support to the embedded containerd (first shipped in v1.36.0)",
        "release-1.33 77b243929, 4a468a208 (v1.33.10)",
        "release-1.34 c7420e3e4, 0ba3f1a9a (v1.34.6)",
        "release-1.35 32cc649fe, 08594820d (v1.35.3)",
    ],
    imports: true,
    v3_header_template: "config-v3.toml.tmpl",
    nix_snapshotter: true,
    template_functions: &["deschemify", "toJson", "filepathjoin"],
    rootless_disables_nri: true,
    ..CONTAINERD_2_1
};

/// The pause image moves to 3.10.2.
pub static PAUSE_3_10_2: Era = Era {
    id: "pause-3.10.2",
    summary: "default pause image rancher/mirrored-pause:3.10.2",
    commits: &[
        "master a3961a389 Bump mirrored-pause to 3.10.2 (#14339)",
        "release-1.34 420cc8cb4 (#14391, v1.34.10)",
        "release-1.35 7a10081ad (#14390, v1.35.7)",
        "release-1.36 f222653ff (#14389, v1.36.3)",
    ],
    pause_image: "rancher/mirrored-pause:3.10.2",
    ..IMPORTS
};

/// Every era, oldest first.
pub static ERAS: &[&Era] = &[&CONTAINERD_2_0, &CONTAINERD_2_1, &IMPORTS, &PAUSE_3_10_2];

/// A run of patch releases of one minor line that ship the same era.
#[derive(Debug, PartialEq, Eq)]
pub struct Releases {
    /// The minor version (`34` for v1.34.x).
    pub minor: u32,
    /// The first patch release of the run.
    pub first: u32,
    /// The last patch release of the run.
    pub last: u32,
    /// What they ship.
    pub era: &'static Era,
}

/// Every modelled K3s release, by minor line, oldest first. Where the K3s source was read for
/// each line (the last commit checked):
///
/// - 1.31: vitorsavian/k3s `backport-august-1.31` (`be51ea81d`; v1.31.11 is its last release)
/// - 1.32: muicoder/k3s `release-1.32` at `81dfaabb1` (v1.32.10)
/// - 1.33: vitorsavian/k3s `fix-containerd-bump-1.33` (`fef4b085f`; v1.33.13)
/// - 1.34: vitorsavian/k3s `bump-containerd-v2.2.7-release-1.34` (`e19e99911`; v1.34.10 at
///   `e6fd70cfd`); v1.34.3 also checked at muicoder/k3s `80b11e874`
/// - 1.35: vitorsavian/k3s `bump-containerd-v2.2.7-release-1.35` (`2b1b737ed`; v1.35.7)
/// - 1.36: vitorsavian/k3s `bump-containerd-v2.3.4-release-1.36` (`588e7d937`; v1.36.3 at
///   `d404855db`)
pub static RELEASES: &[Releases] = &[
    Releases {
        minor: 31,
        first: 6,
        last: 11,
        era: &CONTAINERD_2_0,
    },
    Releases {
        minor: 32,
        first: 2,
        last: 8,
        era: &CONTAINERD_2_0,
    },
    Releases {
        minor: 32,
        first: 9,
        last: 10,
        era: &CONTAINERD_2_1,
    },
    Releases {
        minor: 33,
        first: 0,
        last: 4,
        era: &CONTAINERD_2_0,
    },
    Releases {
        minor: 33,
        first: 5,
        last: 9,
        era: &CONTAINERD_2_1,
    },
    Releases {
        minor: 33,
        first: 10,
        last: 13,
        era: &IMPORTS,
    },
    Releases {
        minor: 34,
        first: 0,
        last: 5,
        era: &CONTAINERD_2_1,
    },
    Releases {
        minor: 34,
        first: 6,
        last: 9,
        era: &IMPORTS,
    },
    Releases {
        minor: 34,
        first: 10,
        last: 10,
        era: &PAUSE_3_10_2,
    },
    Releases {
        minor: 35,
        first: 0,
        last: 2,
        era: &CONTAINERD_2_1,
    },
    Releases {
        minor: 35,
        first: 3,
        last: 6,
        era: &IMPORTS,
    },
    Releases {
        minor: 35,
        first: 7,
        last: 7,
        era: &PAUSE_3_10_2,
    },
    Releases {
        minor: 36,
        first: 0,
        last: 2,
        era: &IMPORTS,
    },
    Releases {
        minor: 36,
        first: 3,
        last: 3,
        era: &PAUSE_3_10_2,
    },
];

/// A K3s release: v1.MINOR.PATCH, optionally with its `+k3sN` revision. Every modelled minor
/// line is 1.x; revisions of one patch release ship the same registry code (checked for every
/// revision in the modelled range, e.g. v1.34.3+k3s1 to +k3s3), so only the patch selects an era.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct K3sVersion {
    /// The minor version.
    pub minor: u32,
    /// The patch release.
    pub patch: u32,
    /// The `+k3sN` revision, when given.
    pub revision: Option<u32>,
}

impl fmt::Display for K3sVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v1.{}.{}", self.minor, self.patch)?;
        if let Some(r) = self.revision {
            write!(f, "+k3s{r}")?;
        }
        Ok(())
    }
}

/// A `--k3s-version` resolved to a release and its era.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// The release.
    pub version: K3sVersion,
    /// What it ships.
    pub era: &'static Era,
}

impl Default for Resolved {
    /// `latest`.
    fn default() -> Self {
        latest()
    }
}

/// Why a `--k3s-version` was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not a version at all.
    #[error("--k3s-version {0:?}: expected latest, 1.MINOR, 1.MINOR.PATCH or v1.MINOR.PATCH+k3sN (e.g. v1.34.3+k3s1)")]
    Syntax(String),
    /// A release we do not model.
    #[error(
        "K3s {version} is not modelled: {why}; k3s-registries models K3s {oldest} to {newest} \
             ({lines}); see `k3s-registries versions`"
    )]
    NotModelled {
        /// The version asked for.
        version: String,
        /// Why.
        why: String,
        /// The oldest modelled release.
        oldest: K3sVersion,
        /// The newest modelled release.
        newest: K3sVersion,
        /// Every line's range, `1.31.6-1.31.11, ...`.
        lines: String,
    },
}

fn v(minor: u32, patch: u32) -> K3sVersion {
    K3sVersion {
        minor,
        patch,
        revision: None,
    }
}

/// The oldest modelled release (the first with containerd 2.0 and config version 3).
pub fn oldest() -> K3sVersion {
    RELEASES
        .iter()
        .map(|r| v(r.minor, r.first))
        .min()
        .expect("releases")
}

/// The newest modelled release.
pub fn newest() -> K3sVersion {
    RELEASES
        .iter()
        .map(|r| v(r.minor, r.last))
        .max()
        .expect("releases")
}

/// `latest`: the newest modelled release and its era (the default).
pub fn latest() -> Resolved {
    let version = newest();
    Resolved {
        version,
        era: era_of(version.minor, version.patch).expect("the newest release is modelled"),
    }
}

/// The modelled patch releases of a minor line, as (first, last).
pub fn line(minor: u32) -> Option<(u32, u32)> {
    let runs = RELEASES.iter().filter(|r| r.minor == minor);
    let first = runs.clone().map(|r| r.first).min()?;
    let last = runs.map(|r| r.last).max()?;
    Some((first, last))
}

/// Every modelled minor line, oldest first.
pub fn lines() -> Vec<u32> {
    let mut minors: Vec<u32> = RELEASES.iter().map(|r| r.minor).collect();
    minors.dedup();
    minors
}

fn era_of(minor: u32, patch: u32) -> Option<&'static Era> {
    RELEASES
        .iter()
        .find(|r| r.minor == minor && (r.first..=r.last).contains(&patch))
        .map(|r| r.era)
}

/// The version named by `--k3s-version`: `latest`; `1.35` or `v1.35` (the newest modelled
/// patch of that line); `1.34.3`, `v1.34.3`, `v1.34.3+k3s1` (also `-k3s1`, as image tags spell
/// it).
pub fn resolve(spec: &str) -> Result<Resolved, VersionError> {
    let spec = spec.trim();
    if spec.eq_ignore_ascii_case("latest") {
        return Ok(latest());
    }
    let syntax = || VersionError::Syntax(spec.to_string());
    let body = spec.strip_prefix('v').unwrap_or(spec);
    let (numbers, revision) = match body.split_once(['+', '-']) {
        Some((n, r)) => {
            let r = r.strip_prefix("k3s").ok_or_else(syntax)?;
            (n, Some(number(r).ok_or_else(syntax)?))
        }
        None => (body, None),
    };
    let parts: Vec<&str> = numbers.split('.').collect();
    let (major, minor, patch) = match parts.as_slice() {
        [ma, mi] => (number(ma), number(mi), None),
        [ma, mi, pa] => (number(ma), number(mi), Some(number(pa).ok_or_else(syntax)?)),
        _ => return Err(syntax()),
    };
    let (Some(major), Some(minor)) = (major, minor) else {
        return Err(syntax());
    };
    if revision.is_some() && patch.is_none() {
        return Err(syntax());
    }
    let shown = match patch {
        Some(p) => K3sVersion {
            minor,
            patch: p,
            revision,
        }
        .to_string(),
        None => format!("v1.{minor}"),
    };
    let refuse = |why: String| VersionError::NotModelled {
        version: if major == 1 {
            shown.clone()
        } else {
            spec.to_string()
        },
        why,
        oldest: oldest(),
        newest: newest(),
        lines: lines()
            .into_iter()
            .filter_map(|m| line(m).map(|(f, l)| format!("1.{m}.{f}-1.{m}.{l}")))
            .collect::<Vec<_>>()
            .join(", "),
    };
    if major != 1 {
        return Err(refuse("K3s versions are 1.x".to_string()));
    }
    let Some((first, last)) = line(minor) else {
        let why = if v(minor, 0) < oldest() {
            "older than K3s's switch to containerd 2.0 and config version 3 (v1.31.6, v1.32.2)"
        } else {
            "newer than the newest minor line modelled"
        };
        return Err(refuse(why.to_string()));
    };
    let patch = patch.unwrap_or(last);
    if patch < first {
        return Err(refuse(format!(
            "the 1.{minor} line is modelled from v1.{minor}.{first}, K3s's first 1.{minor} \
             release with containerd 2.0 and config version 3"
        )));
    }
    if patch > last {
        return Err(refuse(format!(
            "the newest 1.{minor} release modelled is v1.{minor}.{last} (no K3s source for later \
             ones was available to check; `--k3s-version latest` renders the newest state \
             modelled, which later releases may or may not share)"
        )));
    }
    Ok(Resolved {
        version: K3sVersion {
            minor,
            patch,
            revision,
        },
        era: era_of(minor, patch).expect("inside a modelled line"),
    })
}

/// A decimal number without sign or leading `+`.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// What `--version` prints after the program's own version.
pub fn version_line() -> &'static str {
    static LINE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    LINE.get_or_init(|| {
        format!(
            "{} (models K3s {} to {}; newest: {}, the default)",
            env!("CARGO_PKG_VERSION"),
            oldest(),
            newest(),
            newest()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn era(spec: &str) -> &'static str {
        resolve(spec).expect(spec).era.id
    }

    #[test]
    fn every_spelling_resolves() {
        assert_eq!(era("latest"), "pause-3.10.2");
        assert_eq!(era("v1.34.3+k3s1"), "containerd-2.1");
        assert_eq!(era("v1.34.3-k3s3"), "containerd-2.1");
        assert_eq!(era("v1.34.3"), "containerd-2.1");
        assert_eq!(era("1.34.3"), "containerd-2.1");
        assert_eq!(era("1.35"), "pause-3.10.2");
        assert_eq!(era("v1.33"), "imports");
        assert_eq!(
            resolve("1.33").expect("1.33").version.to_string(),
            "v1.33.13"
        );
        assert_eq!(
            resolve("latest").expect("latest").version.to_string(),
            "v1.36.3"
        );
    }

    #[test]
    fn boundaries_follow_the_releases_checked() {
        for (spec, id) in [
            ("v1.31.6", "containerd-2.0"),
            ("v1.31.11", "containerd-2.0"),
            ("v1.32.2", "containerd-2.0"),
            ("v1.32.8", "containerd-2.0"),
            ("v1.32.9", "containerd-2.1"),
            ("v1.33.4", "containerd-2.0"),
            ("v1.33.5", "containerd-2.1"),
            ("v1.33.9", "containerd-2.1"),
            ("v1.33.10", "imports"),
            ("v1.34.0", "containerd-2.1"),
            ("v1.34.5", "containerd-2.1"),
            ("v1.34.6", "imports"),
            ("v1.34.9", "imports"),
            ("v1.34.10", "pause-3.10.2"),
            ("v1.35.2", "containerd-2.1"),
            ("v1.35.3", "imports"),
            ("v1.35.7", "pause-3.10.2"),
            ("v1.36.0", "imports"),
            ("v1.36.2", "imports"),
            ("v1.36.3", "pause-3.10.2"),
        ] {
            assert_eq!(era(spec), id, "{spec}");
        }
    }

    #[test]
    fn unknown_and_older_versions_are_refused_naming_the_range() {
        for spec in [
            "v1.31.5", "v1.31.12", "v1.30.5", "1.32.1", "v1.33.14", "v1.36.4", "1.37", "2.0.0",
        ] {
            let msg = resolve(spec).expect_err(spec).to_string();
            assert!(
                msg.contains("v1.31.6 to v1.36.3"),
                "{spec}: {msg} names no range"
            );
        }
        for spec in [
            "",
            "1",
            "v1.34.x",
            "1.34.3+k3s",
            "1.34+k3s1",
            "1.34.3+rke2r1",
            "-1.2.3",
        ] {
            assert!(
                matches!(resolve(spec), Err(VersionError::Syntax(_))),
                "{spec:?}"
            );
        }
    }

    #[test]
    fn runs_are_ordered_and_cover_each_line_without_gaps() {
        for m in lines() {
            let mut runs: Vec<&Releases> = RELEASES.iter().filter(|r| r.minor == m).collect();
            runs.sort_by_key(|r| r.first);
            for w in runs.windows(2) {
                assert_eq!(w[0].last + 1, w[1].first, "gap or overlap in 1.{m}");
            }
            for r in &runs {
                assert!(r.first <= r.last);
            }
        }
        // Eras only move forward along a line.
        for m in lines() {
            let idx: Vec<usize> = RELEASES
                .iter()
                .filter(|r| r.minor == m)
                .map(|r| {
                    ERAS.iter()
                        .position(|e| std::ptr::eq(*e, r.era))
                        .expect("era listed")
                })
                .collect();
            assert!(idx.windows(2).all(|w| w[0] < w[1]), "1.{m}: {idx:?}");
        }
    }

    #[test]
    fn eras_differ_from_their_predecessor() {
        for w in ERAS.windows(2) {
            assert_ne!(w[0], w[1]);
            assert!(!w[1].commits.is_empty());
        }
        let ids: std::collections::BTreeSet<_> = ERAS.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), ERAS.len());
    }

    #[test]
    fn version_line_names_the_newest() {
        assert!(version_line().contains("v1.36.3"));
        assert!(version_line().contains("v1.31.6"));
    }
}
