//! The `k3s-registries` binary: parse arguments, run, print the error chain, exit.
use std::process::ExitCode;

use k3s_registries::cli::Cli;
use k3s_registries::cmd::{is_broken_pipe, report_error, run, Status};

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2, as documented.
    let cli = Cli::parse_args();
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    let status = match run(cli, &mut stdout, &mut stderr) {
        Ok(status) => status,
        Err(err) if is_broken_pipe(&err) => Status::Ok,
        Err(err) => {
            report_error(&err, &mut stderr);
            Status::Error
        }
    };
    ExitCode::from(status as u8)
}
