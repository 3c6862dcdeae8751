//! The command line, as clap derive types: what the user can say, and nothing else. No logic here;
//! [`crate::cmd`] resolves these into options and runs them.

use std::path::PathBuf;

use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};

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
    /// When to colour the output: auto (when stdout is a terminal; NO_COLOR turns colours off,
    /// CLICOLOR_FORCE on), always, or never.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value = "auto",
        hide_possible_values = true
    )]
    pub color: ColorChoice,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parse the process's arguments, exiting on a usage error (status 2) or after `--help` and
    /// `--version`. clap's own messages (help, usage errors) follow `--color` too.
    pub fn parse_args() -> Cli {
        let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
        // The last --color wins, as clap resolves it; the value is checked by the parse proper.
        let mut color = clap::ColorChoice::Auto;
        let mut words = args.iter().skip(1).map(|a| a.to_str().unwrap_or(""));
        while let Some(w) = words.next() {
            let value = match w.strip_prefix("--color") {
                Some("") => words.next().unwrap_or(""),
                Some(v) if v.starts_with('=') => &v[1..],
                _ if w == "--" => break,
                _ => continue,
            };
            color = match value {
                "always" => clap::ColorChoice::Always,
                "never" => clap::ColorChoice::Never,
                _ => clap::ColorChoice::Auto,
            };
        }
        let matches = Cli::command().color(color).get_matches_from(args);
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    Auto,
    /// Always colour, even into a pipe.
    Always,
    /// Never colour.
    Never,
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
    /// On a node: what a restart of K3s would change under <data-dir>/agent/etc/containerd, as a
    /// unified diff (secrets masked). Exit 0 when nothing, 1 when something would change.
    Diff(DiffArgs),
    /// List the K3s releases modelled, and what differs between them.
    Versions(VersionsArgs),
    /// Print a shell completion script for bash, zsh or fish on stdout.
    Completions(CompletionsArgs),
    /// Print the man page k3s-registries(1) on stdout, or write every page (one per subcommand)
    /// into a directory.
    Man(ManArgs),
}

/// `--format` of the commands that print text or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Text for people.
    Text,
    /// A JSON document (with a `schema_version`; see the README).
    Json,
}

/// `--format text|json`, with `--json` as its short form.
#[derive(Debug, Args, Clone, Copy)]
pub struct FormatArgs {
    /// Output format. With json, a fatal error is a JSON document too (`error`), with the same
    /// exit status.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Same as --format json.
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
}

impl FormatArgs {
    /// The format asked for.
    pub fn resolve(&self) -> Format {
        if self.json {
            Format::Json
        } else {
            self.format
        }
    }
}

/// `versions`.
#[derive(Debug, Args)]
pub struct VersionsArgs {
    #[command(flatten)]
    pub format: FormatArgs,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// The shells `completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// bash (installed as /usr/share/bash-completion/completions/k3s-registries).
    Bash,
    /// zsh (installed as /usr/share/zsh/vendor-completions/_k3s-registries).
    Zsh,
    /// fish (installed as /usr/share/fish/vendor_completions.d/k3s-registries.fish).
    Fish,
}

/// `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write k3s-registries.1 and one k3s-registries-SUBCOMMAND.1 per subcommand into DIR
    /// (created if missing) instead of printing k3s-registries(1).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// Where the registries file comes from.
#[derive(Debug, Args, Clone)]
pub struct InputArgs {
    /// The registries file; `-` reads standard input. A file named here must exist; only the one
    /// K3s would read by default may be missing, which K3s treats as no registries configuration.
    /// [default: K3s's --private-registry on the node: its config file's or service's, else
    /// /etc/rancher/k3s/registries.yaml (under --root)]
    #[arg(
        long = "registries",
        visible_alias = "private-registry",
        value_name = "FILE"
    )]
    pub registries: Option<PathBuf>,
}

/// Where K3s's own settings come from: the node's config file, service and data dir.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "K3s on the node")]
pub struct K3sArgs {
    /// Look for the node's files under DIR instead of / (a copy of a node's files, a fixture
    /// tree): K3s's config file, its service unit and environment files, its binary, its data dir
    /// and the registries file it names. Paths given on our command line are taken as they are.
    #[arg(
        long,
        value_name = "DIR",
        env = "K3S_REGISTRIES_ROOT",
        hide_env_values = true
    )]
    pub root: Option<PathBuf>,
    /// K3s's config file, read with its `<FILE>.d/*.yaml` drop-ins as K3s reads them (a local
    /// path). [default: the service's --config or K3S_CONFIG_FILE, else
    /// /etc/rancher/k3s/config.yaml]
    #[arg(long, value_name = "FILE")]
    pub k3s_config: Option<PathBuf>,
    /// Ignore K3s's config file, its drop-ins and the flags of K3s's service: only our own
    /// flags (and K3s's defaults) count.
    #[arg(long, conflicts_with = "k3s_config")]
    pub no_k3s_config: bool,
}

