//! What every subcommand says up front on a node (stderr): the K3s release and where it was
//! found, the service, the config files read, where the files are, the settings that differ
//! from K3s's defaults with where each was set, and what changes how much we can tell (a user
//! template, an external container runtime).

use std::io;

use super::sanitize::clean;
use super::{Reporter, NAME};
use crate::k3s::settings::Source;

/// One setting and where it was set.
#[derive(Debug, Clone)]
pub(crate) struct SettingLine {
    /// The flag name.
    pub(crate) name: &'static str,
    /// Its value.
    pub(crate) value: String,
    /// Where it came from.
    pub(crate) source: Source,
}

/// The node, as the header tells it.
#[derive(Debug, Clone)]
pub(crate) struct Header {
    /// The release (`v1.34.3+k3s1`, or the modelled release it resolved to).
    pub(crate) version: String,
    /// How it was found.
    pub(crate) version_from: String,
    /// `server` or `agent`.
    pub(crate) role: &'static str,
    /// The service's unit file.
    pub(crate) service: Option<String>,
    /// The config files read.
    pub(crate) config_files: Vec<String>,
    /// The data dir (a node path).
    pub(crate) data_dir: String,
    /// `<data-dir>/agent/etc/containerd`, as read here.
    pub(crate) containerd_dir: String,
    /// The registries file, as read here.
    pub(crate) registries: String,
    /// Settings something set.
    pub(crate) settings: Vec<SettingLine>,
    /// The user template K3s renders instead of its own, and whether it is only the base.
    pub(crate) template: Option<(String, bool)>,
    /// An external container runtime, and where it was set.
    pub(crate) external_runtime: Option<(String, Source)>,
    /// An agent takes the embedded registry and system default registry from its server.
    pub(crate) agent_learns_from_server: bool,
    /// What detection noticed on the way.
    pub(crate) notes: Vec<String>,
}

/// Where a value came from, in a few words.
pub(crate) fn source_text(s: &Source) -> String {
    match s {
        Source::ConfigFile(from) => {
            let places: Vec<String> = from
                .iter()
                .map(|o| format!("{}:{}", o.file, o.line))
                .collect();
            places.join(", ")
        }
        Source::Service(unit) => format!("the service's command line, {unit}"),
        Source::Env { var, file } => format!("${var} in {file}"),
        Source::CommandLine => "our command line".to_string(),
    }
}

impl Reporter<'_> {
    /// The node header.
    pub(crate) fn node_header(&mut self, h: &Header) -> io::Result<()> {
        let e = &mut *self.err;
        writeln!(
            e,
            "{NAME}: node: K3s {} ({}), k3s {}",
            clean(&h.version),
            clean(&h.version_from),
            h.role
        )?;
        if let Some(s) = &h.service {
            writeln!(e, "{NAME}: node: service {}", clean(s))?;
        }
        if h.config_files.is_empty() {
            writeln!(e, "{NAME}: node: no K3s config file")?;
        } else {
            writeln!(
                e,
                "{NAME}: node: config {}",
                clean(&h.config_files.join(", "))
            )?;
        }
        writeln!(
            e,
            "{NAME}: node: data dir {}; containerd's files in {}",
            clean(&h.data_dir),
            clean(&h.containerd_dir)
        )?;
        writeln!(e, "{NAME}: node: registries file {}", clean(&h.registries))?;
        for s in &h.settings {
            writeln!(
                e,
                "{NAME}: node: {}={} ({})",
                s.name,
                clean(&s.value),
                clean(&source_text(&s.source))
            )?;
        }
        if h.agent_learns_from_server {
            writeln!(
                e,
                "{NAME}: note: an agent takes --embedded-registry and --system-default-registry from its server; pass them if the server sets them"
            )?;
        }
        if let Some((path, base_only)) = &h.template {
            if *base_only {
                writeln!(
                    e,
                    "{NAME}: note: K3s renders config.toml from {} (only {{{{ template \"base\" . }}}}: the built-in template, rendered here byte for byte)",
                    clean(path)
                )?;
            } else {
                writeln!(
                    e,
                    "{NAME}: warning: K3s renders config.toml from the user template {}, which this tool cannot execute: config.toml below is K3s's built-in template, NOT what K3s writes (hosts.toml files are exact); `audit` says what the template likely breaks",
                    clean(path)
                )?;
            }
        }
        if let Some((what, source)) = &h.external_runtime {
            writeln!(
                e,
                "{NAME}: warning: K3s uses an external container runtime ({}, set by {}): it starts no containerd of its own, writes no config.toml or hosts.toml, and registries.yaml is ignored",
                clean(what),
                clean(&source_text(source))
            )?;
        }
        for n in &h.notes {
            writeln!(e, "{NAME}: note: {}", clean(n))?;
        }
        Ok(())
    }
}
