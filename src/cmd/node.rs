//! The node every subcommand starts from: K3s's service, config file and data dir, read (under
//! `--root`) and resolved into the settings K3s would start with, our own flags on top, as
//! K3s's own command line wins over its config file. Said up front on stderr when there is a
//! node to speak of.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{ConfigVersionArg, InputArgs, K3sArgs, NodeArgs};
use crate::fs;
use crate::k3s::configfile::{self, ConfigFile, DEFAULT_CONFIG};
use crate::k3s::node::{
    pause_image_with_registry, resolve_data_dir, ConfigVersion, NodeOptions, DEFAULT_DATA_DIR,
    DEFAULT_SNAPSHOTTER,
};
use crate::k3s::node_detect::{
    parse_env_file, parse_unit, probe_version, split_exec_start, NodeFs, Service, Unit,
    ROOTLESS_UNIT, UNITS, UNIT_DIRS,
};
use crate::k3s::settings::{self, EnvVar, Refusal, Role, Setting, Settings, Source};
use crate::k3s::user_template::{UserTemplate, TEMPLATE_FILES};
use crate::k3s::versions::{self, Resolved};
use crate::report::node::{Header, SettingLine};
use crate::report::Reporter;

/// K3s's default registries file (`--private-registry`'s default).
pub(crate) const DEFAULT_REGISTRIES: &str = "/etc/rancher/k3s/registries.yaml";
/// A rootless server's default data dir (`datadir.DefaultHomeDataDir`).
const HOME_DATA_DIR: &str = "${HOME}/.rancher/k3s";

/// Where the registries file is.
#[derive(Debug, Clone)]
pub(super) enum RegistriesPath {
    /// Standard input.
    Stdin,
    /// A file here: the path to read.
    File(PathBuf),
}

/// Why K3s would not start with this configuration.
#[derive(Debug, Clone)]
pub(super) struct NodeRefusal {
    /// What K3s says.
    pub(super) message: String,
    /// Where (a file, and a 1-based line and column when known).
    pub(super) file: Option<(String, u32, u32)>,
}

/// The node, resolved.
#[derive(Debug)]
pub(super) struct Node {
    /// How its paths map to ours.
    pub(super) fs: NodeFs,
    /// Whether K3s was found here at all (a service, a config file, a binary, a data dir).
    pub(super) found: bool,
    /// K3s's service.
    pub(super) service: Option<Service>,
    /// The settings K3s starts with (ours applied on top).
    pub(super) settings: Settings,
    /// The config files read, in K3s's order.
    pub(super) config_files: Vec<String>,
    /// The K3s release.
    pub(super) version: Resolved,
    /// The node options for rendering.
    pub(super) options: NodeOptions,
    /// `<data-dir>/agent/etc/containerd` here.
    pub(super) containerd_dir: PathBuf,
    /// The user template K3s uses instead of its own, if any.
    pub(super) template: Option<UserTemplate>,
    /// The registries file.
    pub(super) registries: RegistriesPath,
    /// K3s starts no containerd of its own: what it uses instead (`--container-runtime-endpoint
    /// X`, `--docker`), and where that was set.
    pub(super) external_runtime: Option<(String, Source)>,
    /// What stops K3s from starting.
    pub(super) refusals: Vec<NodeRefusal>,
}

impl Node {
    /// What to restart for changes to take effect.
    pub(super) fn restart_hint(&self) -> String {
        match &self.service {
            Some(s) => s.restart_command(),
            None => match self.settings.role {
                Role::Agent => "systemctl restart k3s-agent".to_string(),
                Role::Server => "systemctl restart k3s (k3s-agent on an agent)".to_string(),
            },
        }
    }

    /// The drop-in directory containerd imports from (the `imports` era), here.
    pub(super) fn imports_dir(&self) -> Option<PathBuf> {
        if !self.options.era().imports {
            return None;
        }
        let name = match self.options.config_version {
            ConfigVersion::V3 => "config-v3.toml.d",
            ConfigVersion::V2 => "config.toml.d",
        };
        Some(self.containerd_dir.join(name))
    }
}

