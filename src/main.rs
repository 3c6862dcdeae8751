//! The `k3s-registries` binary: parse arguments, run, print the error chain, exit.
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use k3s_registries::cli::Cli;
use k3s_registries::cmd::{is_broken_pipe, report_error, run, Status};

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2, as documented.
    let cli = Cli::parse_args();
    // Into a pipe or a file, stdout is block-buffered (a preview of 20,000 files made 60,000
    // write calls line by line); on a terminal it stays line-buffered.
    let stdout = std::io::stdout();
    let mut stdout: Box<dyn Write> = if stdout.is_terminal() {
        Box::new(stdout.lock())
    } else {
        Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()))
    };
    let mut stderr = std::io::stderr().lock();
    let status = match run(cli, &mut stdout, &mut stderr) {
        // What was buffered goes out now; a reader that went away does not change the status.
        Ok(status) => match stdout.flush() {
            Ok(()) => status,
            Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => status,
            Err(err) => {
                report_error(
                    &anyhow::Error::new(err).context("writing stdout"),
                    &mut stderr,
                );
                Status::Error
            }
        },
        Err(err) if is_broken_pipe(&err) => Status::Ok,
        Err(err) => {
            // What was printed before the error goes out before it.
            let _ = stdout.flush();
            report_error(&err, &mut stderr);
            Status::Error
        }
    };
    ExitCode::from(status as u8)
}
