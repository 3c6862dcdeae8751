//! Placeholder while being written.
use crate::app::Status;
use crate::report::Reporter;

/// Run the subcommand.
pub fn run(_args: &crate::cli::ExplainArgs, _rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    anyhow::bail!("explain: not written yet")
}
