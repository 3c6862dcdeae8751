//! `versions`: the K3s releases modelled and, per era, what differs; the containerd builds explain
//! models and how they read certs.d differently.

use std::io;

use serde_json::json;

use super::{Reporter, NAME};
use crate::containerd::builds::{BUILDS, DIFFERENCES};
use crate::k3s::versions::{latest, lines, ERAS, RELEASES};

/// The `schema_version` of `versions --format json`.
pub(crate) const VERSIONS_SCHEMA_VERSION: u32 = 1;

impl Reporter<'_> {
    /// `versions --format json`: `schema_version`, `tool` (`name`, `version`), `latest` (the
    /// default K3s release), `releases` (`line`, `first`, `last`, `era`), `eras` (`id`,
    /// `summary`, `pause_image`, `template_functions`, `commits`), `containerd_builds` (`name`,
    /// `title`), `error`.
    pub fn versions_json(&mut self) -> io::Result<()> {
        let releases: Vec<_> = RELEASES
            .iter()
            .map(|r| {
                json!({
                    "line": format!("1.{}", r.minor),
                    "first": format!("v1.{}.{}", r.minor, r.first),
                    "last": format!("v1.{}.{}", r.minor, r.last),
                    "era": r.era.id,
                })
            })
            .collect();
        let eras: Vec<_> = ERAS
            .iter()
            .map(|e| {
                json!({
                    "id": e.id,
                    "summary": e.summary,
                    "pause_image": e.pause_image,
                    "template_functions": e.template_functions,
                    "commits": e.commits,
                })
            })
            .collect();
        let builds: Vec<_> = BUILDS
            .iter()
            .map(|b| json!({ "name": b.name, "title": b.title }))
            .collect();
        let doc = json!({
            "schema_version": VERSIONS_SCHEMA_VERSION,
            "tool": { "name": NAME, "version": env!("CARGO_PKG_VERSION") },
            "latest": latest().version.to_string(),
            "releases": releases,
            "eras": eras,
            "containerd_builds": builds,
            "error": null,
        });
        self.print_json(&doc)
    }

    /// The release table, then each era with what it changes and the K3s commits behind it.
    pub fn versions(&mut self) -> io::Result<()> {
        let out = &mut *self.out;
        writeln!(
            out,
            "K3s releases modelled (--k3s-version; the default, latest, is {}):",
            latest().version
        )?;
        writeln!(out)?;
        for minor in lines() {
            let mut first_row = true;
            for r in RELEASES.iter().filter(|r| r.minor == minor) {
                let line = if first_row {
                    format!("1.{minor}")
                } else {
                    String::new()
                };
                first_row = false;
                let range = if r.first == r.last {
                    format!("v1.{minor}.{}", r.first)
                } else {
                    format!("v1.{minor}.{} - v1.{minor}.{}", r.first, r.last)
                };
                writeln!(out, "  {line:<6}{range:<22}{}", r.era.id)?;
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "Eras (hosts.toml is the same in all of them; config.toml differs):"
        )?;
        for era in ERAS {
            writeln!(out)?;
            writeln!(out, "{}: {}", era.id, era.summary)?;
            writeln!(out, "  pause image default: {}", era.pause_image)?;
            writeln!(
                out,
                "  template functions: {}",
                era.template_functions.join(", ")
            )?;
            writeln!(out, "  K3s commits:")?;
            for c in era.commits {
                writeln!(out, "    {c}")?;
            }
        }
        writeln!(out)?;
        writeln!(
            out,
            "containerd builds (explain --containerd), and how they read certs.d differently:"
        )?;
        for b in &BUILDS {
            writeln!(out, "  {:<10}{}", b.name, b.title)?;
        }
        for d in &DIFFERENCES {
            writeln!(out)?;
            writeln!(out, "{}:", d.what)?;
            for (b, source) in BUILDS.iter().zip(d.sources) {
                writeln!(out, "  {:<10}{}", b.name, (d.rule)(b))?;
                writeln!(out, "  {:<10}  {source}", "")?;
            }
        }
        Ok(())
    }
}
