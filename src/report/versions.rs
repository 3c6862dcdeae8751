//! `versions`: the K3s releases modelled and, per era, what differs; the containerd builds explain
//! models and how they read certs.d differently.

use std::io;

use super::Reporter;
use crate::containerd::builds::{BUILDS, DIFFERENCES};
use crate::k3s::versions::{latest, lines, ERAS, RELEASES};

impl Reporter<'_> {
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
