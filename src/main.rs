//! The `k3s-registries` binary: parse arguments, run, print the error chain, exit.
use std::process::ExitCode;

use clap::Parser;
use k3s_registries::cli::Cli;
use k3s_registries::cmd::{run, Status};
use k3s_registries::report::Reporter;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2, as documented.
    let cli = Cli::parse();
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    let status = match run(cli, &mut stdout, &mut stderr) {
        Ok(status) => status,
        // A closed pipe (`explain --json | head`) is the reader's choice, not an error.
        Err(err)
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Status::Ok
        }
        Err(err) => {
            let _ = Reporter::new(&mut std::io::sink(), &mut stderr).error(&format!("{err:#}"));
            Status::Error
        }
    };
    ExitCode::from(status as u8)
}
