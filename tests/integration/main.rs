//! The one integration-test binary: runs the real `k3s-registries` binary in temporary
//! directories and checks stdout, stderr, exit codes and the files it leaves.

mod agreement_cli;
mod audit_cli;
mod cli_surface;
mod explain_cli;
mod fixtures;
mod harness;
mod hostile_input;
mod node_cli;
mod output_safety;
mod readme;
mod render_cli;
mod versions_cli;