/// Resolve the node for a subcommand. `input` is the registries file option; `output_dir`
/// (render --output, diff --containerd-dir) stands for the containerd directory when given.
pub(super) fn resolve(
    k3s: &K3sArgs,
    ours: &NodeArgs,
    input: &InputArgs,
    output_dir: Option<&Path>,
    rep: &mut Reporter<'_>,
) -> anyhow::Result<Node> {
    let root = k3s.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    if !root.is_dir() {
        anyhow::bail!("--root {}: not a directory", root.display());
    }
    let home = std::env::var("HOME").unwrap_or_else(|_| "/root".to_string());
    let mut fs_map = NodeFs::new(&root);
    let mut notes: Vec<String> = Vec::new();
    let service = find_service(&fs_map, &home, &mut notes)?;
    let mut refusals = Vec::new();

    // K3s's config file: ours, else the service's K3S_CONFIG_FILE, its --config, the default.
    let use_service_config = !k3s.no_k3s_config;
    let config_path: Option<(PathBuf, String)> = if k3s.no_k3s_config {
        None
    } else if let Some(p) = &k3s.k3s_config {
        Some((p.clone(), p.display().to_string()))
    } else {
        let from_env = service.as_ref().and_then(|s| {
            s.env
                .iter()
                .rev()
                .find(|e| e.name == settings::CONFIG_ENV && !e.value.is_empty())
                .map(|e| e.value.clone())
        });
        let from_args = service
            .as_ref()
            .and_then(|s| settings::config_file_flag(&s.args));
        let node_path = from_env
            .or(from_args)
            .unwrap_or_else(|| DEFAULT_CONFIG.to_string());
        let local = fs_map.host(&node_path);
        let shown = local.display().to_string();
        Some((local, shown))
    };
    let mut config_files: Vec<ConfigFile> = Vec::new();
    let mut config_names: Vec<String> = Vec::new();
    if let Some((local, shown)) = &config_path {
        if shown.starts_with("http://") || shown.starts_with("https://") {
            notes.push(format!(
                "K3s's config file is {shown}, which K3s fetches over HTTP; it is not read here"
            ));
        } else {
            read_config_files(
                local,
                shown,
                &mut config_files,
                &mut config_names,
                &mut refusals,
            )?;
        }
    }

    let role = service.as_ref().map_or(Role::Server, |s| s.role);
    let config_args = configfile::flatten(&config_files);
    let service_args: Option<(String, Vec<String>)> = service
        .as_ref()
        .filter(|_| use_service_config)
        .map(|s| (s.path.display().to_string(), s.args.clone()));
    let service_env: &[EnvVar] = match &service {
        Some(s) if use_service_config => &s.env,
        _ => &[],
    };
    let mut settings = settings::resolve(
        role,
        &config_args,
        service_args
            .as_ref()
            .map(|(u, a)| (u.as_str(), a.as_slice())),
        service_env,
    );
    for r in std::mem::take(&mut settings.refusals) {
        refusals.push(settings_refusal(r));
    }
    apply_overrides(&mut settings, ours);

    // The data dir, as K3s resolves it (datadir.LocalHome): a rootless server defaults to
    // $HOME/.rancher/k3s; values from K3s's files are relative to K3s's working directory (a
    // service's is /), ours to ours.
    let rootless = settings.bool(Setting::Rootless);
    let raw = settings.get(Setting::DataDir).map(|v| v.text.clone());
    let raw = match (raw, role) {
        (Some(v), _) if !v.is_empty() => v,
        (_, Role::Server) if rootless => HOME_DATA_DIR.to_string(),
        _ => DEFAULT_DATA_DIR.to_string(),
    };
    let cwd = match settings.get(Setting::DataDir).map(|v| &v.source) {
        Some(Source::CommandLine) => std::env::current_dir()
            .map(|d| d.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "/".to_string()),
        _ => "/".to_string(),
    };
    let data_dir = resolve_data_dir(&raw, &home, &cwd);
    if rootless {
        let run_dir = std::env::var("XDG_RUNTIME_DIR")
            .unwrap_or_else(|_| format!("/run/user/{}", current_uid().unwrap_or_default()));
        fs_map = fs_map.rootless(&data_dir, &run_dir);
    }
    let containerd_node = crate::go::filepath::join(&[&data_dir, "agent", "etc", "containerd"]);
    let containerd_dir = match output_dir {
        Some(d) => d.to_path_buf(),
        None => fs_map.k3s(&containerd_node),
    };

    // The release.
    let (version, version_from) = match &ours.k3s_version {
        Some(spec) => (versions::resolve(spec)?, "--k3s-version".to_string()),
        None => match detect_version(&fs_map, service.as_ref(), &data_dir, &mut notes) {
            Some((release, how)) => {
                let v = versions::resolve(&release).with_context(|| {
                    format!("K3s on this node is {release} ({how}); pass --k3s-version to render for a modelled release")
                })?;
                (v, how)
            }
            None => (
                versions::latest(),
                "latest: no K3s release found here".to_string(),
            ),
        },
    };

    // A user template K3s renders instead of its own.
    let mut template = None;
    for (file, gen) in TEMPLATE_FILES {
        let path = containerd_dir.join(file);
        match fs::read(&path, fs::Limit::NODE_FILE) {
            Ok(bytes) => {
                template = Some(UserTemplate {
                    file,
                    path: path.display().to_string(),
                    version: *gen,
                    text: String::from_utf8_lossy(&bytes).into_owned(),
                });
                break;
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => refusals.push(NodeRefusal {
                // writeContainerdConfig returns any error but "not exist".
                message: format!("{}: {}", path.display(), e.source),
                file: None,
            }),
        }
    }

    let external_runtime = match settings.get(Setting::ContainerRuntimeEndpoint) {
        Some(v) if !v.text.is_empty() => Some((
            format!("--container-runtime-endpoint {}", v.text),
            v.source.clone(),
        )),
        _ => settings
            .get(Setting::Docker)
            .filter(|_| settings.bool(Setting::Docker))
            .map(|v| ("--docker (cri-dockerd)".to_string(), v.source.clone())),
    };
    if external_runtime.is_some() && settings.bool(Setting::EmbeddedRegistry) {
        // pkg/agent/run.go: the embedded registry needs K3s's containerd.
        refusals.push(NodeRefusal {
            message: "embedded registry mirror requires embedded containerd".to_string(),
            file: None,
        });
    }

    let registries = match &input.registries {
        Some(p) if p == Path::new("-") => RegistriesPath::Stdin,
        Some(p) => RegistriesPath::File(p.clone()),
        None => RegistriesPath::File(
            fs_map.k3s(&settings.string(Setting::PrivateRegistry, DEFAULT_REGISTRIES)),
        ),
    };

    // The usual question after an edit: is the default file the one K3s reads?
    if input.registries.is_none() {
        if let Some(v) = settings.get(Setting::PrivateRegistry) {
            let default = fs_map.k3s(DEFAULT_REGISTRIES);
            let other = matches!(&registries, RegistriesPath::File(p) if *p != default);
            if other && fs::is_file(&default) {
                notes.push(format!(
                    "{} is not the file K3s reads (private-registry={}, {}): edits to it change nothing",
                    default.display(),
                    v.text,
                    crate::report::node::source_text(&v.source)
                ));
            }
        }
    }

    let is_file = |name: &str| fs::is_file(&containerd_dir.join(name));
    let pause = settings.string(Setting::PauseImage, version.era.pause_image);
    let options = NodeOptions {
        k3s: version,
        data_dir: data_dir.clone(),
        pause_image: pause_image_with_registry(
            &pause,
            &settings.string(Setting::SystemDefaultRegistry, ""),
        ),
        snapshotter: settings.string(Setting::Snapshotter, DEFAULT_SNAPSHOTTER),
        selinux: settings.bool(Setting::Selinux),
        nonroot_devices: settings.bool(Setting::NonrootDevices),
        disable_default_registry_endpoint: settings.bool(Setting::DisableDefaultRegistryEndpoint),
        embedded_registry: settings.bool(Setting::EmbeddedRegistry),
        rootless,
        config_version: match (ours.config_version, &template) {
            (Some(ConfigVersionArg::V2), _) => ConfigVersion::V2,
            (Some(ConfigVersionArg::V3), _) => ConfigVersion::V3,
            (None, Some(t)) => t.version,
            (None, None) => ConfigVersion::V3,
        },
        blockio_config_present: is_file("blockio_config.yaml"),
        rdt_config_present: is_file("rdt_config.yaml"),
    };

    let binary_found = ours.k3s_version.is_none() && !version_from.starts_with("latest");
    let found = service.is_some()
        || !config_names.is_empty()
        || binary_found
        || (output_dir.is_none() && fs::stat(&containerd_dir).is_ok_and(|s| s == fs::Stat::Dir));
    let node = Node {
        fs: fs_map,
        found,
        service,
        settings,
        config_files: config_names,
        version,
        options,
        containerd_dir,
        template,
        registries,
        external_runtime,
        refusals,
    };
    if node.found || k3s.k3s_config.is_some() {
        rep.node_header(&header(&node, &version_from, &notes))?;
    }
    Ok(node)
}

fn settings_refusal(r: Refusal) -> NodeRefusal {
    let file = match &r.source {
        Source::ConfigFile(from) => from.last().map(|o| (o.file.clone(), o.line, o.column)),
        Source::Service(unit) => Some((unit.clone(), 0, 0)),
        Source::Env { file, .. } => Some((file.clone(), 0, 0)),
        _ => None,
    };
    NodeRefusal {
        message: r.message,
        file,
    }
}

/// Read the config file and its drop-ins as `readConfigFile` does.
fn read_config_files(
    local: &Path,
    shown: &str,
    out: &mut Vec<ConfigFile>,
    names: &mut Vec<String>,
    refusals: &mut Vec<NodeRefusal>,
) -> anyhow::Result<()> {
    let dropin_dir = PathBuf::from(format!("{}.d", local.display()));
    let entries: Vec<(String, bool)> = match fs::list_dir(&dropin_dir) {
        Ok(e) => e.into_iter().map(|e| (e.name, e.is_dir)).collect(),
        Err(e) if e.reason == "no such file or directory" => Vec::new(),
        Err(e) => anyhow::bail!("K3s cannot read its config drop-ins: {e}"),
    };
    let mut files: Vec<(PathBuf, String)> = configfile::dot_d_files(&entries)
        .into_iter()
        .map(|n| (dropin_dir.join(n), dropin_dir.join(n).display().to_string()))
        .collect();
    match fs::stat(local) {
        Ok(fs::Stat::Missing) if files.is_empty() => return Ok(()),
        Ok(fs::Stat::Missing) => {}
        Ok(_) => files.insert(0, (local.to_path_buf(), shown.to_string())),
        Err(e) => anyhow::bail!("K3s cannot read its config file: {e}"),
    }
    for (path, name) in files {
        let bytes = fs::read(&path, fs::Limit::NODE_FILE)?;
        match configfile::decode(&bytes, &name) {
            Ok(f) => out.push(f),
            Err(e) => refusals.push(NodeRefusal {
                message: e.go_error(),
                file: Some((name.clone(), e.line().unwrap_or(0), e.column().unwrap_or(0))),
            }),
        }
        names.push(name);
    }
    Ok(())
}

/// Our flags, over everything K3s's files say.
fn apply_overrides(s: &mut Settings, ours: &NodeArgs) {
    let b = |v: bool| v.to_string();
    for (setting, value) in [
        (Setting::DataDir, ours.data_dir.clone()),
        (Setting::PauseImage, ours.pause_image.clone()),
        (Setting::Snapshotter, ours.snapshotter.clone()),
        (
            Setting::SystemDefaultRegistry,
            ours.system_default_registry.clone(),
        ),
        (
            Setting::ContainerRuntimeEndpoint,
            ours.container_runtime_endpoint.clone(),
        ),
        (
            Setting::DisableDefaultRegistryEndpoint,
            ours.disable_default_registry_endpoint.map(b),
        ),
        (Setting::EmbeddedRegistry, ours.embedded_registry.map(b)),
        (Setting::Selinux, ours.selinux.map(b)),
        (Setting::NonrootDevices, ours.nonroot_devices.map(b)),
        (Setting::Rootless, ours.rootless.map(b)),
    ] {
        if let Some(v) = value {
            s.override_with(setting, v);
        }
    }
}

/// The service K3s runs as, if any: the first of `k3s.service`, `k3s-agent.service` found in
/// systemd's unit directories, else the rootless user unit.
fn find_service(
    fs_map: &NodeFs,
    home: &str,
    notes: &mut Vec<String>,
) -> anyhow::Result<Option<Service>> {
    let mut found: Vec<(PathBuf, &str, bool)> = Vec::new();
    for (name, _) in UNITS {
        if let Some(dir) = UNIT_DIRS
            .iter()
            .find(|d| fs::is_file(&fs_map.host(&format!("{d}/{name}"))))
        {
            found.push((fs_map.host(&format!("{dir}/{name}")), name, false));
        }
    }
    if found.is_empty() {
        let user = fs_map.host(&format!("{home}/{ROOTLESS_UNIT}"));
        if fs::is_file(&user) {
            found.push((user, "k3s-rootless.service", true));
        }
    }
    if found.len() > 1 {
        notes.push(format!(
            "both {} and {} exist; using {}",
            found[0].1, found[1].1, found[0].1
        ));
    }
    let Some((path, name, user_unit)) = found.into_iter().next() else {
        return Ok(None);
    };
    let mut unit = Unit::default();
    parse_unit(
        &String::from_utf8_lossy(&fs::read(&path, fs::Limit::NODE_FILE)?),
        name,
        &mut unit,
    );
    // Drop-ins: <unit>.d/*.conf next to it and in /etc/systemd/system, by name.
    let mut dropins: Vec<(String, PathBuf)> = Vec::new();
    for dir in [
        path.parent().map(|p| p.join(format!("{name}.d"))),
        Some(fs_map.host(&format!("/etc/systemd/system/{name}.d"))),
    ]
    .into_iter()
    .flatten()
    {
        if let Ok(entries) = fs::list_dir(&dir) {
            for e in entries.into_iter().filter(|e| e.name.ends_with(".conf")) {
                if !dropins.iter().any(|(n, _)| *n == e.name) {
                    dropins.push((e.name.clone(), dir.join(&e.name)));
                }
            }
        }
    }
    dropins.sort();
    for (_, p) in &dropins {
        parse_unit(
            &String::from_utf8_lossy(&fs::read(p, fs::Limit::NODE_FILE)?),
            name,
            &mut unit,
        );
    }
    let Some((binary, role, args)) = split_exec_start(&unit.exec_start) else {
        notes.push(format!(
            "{} starts neither `k3s server` nor `k3s agent`; ignored",
            path.display()
        ));
        return Ok(None);
    };
    let mut env = Vec::new();
    for (file, optional) in &unit.environment_files {
        match fs::read(&fs_map.host(file), fs::Limit::NODE_FILE) {
            Ok(b) => env.extend(parse_env_file(&String::from_utf8_lossy(&b), file)),
            Err(e) if e.is_not_found() && *optional => {}
            Err(e) => notes.push(format!("{}: {}", e.path.display(), e.source)),
        }
    }
    // systemd applies Environment= before EnvironmentFile= (files win).
    let unit_env: Vec<EnvVar> = unit
        .environment
        .iter()
        .map(|(k, v)| EnvVar {
            name: k.clone(),
            value: v.clone(),
            file: path.display().to_string(),
        })
        .collect();
    let env = unit_env.into_iter().chain(env).collect();
    Ok(Some(Service {
        name: name.to_string(),
        path,
        role,
        binary,
        args,
        env,
        user_unit,
    }))
}

/// The release K3s runs here: `k3s --version` of the service's binary, else of `k3s` on
/// `PATH`, else of the binary K3s last unpacked into the data dir.
fn detect_version(
    fs_map: &NodeFs,
    service: Option<&Service>,
    data_dir: &str,
    notes: &mut Vec<String>,
) -> Option<(String, String)> {
    let mut candidates: Vec<(String, String)> = Vec::new();
    if let Some(s) = service {
        candidates.push((
            s.binary.clone(),
            format!("{} --version ({})", s.binary, s.name),
        ));
    }
    let path_var = std::env::var("PATH").unwrap_or_default();
    if let Some(dir) = path_var
        .split(':')
        .filter(|d| !d.is_empty())
        .find(|d| fs::is_file(&fs_map.host(&format!("{d}/k3s"))))
    {
        let bin = format!("{dir}/k3s");
        candidates.push((bin.clone(), format!("{bin} --version")));
    }
    let current = crate::go::filepath::join(&[data_dir, "data", "current", "bin", "k3s"]);
    candidates.push((
        current.clone(),
        format!("{current} --version: the release K3s last unpacked into its data dir"),
    ));
    for (bin, how) in candidates {
        let local = fs_map.k3s(&bin);
        if !fs::is_file(&local) {
            continue;
        }
        match probe_version(&local) {
            Ok(v) => return Some((v, how)),
            Err(e) => notes.push(e),
        }
    }
    None
}

/// The effective user id (for a rootless K3s's default runtime dir).
fn current_uid() -> Option<u32> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").ok().map(|m| m.uid())
}

fn header(node: &Node, version_from: &str, notes: &[String]) -> Header {
    let s = &node.settings;
    let mut settings = Vec::new();
    for flag in settings::FLAGS {
        if let Some(v) = s.get(flag.setting) {
            settings.push(SettingLine {
                name: flag.name,
                value: v.text.clone(),
                source: v.source.clone(),
            });
        }
    }
    Header {
        version: node.version.version.to_string(),
        version_from: version_from.to_string(),
        role: s.role.as_str(),
        service: node
            .service
            .as_ref()
            .map(|sv| sv.path.display().to_string()),
        config_files: node.config_files.clone(),
        data_dir: node.options.data_dir.clone(),
        containerd_dir: node.containerd_dir.display().to_string(),
        registries: match &node.registries {
            RegistriesPath::Stdin => "<stdin>".to_string(),
            RegistriesPath::File(p) => p.display().to_string(),
        },
        settings,
        template: node
            .template
            .as_ref()
            .map(|t| (t.path.clone(), t.is_base_only())),
        external_runtime: node.external_runtime.clone(),
        agent_learns_from_server: s.role == Role::Agent,
        notes: notes.to_vec(),
    }
}