/// The K3s node flags that change what K3s writes (same names and defaults as K3s's). Each one
/// overrides what K3s's config file and service say, as K3s's own command line does. Boolean
/// flags take `--flag`, `--flag=true` or `--flag=false`.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "K3s node options")]
pub struct NodeArgs {
    /// The K3s release the node runs: latest (the newest modelled), 1.MINOR (the newest modelled
    /// patch of that line), 1.MINOR.PATCH, or v1.MINOR.PATCH+k3sN. See `k3s-registries versions`.
    /// [default: on a node, the release of its k3s binary (`k3s --version`), else latest]
    #[arg(long, value_name = "VERSION")]
    pub k3s_version: Option<String>,
    /// K3s's --disable-default-registry-endpoint: no fallback to the registry's own endpoint for
    /// mirrored registries (registries with only a `configs` entry keep theirs).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub disable_default_registry_endpoint: Option<bool>,
    /// K3s's --embedded-registry: K3s adds https://127.0.0.1:6443/v2 as the first endpoint of
    /// every non-localhost mirror (a server flag; on an agent, the server's setting).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub embedded_registry: Option<bool>,
    /// K3s's --data-dir; every path in config.toml follows from it. Resolved as K3s does: `~`,
    /// `$HOME` expanded, made absolute against the current directory. [default:
    /// /var/lib/rancher/k3s; $HOME/.rancher/k3s for a rootless server]
    #[arg(long, short = 'd', value_name = "DIR")]
    pub data_dir: Option<String>,
    /// K3s's --pause-image [default: the K3s release's; rancher/mirrored-pause:3.10.2 from
    /// v1.34.10, v1.35.7 and v1.36.3 on, rancher/mirrored-pause:3.6 before]
    #[arg(long, value_name = "IMAGE")]
    pub pause_image: Option<String>,
    /// K3s's --system-default-registry: prefixes the pause image with REGISTRY/ (a server flag;
    /// on an agent, the server's setting).
    #[arg(long, value_name = "REGISTRY")]
    pub system_default_registry: Option<String>,
    /// K3s's --snapshotter. [default: overlayfs]
    #[arg(long, value_name = "NAME")]
    pub snapshotter: Option<String>,
    /// K3s's --selinux.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub selinux: Option<bool>,
    /// K3s's --nonroot-devices.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub nonroot_devices: Option<bool>,
    /// K3s's --rootless: K3s in a user namespace (AppArmor off, OOM score adjustment restricted,
    /// NRI off, SystemdCgroup false; the data dir and /etc/rancher move under $HOME).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true,
          default_missing_value = "true", value_parser = go_bool)]
    pub rootless: Option<bool>,
    /// K3s's --container-runtime-endpoint: K3s then starts no containerd of its own and ignores
    /// registries.yaml (said up front; audit reports it).
    #[arg(long, value_name = "SOCKET")]
    pub container_runtime_endpoint: Option<String>,
    /// config.toml template: 3 (containerd 2.x, K3s's default) or 2 (containerd 1.7 schema,
    /// as K3s renders it under a config.toml.tmpl holding {{ template "base" . }}). [default: 2
    /// when the node has a config.toml.tmpl and no config-v3.toml.tmpl, else 3]
    #[arg(long, value_enum, value_name = "N")]
    pub config_version: Option<ConfigVersionArg>,
}

/// A boolean as Go's `strconv.ParseBool` (and so K3s's flags) reads it.
fn go_bool(s: &str) -> Result<bool, String> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!("{s:?} is not a boolean (true, false, 1, 0, t, f)")),
    }
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
    /// With --output: no summary line on stderr after writing.
    #[arg(long, short = 'q', requires = "output")]
    pub quiet: bool,
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
    #[arg(long, conflicts_with = "output")]
    pub show_secrets: bool,
    /// Output format: text prints the files (the preview) or what was done; json lists the files
    /// with path, mode, size and sha256, never their contents.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub k3s: K3sArgs,
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

/// `explain`. With `--hosts-dir` the node's files are read as they are: the registries file and
/// the node options, which only serve rendering, are refused.
#[derive(Debug, Args)]
#[command(mut_arg("hosts_dir", |a| a.conflicts_with_all(["InputArgs", "NodeArgs"])))]
pub struct ExplainArgs {
    /// The image reference, as a pod spec or `crictl pull` would name it (`nginx`,
    /// `registry.example.com:5000/team/app:1.2`, `ghcr.io/org/img@sha256:...`).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    #[command(flatten)]
    pub format: FormatArgs,
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
    pub k3s: K3sArgs,
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
    /// Also read the files the configuration names, here: that each TLS file exists, is
    /// readable and holds usable PEM, and that files holding credentials (registries.yaml; with
    /// --containerd-config, config.toml) are not readable by group or others.
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
    pub k3s: K3sArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}

/// `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// json: a stable JSON document (schema_version 1) listing the added, removed and changed
    /// files instead of the diff.
    #[command(flatten)]
    pub format: FormatArgs,
    /// Show passwords, auth strings and identity tokens in the diff instead of masking them.
    #[arg(long)]
    pub show_secrets: bool,
    /// Compare with DIR instead of the node's <data-dir>/agent/etc/containerd (a local path).
    #[arg(long, value_name = "DIR")]
    pub containerd_dir: Option<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub k3s: K3sArgs,
    #[command(flatten)]
    pub node: NodeArgs,
}
