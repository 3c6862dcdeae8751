//! The command line, as clap derive types: what the user can say, and nothing else. No logic here;
//! [`crate::cmd`] resolves these into options and runs them.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// K3s's default registries file.
pub const DEFAULT_REGISTRIES: &str = "/etc/rancher/k3s/registries.yaml";

/// Render, explain and audit a K3s registries.yaml offline, byte for byte as K3s writes
/// containerd's config.toml and certs.d/<host>/hosts.toml (any K3s release from v1.31.6 / v1.32.2
/// on; see `k3s-registries versions`).
#[derive(Debug, Parser)]
#[command(
    name = "k3s-registries",
    version = crate::k3s::versions::version_line(),
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print (or write) the config.toml and hosts.toml files K3s writes for a registries.yaml.
    Render(RenderArgs),
    /// Show, for one image, the requests containerd makes in order: hosts directory, endpoints,
    /// URLs, rewrites, TLS, credentials, and where the default endpoint comes in.
    Explain(ExplainArgs),
    /// Find what breaks pulls or leaks secrets, offline. Exit 1 when a finding reaches --deny.
    Audit(AuditArgs),
    /// List the K3s releases modelled, and what differs between them.
    Versions,
}

/// Where the registries file comes from.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// The registries file; `-` reads standard input. A missing file is what K3s treats as no
    /// registries configuration.
    #[arg(
        long = "registries",
        visible_alias = "private-registry",
        value_name = "FILE",
        default_value = DEFAULT_REGISTRIES
    )]
    pub registries: PathBuf,
}

/// The K3s node flags that change what K3s writes (same names and defaults as K3s's).
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "K3s node options")]
pub struct NodeArgs {
    /// The K3s release the node runs: latest (the newest modelled), 1.MINOR (the newest modelled
    /// patch of that line), 1.MINOR.PATCH, or v1.MINOR.PATCH+k3sN. See `k3s-registries versions`.
    #[arg(long, value_name = "VERSION", default_value = "latest")]
    pub k3s_version: String,
    /// K3s's --disable-default-registry-endpoint: no fallback to the registry's own endpoint for
    /// mirrored registries (registries with only a `configs` entry keep theirs).
    #[arg(long)]
    pub disable_default_registry_endpoint: bool,
    /// The embedded registry (Spegel) is on: K3s adds https://127.0.0.1:6443/v2 as the first
    /// endpoint of every non-localhost mirror.
    #[arg(long)]
    pub embedded_registry: bool,
    /// K3s's --data-dir; every path in config.toml follows from it. Resolved as K3s does: `~`,
    /// `$HOME` expanded, made absolute against the current directory.
    #[arg(long, short = 'd', value_name = "DIR", default_value = crate::k3s::node::DEFAULT_DATA_DIR)]
    pub data_dir: String,
    /// K3s's --pause-image [default: the K3s release's; rancher/mirrored-pause:3.10.2 from
    /// v1.34.10, v1.35.7 and v1.36.3 on, rancher/mirrored-pause:3.6 before]
    #[arg(long, value_name = "IMAGE")]
    pub pause_image: Option<String>,
    /// K3s's --snapshotter.
    #[arg(long, value_name = "NAME", default_value = crate::k3s::node::DEFAULT_SNAPSHOTTER)]
    pub snapshotter: String,
    /// K3s's --selinux.
    #[arg(long)]
    pub selinux: bool,
    /// K3s's --nonroot-devices.
    #[arg(long)]
    pub nonroot_devices: bool,
    /// config.toml template: 3 (containerd 2.x, K3s's default) or 2 (containerd 1.7 schema,
    /// as K3s renders it under a config.toml.tmpl holding {{ template "base" . }}).
    #[arg(long, value_enum, value_name = "N", default_value = "3")]
    pub config_version: ConfigVersionArg,
}

/// `--config-version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigVersionArg {
    /// containerd 1.7 schema (`version = 2`).
    #[value(name = "2")]
    V2,
    /// containerd 2.x schema (`version = 3`).
    #[value(name = "3")]
    V3,
}

/// `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Write the files into DIR (standing for K3s's <data-dir>/agent/etc/containerd), doing to it
    /// what K3s does to its own: host directories about to be written are replaced, directories
    /// whose hosts.toml K3s wrote and no registry needs any more are removed, all else is left
    /// alone. Without it, print a preview.
    #[arg(long, short = 'o', value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// With --output: report what would be written and removed, and touch nothing.
    #[arg(long, requires = "output")]
    pub dry_run: bool,
    /// With --output: where a registry name makes K3s remove DIR's own entries or certs.d as a
    /// whole (a registry named `..` or `.`), do so even when they hold files K3s did not write.
    /// Without it such a run is refused and DIR left unchanged.
    #[arg(long, requires = "output")]
    pub allow_wipe: bool,
    /// With --output: how long to wait for another run writing DIR to finish, in seconds.
    #[arg(
        long,
        requires = "output",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub lock_timeout: u64,
    /// Show passwords, auth strings and identity tokens in the preview instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// Files already on a node, to read instead of rendering a registries file.
#[derive(Debug, Args, Clone)]
pub struct NodeFilesArgs {
    /// Read an existing certs.d directory (whoever wrote it) instead of rendering the registries
    /// file: explains or audits a live node.
    #[arg(long, value_name = "DIR")]
    pub hosts_dir: Option<PathBuf>,
    /// With --hosts-dir: the node's containerd config.toml, for credentials (version 2 or 3).
    #[arg(long, value_name = "FILE", requires = "hosts_dir")]
    pub containerd_config: Option<PathBuf>,
}

/// `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The image reference, as a pod spec or `crictl pull` would name it (`nginx`,
    /// `registry.example.com:5000/team/app:1.2`, `ghcr.io/org/img@sha256:...`).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Print a stable JSON document (schema_version 1) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show secrets instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
    /// The containerd build that reads the files (how each reads certs.d differently: see the
    /// README).
    #[arg(long, value_enum, value_name = "BUILD", default_value = "k3s")]
    pub containerd: ContainerdArg,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub files: NodeFilesArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// `--containerd`: the containerd build whose reading of the files is modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ContainerdArg {
    /// K3s's fork of containerd 2.x, as K3s ships it.
    K3s,
    /// Stock containerd 2.x.
    Upstream,
    /// Stock containerd 1.6.20 (Debian 12's).
    #[value(name = "1.6")]
    V1_6,
}

/// `audit --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuditFormat {
    /// Compiler-style text with source lines.
    Text,
    /// A JSON document (schema_version 1).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// `audit --deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DenyLevel {
    /// Fail (exit 1) on warnings and errors.
    Warning,
    /// Fail (exit 1) on errors only.
    Error,
}

/// `audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: AuditFormat,
    /// The lowest severity that makes audit exit 1.
    #[arg(long, value_enum, default_value = "error")]
    pub deny: DenyLevel,
    /// Silence a finding code (repeatable).
    #[arg(long, value_name = "CODE")]
    pub allow: Vec<String>,
    /// Print the long description of a finding code and exit.
    #[arg(long, value_name = "CODE")]
    pub explain_code: Option<String>,
    /// Also check that TLS files named in the configuration exist and are readable here.
    #[arg(long)]
    pub check_files: bool,
    /// The containerd build that reads the files (how each reads certs.d differently: see the
    /// README).
    #[arg(long, value_enum, value_name = "BUILD", default_value = "k3s")]
    pub containerd: ContainerdArg,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub files: NodeFilesArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}
