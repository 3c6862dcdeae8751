//! Placeholder while being written.
use crate::app::Status;
use crate::report::Reporter;

/// Run the subcommand.
pub fn run(_args: &crate::cli::AuditArgs, _rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    anyhow::bail!("audit: not written yet")
}
