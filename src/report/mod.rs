//! Every printer: the only module that writes to stdout and stderr. Everything it prints for
//! people goes through here, so masking and wording live in one place.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod audit;
mod explain;
pub(crate) mod mask;
pub mod sarif;
mod versions;

use std::io::{self, Write};
use std::path::Path;

use crate::k3s::model::{Level, Note};
use crate::k3s::render::{Rendered, CERTS_D, CONFIG_TOML};
use crate::write::{Plan, PlannedFile, Removal, RemovalReason};

/// The program's name in messages.
pub const NAME: &str = "k3s-registries";

/// Prints results on stdout and messages on stderr.
pub struct Reporter<'a> {
    out: &'a mut dyn Write,
    err: &'a mut dyn Write,
    /// `--show-secrets`: print URL passwords in K3s's messages as they are.
    show_secrets: bool,
}

impl std::fmt::Debug for Reporter<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Reporter")
    }
}

impl<'a> Reporter<'a> {
    /// A reporter over the two streams.
    pub fn new(out: &'a mut dyn Write, err: &'a mut dyn Write) -> Self {
        Reporter {
            out,
            err,
            show_secrets: false,
        }
    }

    /// Whether messages may show secrets (`--show-secrets`); off unless a command says so.
    pub fn show_secrets(&mut self, yes: bool) {
        self.show_secrets = yes;
    }

    /// K3s's log messages from translation, each on one stderr line.
    pub fn notes(&mut self, notes: &[Note]) -> io::Result<()> {
        for n in notes {
            let level = match n.level {
                Level::Warning => "warning",
                Level::Error => "error",
            };
            // K3s logs endpoints as written, user:password included.
            let message = if self.show_secrets {
                n.message.clone()
            } else {
                crate::report::mask::mask_userinfo(&n.message)
            };
            writeln!(self.err, "{NAME}: K3s would log ({level}): {message}")?;
        }
        Ok(())
    }

    /// The registries file does not exist.
    pub fn missing_registries(&mut self, path: &Path) -> io::Result<()> {
        writeln!(
            self.err,
            "{NAME}: note: {} does not exist; K3s then configures no registries, and neither do we",
            path.display()
        )
    }

    /// The preview: config.toml, then each hosts.toml by path, each under a `==> path <==` line,
    /// with a blank line between files.
    pub fn preview(&mut self, rendered: &Rendered) -> io::Result<()> {
        self.file_block(CONFIG_TOML, &rendered.config_toml, true)?;
        for h in &rendered.hosts {
            self.file_block(
                &format!("{CERTS_D}/{}/hosts.toml", h.dir),
                &h.contents,
                false,
            )?;
        }
        self.out.flush()
    }

    fn file_block(&mut self, name: &str, contents: &[u8], first: bool) -> io::Result<()> {
        if !first {
            writeln!(self.out)?;
        }
        writeln!(self.out, "==> {name} <==")?;
        self.out.write_all(contents)
    }

    /// A removal about to happen.
    pub fn removal(&mut self, r: &Removal) -> io::Result<()> {
        writeln!(
            self.err,
            "{NAME}: removing {} ({})",
            r.path.display(),
            reason(r.reason)
        )
    }

    /// `--dry-run`: what a write would do, in order, on stdout.
    pub fn dry_run(&mut self, plan: &Plan) -> io::Result<()> {
        self.would_write(&plan.config)?;
        for r in &plan.removals {
            writeln!(
                self.out,
                "would remove {} ({})",
                r.path.display(),
                reason(r.reason)
            )?;
        }
        for f in &plan.hosts {
            self.would_write(f)?;
        }
        self.out.flush()
    }

    fn would_write(&mut self, f: &PlannedFile) -> io::Result<()> {
        writeln!(
            self.out,
            "would write {} ({} bytes, mode {:04o})",
            f.path.display(),
            f.contents.len(),
            f.mode
        )
    }

    /// A fatal error, `{:#}`-formatted by the caller.
    pub fn error(&mut self, message: &str) -> io::Result<()> {
        writeln!(self.err, "{NAME}: error: {message}")
    }
}

fn reason(r: RemovalReason) -> &'static str {
    match r {
        RemovalReason::Replaced => "a hosts.toml is written there",
        RemovalReason::Stale => "written by K3s, no longer configured",
    }
}
