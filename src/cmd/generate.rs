//! `completions` and `man`: shell completion scripts and man pages, generated from the clap
//! definitions in [`crate::cli`] at run time, so they always describe the binary that prints them
//! (every subcommand, every flag, including ones added later).

use std::path::Path;

use clap::CommandFactory as _;

use super::Status;
use crate::cli::{Cli, Shell};
use crate::report::Reporter;

/// The program's name, as installed.
const BIN: &str = "k3s-registries";

/// `completions SHELL`: the script on stdout.
pub(super) fn completions(shell: Shell, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    match shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut cmd, BIN, &mut script)
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut cmd, BIN, &mut script)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut cmd, BIN, &mut script)
        }
    }
    rep.generated(&script)?;
    Ok(Status::Ok)
}

/// Every man page: `k3s-registries.1`, then `k3s-registries-SUBCOMMAND.1` for each visible
/// subcommand, as (file name, roff source).
pub fn man_pages() -> std::io::Result<Vec<(String, Vec<u8>)>> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![page(cmd.clone())?];
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(page(sub.clone())?);
    }
    Ok(pages)
}

fn page(cmd: clap::Command) -> std::io::Result<(String, Vec<u8>)> {
    let man = clap_mangen::Man::new(cmd)
        .source(format!("{BIN} {}", env!("CARGO_PKG_VERSION")))
        .manual("k3s-registries manual");
    let mut roff = Vec::new();
    man.render(&mut roff)?;
    Ok((man.get_filename(), roff))
}

/// `man`: k3s-registries(1) on stdout, or every page into `dir`.
pub(super) fn man(dir: Option<&Path>, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let mut pages = man_pages()?;
    match dir {
        None => rep.generated(&pages.swap_remove(0).1)?,
        Some(dir) => {
            let written = crate::write::plain::write_files(dir, &pages)?;
            rep.generated_files(&written)?;
        }
    }
    Ok(Status::Ok)
}
