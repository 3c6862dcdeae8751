//! The command layer: the only place that knows clap's types, `anyhow` and exit statuses. Each
//! subcommand (one file each) resolves its raw arguments into options, reads what it needs
//! through [`crate::fs`], drives the pure domain modules and hands their data to
//! [`crate::report`]. The binary's `main` calls [`run`] and exits with its status.

mod audit;
mod diff;
mod explain;
pub mod generate;
mod node;
mod render;

use std::io::Write;

use crate::cli::{Cli, ColorChoice, Command, ContainerdArg, Format, InputArgs};
use crate::containerd::imports::{self, File, ImportReader, Merged};
use crate::containerd::Flavor;
use crate::fs;
use crate::k3s::model::Model;
use crate::k3s::node::NodeOptions;
use crate::k3s::node_detect::NodeFs;
use crate::k3s::translate::translate_owned;
use crate::registries::{self, Loaded, Source};
use crate::report::{ColorWhen, Reporter};
use crate::secret::Secrets;

/// The process exit status, as documented in the README.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Done.
    Ok = 0,
    /// audit: findings at or above the `--deny` level; diff: a restart would change files.
    Findings = 1,
    /// Usage, input or I/O error.
    Error = 2,
}

/// Run a parsed command line. Errors are printed by the caller (`{:#}`), with status 2; with
/// `--format json` they are also a JSON document on stdout (`{"schema_version", "error"}`).
pub fn run(cli: Cli, stdout: &mut dyn Write, stderr: &mut dyn Write) -> anyhow::Result<Status> {
    let mut rep = Reporter::for_terminal(stdout, stderr, color_when(cli.color));
    let json = wants_json(&cli.command);
    let result = check_named_registries(&cli.command).and_then(|()| match cli.command {
        Command::Render(args) => render::run(&args, &mut rep),
        Command::Explain(args) => explain::run(&args, &mut rep),
        Command::Audit(args) => audit::run(&args, &mut rep),
        Command::Diff(args) => diff::run(&args, &mut rep),
        Command::Versions(args) => {
            match args.format.resolve() {
                Format::Text => rep.versions()?,
                Format::Json => rep.versions_json()?,
            }
            Ok(Status::Ok)
        }
        Command::Completions(args) => generate::completions(args.shell, &mut rep),
        Command::Man(args) => generate::man(args.dir.as_deref(), &mut rep),
    });
    // An error may quote the input (a write error names a directory made of a `configs` key):
    // it is masked with the input's secrets, as everything else printed, the JSON error included.
    let result = result.map_err(|e| rep.masked_error(e));
    if let (Some(schema_version), Err(err)) = (json, &result) {
        if !is_broken_pipe(err) {
            // The caller still prints the error on stderr; a failure to print here changes
            // nothing about the status.
            let _ = rep.json_error(schema_version, &format!("{err:#}"));
        }
    }
    result
}

/// The `schema_version` of the JSON document the command prints, when it prints JSON.
fn wants_json(command: &Command) -> Option<u32> {
    use crate::cli::AuditFormat;
    use crate::report::schema;
    match command {
        Command::Render(a) if a.format == Format::Json => Some(schema::RENDER),
        Command::Explain(a) if a.format.resolve() == Format::Json => Some(schema::EXPLAIN),
        Command::Audit(a) if a.format == AuditFormat::Json => Some(schema::AUDIT),
        Command::Versions(a) if a.format.resolve() == Format::Json => Some(schema::VERSIONS),
        Command::Diff(a) if a.format.resolve() == Format::Json => Some(schema::DIFF),
        _ => None,
    }
}

/// `--color`, for the reporter (which reads NO_COLOR and CLICOLOR_FORCE itself).
fn color_when(c: ColorChoice) -> ColorWhen {
    match c {
        ColorChoice::Auto => ColorWhen::Auto,
        ColorChoice::Always => ColorWhen::Always,
        ColorChoice::Never => ColorWhen::Never,
    }
}

pub use crate::report::is_broken_pipe;

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

/// Load and translate, printing K3s's messages (and a missing file's notice) on stderr. No
/// source map is kept (render, explain and diff read none; audit loads the file itself, with
/// positions), and the registry moves into the model (no second copy).
fn pipeline(
    input: &node::RegistriesPath,
    node: NodeOptions,
    rep: &mut Reporter<'_>,
) -> anyhow::Result<Pipeline> {
    let (source, loaded) = load(input, rep)?;
    let model = translate_owned(loaded.registry, &node);
    rep.notes(&model.notes)?;
    Ok(Pipeline { source, model })
}

