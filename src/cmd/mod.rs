//! Running a command: resolve the parsed arguments into options, drive the pipeline, hand the
//! results to [`crate::report`]. The binary's `main` calls [`run`] and exits with its status.

use std::io::{self, Read, Write};
use std::path::Path;

use anyhow::Context as _;

use crate::cli::{Cli, Command, ConfigVersionArg, InputArgs, NodeArgs, RenderArgs};
use crate::k3s::model::Model;
use crate::k3s::node::{ConfigVersion, NodeOptions};
use crate::k3s::render::{RenderOptions, Renderer};
use crate::k3s::translate::{translate, translate_owned};
use crate::registries::{self, Loaded, Source};
use crate::report::Reporter;
use crate::write;

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
    let mut rep = Reporter::new(stdout, stderr);
    match cli.command {
        Command::Render(args) => render(&args, &mut rep),
        Command::Explain(args) => crate::explain::run(&args, &mut rep),
        Command::Audit(args) => crate::audit::run(&args, &mut rep),
        Command::Versions => {
            rep.versions()?;
            Ok(Status::Ok)
        }
    }
}

/// What every command starts from: the file, loaded and translated for the node.
#[derive(Debug)]
pub struct Pipeline {
    /// Where the registries file came from.
    pub source: Source,
    /// The loaded file.
    pub loaded: Loaded,
    /// The translated model.
    pub model: Model,
}

/// Load and translate, printing K3s's messages (and a missing file's notice) on stderr.
pub fn pipeline(
    input: &InputArgs,
    node: NodeOptions,
    rep: &mut Reporter<'_>,
) -> anyhow::Result<Pipeline> {
    pipeline_with(input, node, rep, true)
}

/// [`pipeline`]; `positions` says whether to keep the source map (render needs none).
fn pipeline_with(
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
    Ok(Pipeline {
        source,
        loaded,
        model,
    })
}

/// Read and decode the registries file. A file that does not exist is what K3s treats as an empty
/// configuration (wharfie's `GetPrivateRegistries`); say so and go on.
fn load(path: &Path, rep: &mut Reporter<'_>, positions: bool) -> anyhow::Result<(Source, Loaded)> {
    let (source, bytes) = if path == Path::new("-") {
        let mut buf = Vec::new();
        io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        (Source::Stdin, buf)
    } else {
        match std::fs::read(path) {
            Ok(b) => (Source::File(path.to_path_buf()), b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                rep.missing_registries(path)?;
                return Ok((Source::File(path.to_path_buf()), Loaded::default()));
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    };
    let name = source.display_name();
    let loaded = if positions {
        registries::load_str(&bytes, &name)?
    } else {
        registries::load_str_without_positions(&bytes, &name)?
    };
    Ok((source, loaded))
}

/// Resolve the node flags; `containerd_dir` is the directory standing for K3s's
/// `<data-dir>/agent/etc/containerd`, where K3s looks for blockio and RDT config files. An
/// unknown `--k3s-version` is a usage error.
pub fn node_options(args: &NodeArgs, containerd_dir: Option<&Path>) -> anyhow::Result<NodeOptions> {
    let is_file = |name: &str| {
        containerd_dir.is_some_and(|d| d.join(name).metadata().is_ok_and(|m| m.is_file()))
    };
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

fn render(args: &RenderArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let node = node_options(&args.node, args.output.as_deref())?;
    let opts = RenderOptions {
        // Files on disk always get the real values; only the preview is for people.
        mask_secrets: args.output.is_none() && !args.show_secrets,
    };
    // The model is dropped once rendered: on a large file, writing then needs only the bytes.
    rep.show_secrets(args.show_secrets);
    let rendered = {
        let p = pipeline_with(&args.input, node, rep, false)?;
        let renderer = Renderer::new()?;
        if opts.mask_secrets {
            // K3s renders the real values: a secret too long for trimEmpty fails there, so the
            // preview must fail too, whatever the mask makes of it.
            renderer.render(&p.model, RenderOptions::default())?;
        }
        renderer.render_owned(p.model, opts)?
    };
    match &args.output {
        None => rep.preview(&rendered)?,
        Some(dir) => {
            let out = write::Output::open(
                dir,
                write::Options {
                    dry_run: args.dry_run,
                    allow_wipe: args.allow_wipe,
                    lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
                },
            )?;
            rep.recovery(out.dir(), out.recovery())?;
            let plan = out.plan(rendered)?;
            if args.dry_run {
                rep.dry_run(&plan)?;
            } else {
                rep.written(&out.apply(plan)?)?;
            }
        }
    }
    Ok(Status::Ok)
}
