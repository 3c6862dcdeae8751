//! The command layer: the only place that knows clap's types, `anyhow` and exit statuses. Each
//! subcommand (one file each) resolves its raw arguments into options, reads what it needs
//! through [`crate::fs`], drives the pure domain modules and hands their data to
//! [`crate::report`]. The binary's `main` calls [`run`] and exits with its status.

mod audit;
mod explain;
mod render;

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command, ConfigVersionArg, ContainerdArg, InputArgs, NodeArgs};
use crate::containerd::Flavor;
use crate::fs;
use crate::k3s::model::Model;
use crate::k3s::node::{ConfigVersion, NodeOptions};
use crate::k3s::translate::{translate, translate_owned};
use crate::registries::{self, Loaded, Source};
use crate::report::Reporter;

/// The process exit status, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done.
    Ok = 0,
    /// audit: findings at or above the `--deny` level.
    Findings = 1,
    /// Usage, input or I/O error.
    Error = 2,
}

/// Run a parsed command line. Errors are printed by the caller (`{:#}`), with status 2.
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<Status> {
    let mut rep = Reporter::for_terminal(stdout, stderr);
    match cli.command {
        Command::Render(args) => render::run(&args, &mut rep),
        Command::Explain(args) => explain::run(&args, &mut rep),
        Command::Audit(args) => audit::run(&args, &mut rep),
        Command::Versions => {
            rep.versions()?;
            Ok(Status::Ok)
        }
    }
}

/// Whether an error chain ends in a closed pipe (`explain --json | head`): the reader's choice,
/// not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Print a fatal error (its whole chain) on stderr.
pub fn report_error(err: &anyhow::Error, stderr: &mut dyn Write) {
    let _ = Reporter::new(&mut std::io::sink(), stderr).error(&format!("{err:#}"));
}

/// What every command starts from: the file, loaded and translated for the node.
#[derive(Debug)]
struct Pipeline {
    /// Where the registries file came from.
    source: Source,
    /// The translated model.
    model: Model,
}

/// Load and translate, printing K3s's messages (and a missing file's notice) on stderr;
/// `positions` says whether to keep the source map (render needs none).
fn pipeline(
    input: &InputArgs,
    node: NodeOptions,
    rep: &mut Reporter<'_>,
    positions: bool,
) -> anyhow::Result<Pipeline> {
    let (source, mut loaded) = load(&input.registries, rep, positions)?;
    let model = if positions {
        translate(&loaded.registry, &node)
    } else {
        // render keeps no positions and needs no second copy of the registry.
        translate_owned(std::mem::take(&mut loaded.registry), &node)
    };
    rep.notes(&model.notes)?;
    Ok(Pipeline { source, model })
}

/// Read the registries file (`-` is standard input). `Ok(None)`: it does not exist.
fn read_registries(path: &Path) -> Result<Option<(Source, Vec<u8>)>, fs::FsError> {
    if path == Path::new("-") {
        return Ok(Some((Source::Stdin, fs::read_stdin()?)));
    }
    match fs::read(path) {
        Ok(b) => Ok(Some((Source::File(path.to_path_buf()), b))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Read and decode the registries file. A file that does not exist is what K3s treats as an empty
/// configuration (wharfie's `GetPrivateRegistries`); say so and go on.
fn load(path: &Path, rep: &mut Reporter<'_>, positions: bool) -> anyhow::Result<(Source, Loaded)> {
    let Some((source, bytes)) = read_registries(path)? else {
        rep.missing_registries(path)?;
        return Ok((Source::File(path.to_path_buf()), Loaded::default()));
    };
    let name = source.display_name();
    let loaded = if positions {
        registries::load_str(&bytes, &name)?
    } else {
        registries::load_str_without_positions(&bytes, &name)?
    };
    Ok((source, loaded))
}

/// `--containerd`: which containerd build reads the files.
fn containerd_flavor(arg: ContainerdArg) -> Flavor {
    match arg {
        ContainerdArg::K3s => Flavor::K3sFork,
        ContainerdArg::Upstream => Flavor::Upstream,
        ContainerdArg::V1_6 => Flavor::Containerd16,
    }
}

/// Resolve the node flags; `containerd_dir` is the directory standing for K3s's
/// `<data-dir>/agent/etc/containerd`, where K3s looks for blockio and RDT config files. An
/// unknown `--k3s-version` is a usage error.
fn node_options(args: &NodeArgs, containerd_dir: Option<&Path>) -> anyhow::Result<NodeOptions> {
    let is_file = |name: &str| containerd_dir.is_some_and(|d| fs::is_file(&d.join(name)));
    let k3s = crate::k3s::versions::resolve(&args.k3s_version)?;
    Ok(NodeOptions {
        k3s,
        data_dir: crate::k3s::node::resolve_data_dir(
            &args.data_dir,
            &std::env::var("HOME").unwrap_or_else(|_| "/root".to_string()),
            &std::env::current_dir()
                .map(|d| d.to_string_lossy().into_owned())
                .unwrap_or_else(|_| "/".to_string()),
        ),
        pause_image: args
            .pause_image
            .clone()
            .unwrap_or_else(|| k3s.era.pause_image.to_string()),
        snapshotter: args.snapshotter.clone(),
        selinux: args.selinux,
        nonroot_devices: args.nonroot_devices,
        disable_default_registry_endpoint: args.disable_default_registry_endpoint,
        embedded_registry: args.embedded_registry,
        config_version: match args.config_version {
            ConfigVersionArg::V2 => ConfigVersion::V2,
            ConfigVersionArg::V3 => ConfigVersion::V3,
        },
        blockio_config_present: is_file("blockio_config.yaml"),
        rdt_config_present: is_file("rdt_config.yaml"),
    })
}