/// Read the registries file. `Ok(None)`: it does not exist.
fn read_registries(input: &node::RegistriesPath) -> Result<Option<(Source, Vec<u8>)>, fs::FsError> {
    let path = match input {
        node::RegistriesPath::Stdin => {
            return Ok(Some((
                Source::Stdin,
                fs::read_stdin(fs::Limit::REGISTRIES)?,
            )))
        }
        node::RegistriesPath::File(p) => p,
    };
    match fs::read(path, fs::Limit::REGISTRIES) {
        Ok(b) => Ok(Some((Source::File(path.to_path_buf()), b))),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// The registries file given on our command line, if any.
fn named_registries(command: &Command) -> Option<&InputArgs> {
    match command {
        Command::Render(a) => Some(&a.input),
        Command::Explain(a) => Some(&a.input),
        Command::Audit(a) => Some(&a.input),
        Command::Diff(a) => Some(&a.input),
        _ => None,
    }
}

/// A registries file named with `--registries` must exist: a typo must not render an empty
/// configuration. Only the file K3s would read by default may be missing (K3s's rule).
fn check_named_registries(command: &Command) -> anyhow::Result<()> {
    let Some(path) = named_registries(command).and_then(|i| i.registries.as_deref()) else {
        return Ok(());
    };
    if path != std::path::Path::new("-") && fs::kind(path) == fs::Kind::Missing {
        anyhow::bail!(
            "--registries {}: no such file (a file named here must exist; only the one K3s reads \
             by default may be missing, which K3s reads as no registries configuration)",
            path.display()
        );
    }
    Ok(())
}

/// Read and decode the registries file. A file that does not exist is what K3s treats as an empty
/// configuration (wharfie's `GetPrivateRegistries`); say so and go on.
fn load(input: &node::RegistriesPath, rep: &mut Reporter<'_>) -> anyhow::Result<(Source, Loaded)> {
    let Some((source, bytes)) = read_registries(input)? else {
        let node::RegistriesPath::File(path) = input else {
            unreachable!("standard input always exists")
        };
        rep.missing_registries(path)?;
        return Ok((Source::File(path.clone()), Loaded::default()));
    };
    let name = source.display_name();
    let loaded = match registries::load_str_without_positions(&bytes, &name) {
        Ok(l) => l,
        Err(mut e) => {
            // The error keeps yaml.v2's words; what it quotes from a secret position, and the
            // values at secret positions wherever else they appear, are masked when printed.
            crate::yaml::mask_secret_quotes(&mut e, &bytes);
            let mut secrets = Secrets::default();
            for (_, v) in crate::yaml::secret_scalars(&bytes) {
                secrets.add(&v);
            }
            rep.secrets(&secrets);
            return Err(e.into());
        }
    };
    rep.secrets(&loaded.registry.secrets());
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

/// Fail when K3s would not start with this node's configuration (render, explain and diff
/// describe a K3s that runs; audit reports it instead).
fn refuse_if_k3s_would_not(node: &node::Node) -> anyhow::Result<()> {
    if node.refusals.is_empty() {
        return Ok(());
    }
    let lines: Vec<String> = node
        .refusals
        .iter()
        .map(|r| match &r.file {
            Some((f, l, c)) if *l > 0 => format!("{f}:{l}:{c}: {}", r.message),
            Some((f, _, _)) => format!("{f}: {}", r.message),
            None => r.message.clone(),
        })
        .collect();
    anyhow::bail!(
        "K3s would not start with this node's configuration:\n{}",
        lines.join("\n")
    )
}

/// Reads the files a config.toml imports from the node (through `--root` and a rootless K3s's
/// mounts), as containerd globs them.
struct NodeImports<'a> {
    fs: &'a NodeFs,
}

impl ImportReader for NodeImports<'_> {
    fn files(&mut self, pattern: &str) -> Result<Vec<File>, String> {
        let local = self.fs.k3s(pattern);
        let dir = crate::go::filepath::clean(pattern.rsplit_once('/').map_or(".", |(d, _)| d));
        let paths = if pattern.contains(['*', '?']) {
            fs::glob_last(&local).map_err(|e| e.to_string())?
        } else {
            vec![local]
        };
        paths
            .into_iter()
            .map(|p| {
                let bytes = fs::read_as_go(&p).map_err(|e| e.to_string())?;
                let base = p
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Ok(File {
                    path: format!("{dir}/{base}"),
                    name: p.display().to_string(),
                    bytes,
                })
            })
            .collect()
    }
}

/// config.toml (its node path, its name for people and its bytes) merged with what it imports on
/// the node, as containerd loads them.
fn merge_imports(
    fs_map: &NodeFs,
    node_path: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Merged, imports::LoadError> {
    imports::load(
        File {
            path: node_path.to_string(),
            name: name.to_string(),
            bytes: bytes.to_vec(),
        },
        &mut NodeImports { fs: fs_map },
    )
}
