//! The K3s settings that decide what K3s does with registries, and how K3s's command line sets
//! them: each is a flag of `k3s server` and (except where noted) `k3s agent`, set from K3s's
//! config file (flags placed right after the subcommand, [`crate::k3s::configfile`]), from the
//! service's own command line (after those, so it wins), or from the service's environment where
//! the flag has an environment variable (only when no flag set it, as urfave/cli does).
//!
//! Flag names, aliases, types, defaults and environment variables are K3s's
//! `pkg/cli/cmds/agent.go`, `server.go` and `config.go` at vitorsavian/k3s `e19e99911`
//! (release-1.34; the same in every modelled release line). Values are parsed as urfave/cli v2
//! (v2.27.7 in K3s's go.mod) parses them, with Go's `flag` package underneath: the last value
//! wins, a boolean takes `strconv.ParseBool`'s spellings, and a flag the subcommand does not
//! define stops K3s (`flag provided but not defined: -NAME`) — except that `k3s server` drops a
//! config-file key it does not know, with a warning (`stripInvalidFlags`), which `k3s agent`
//! does not.
//!
//! Pure: what the files hold comes in as data.

use std::collections::BTreeMap;

use crate::k3s::configfile::{ConfigArg, Origin};

/// K3s's subcommand on the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `k3s server` (the `k3s` service).
    Server,
    /// `k3s agent` (the `k3s-agent` service).
    Agent,
}

impl Role {
    /// `server` or `agent`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Agent => "agent",
        }
    }
}

/// One setting that changes what K3s does with registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Setting {
    /// `--data-dir`, `-d`: where every file of the node is.
    DataDir,
    /// `--private-registry`: the registries file.
    PrivateRegistry,
    /// `--disable-default-registry-endpoint`.
    DisableDefaultRegistryEndpoint,
    /// `--embedded-registry` (server only; agents learn it from the server).
    EmbeddedRegistry,
    /// `--pause-image`.
    PauseImage,
    /// `--snapshotter`.
    Snapshotter,
    /// `--selinux`.
    Selinux,
    /// `--nonroot-devices`.
    NonrootDevices,
    /// `--system-default-registry` (server only): prefixes the pause image.
    SystemDefaultRegistry,
    /// `--container-runtime-endpoint`: an external CRI; K3s starts no containerd.
    ContainerRuntimeEndpoint,
    /// `--docker`: cri-dockerd; K3s starts no containerd.
    Docker,
    /// `--rootless`.
    Rootless,
}

/// A flag's value type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `cli.BoolFlag`.
    Bool,
    /// `cli.StringFlag`.
    String,
}

/// How K3s defines one flag.
#[derive(Debug)]
pub(crate) struct Flag {
    /// The setting.
    pub(crate) setting: Setting,
    /// The flag's name.
    pub(crate) name: &'static str,
    /// Its aliases.
    pub(crate) aliases: &'static [&'static str],
    /// Its type.
    pub(crate) kind: Kind,
    /// Only `k3s server` defines it.
    pub(crate) server_only: bool,
    /// The environment variable urfave/cli reads when no flag sets it.
    pub(crate) env: Option<&'static str>,
}

/// The flags, as K3s defines them.
pub(crate) static FLAGS: &[Flag] = &[
    Flag {
        setting: Setting::DataDir,
        name: "data-dir",
        aliases: &["d"],
        kind: Kind::String,
        server_only: false,
        env: Some("K3S_DATA_DIR"),
    },
    Flag {
        setting: Setting::PrivateRegistry,
        name: "private-registry",
        aliases: &[],
        kind: Kind::String,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::DisableDefaultRegistryEndpoint,
        name: "disable-default-registry-endpoint",
        aliases: &[],
        kind: Kind::Bool,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::EmbeddedRegistry,
        name: "embedded-registry",
        aliases: &[],
        kind: Kind::Bool,
        server_only: true,
        env: None,
    },
    Flag {
        setting: Setting::PauseImage,
        name: "pause-image",
        aliases: &[],
        kind: Kind::String,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::Snapshotter,
        name: "snapshotter",
        aliases: &[],
        kind: Kind::String,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::Selinux,
        name: "selinux",
        aliases: &[],
        kind: Kind::Bool,
        server_only: false,
        env: Some("K3S_SELINUX"),
    },
    Flag {
        setting: Setting::NonrootDevices,
        name: "nonroot-devices",
        aliases: &[],
        kind: Kind::Bool,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::SystemDefaultRegistry,
        name: "system-default-registry",
        aliases: &[],
        kind: Kind::String,
        server_only: true,
        env: Some("K3S_SYSTEM_DEFAULT_REGISTRY"),
    },
    Flag {
        setting: Setting::ContainerRuntimeEndpoint,
        name: "container-runtime-endpoint",
        aliases: &[],
        kind: Kind::String,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::Docker,
        name: "docker",
        aliases: &[],
        kind: Kind::Bool,
        server_only: false,
        env: None,
    },
    Flag {
        setting: Setting::Rootless,
        name: "rootless",
        aliases: &[],
        kind: Kind::Bool,
        server_only: false,
        env: None,
    },
];

/// `--config` / `-c` (`cmds.ConfigFlag`), whose environment variable is `K3S_CONFIG_FILE`.
pub(crate) const CONFIG_FLAG_NAMES: &[&str] = &["config", "c"];
/// The config file's environment variable (`configfilearg`'s `EnvName`).
pub(crate) const CONFIG_ENV: &str = "K3S_CONFIG_FILE";

/// The flag a name (without dashes) stands for.
pub(crate) fn flag_named(name: &str) -> Option<&'static Flag> {
    FLAGS
        .iter()
        .find(|f| f.name == name || f.aliases.contains(&name))
}

/// Where a setting's value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// K3s's config file (the entries that made the value).
    ConfigFile(Vec<Origin>),
    /// The service's command line (`ExecStart=`), named by its unit file.
    Service(String),
    /// An environment variable of the service: the variable and where it is set.
    Env {
        /// The variable.
        var: &'static str,
        /// Where it is set (a unit or environment file).
        file: String,
    },
    /// Our own command line.
    CommandLine,
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Value {
    /// The text K3s parsed (for booleans, already checked to parse).
    pub(crate) text: String,
    /// Where it came from.
    pub(crate) source: Source,
}

/// Something in K3s's configuration that stops K3s from starting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// K3s's message (urfave/cli's or Go `flag`'s wording).
    pub(crate) message: String,
    /// What caused it.
    pub(crate) source: Source,
}

/// An environment variable of the service and where it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EnvVar {
    /// The name.
    pub(crate) name: String,
    /// The value.
    pub(crate) value: String,
    /// The unit or environment file that sets it.
    pub(crate) file: String,
}

/// The settings as K3s would start with them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settings {
    /// The subcommand.
    pub(crate) role: Role,
    /// Every setting some flag, file or variable set (absent: K3s's default).
    pub(crate) values: BTreeMap<Setting, Value>,
    /// What would stop K3s from starting.
    pub(crate) refusals: Vec<Refusal>,
}

/// Go's `strconv.ParseBool`.
pub(crate) fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

impl Settings {
    /// A setting's text, if anything set it.
    pub(crate) fn get(&self, s: Setting) -> Option<&Value> {
        self.values.get(&s)
    }

    /// A string setting, or `default`.
    pub(crate) fn string(&self, s: Setting, default: &str) -> String {
        self.get(s)
            .map_or_else(|| default.to_string(), |v| v.text.clone())
    }

    /// A boolean setting (false unless set).
    pub(crate) fn bool(&self, s: Setting) -> bool {
        self.get(s)
            .and_then(|v| parse_bool(&v.text))
            .unwrap_or(false)
    }

    /// Set a value from our own command line.
    pub(crate) fn override_with(&mut self, s: Setting, text: String) {
        self.values.insert(
            s,
            Value {
                text,
                source: Source::CommandLine,
            },
        );
    }

    /// Apply one flag K3s parses; a bad value is a refusal, as urfave/cli's error stops K3s.
    fn apply(&mut self, flag: &Flag, shown: &str, value: &str, source: Source) {
        if flag.kind == Kind::Bool && parse_bool(value).is_none() {
            // Go's flag package: `invalid boolean value %q for -%s: parse error`.
            self.refusals.push(Refusal {
                message: format!(
                    "invalid boolean value {:?} for -{shown}: parse error",
                    value
                ),
                source,
            });
            return;
        }
        self.values.insert(
            flag.setting,
            Value {
                text: value.to_string(),
                source,
            },
        );
    }
}

/// The settings K3s starts with: `config` (the flags its config file makes, first), then the
/// service's own arguments after the subcommand (`service_args`, from the unit `unit`), then the
/// service's environment for flags none of those set.
pub(crate) fn resolve(
    role: Role,
    config: &[ConfigArg],
    service: Option<(&str, &[String])>,
    env: &[EnvVar],
) -> Settings {
    let mut out = Settings {
        role,
        values: BTreeMap::new(),
        refusals: Vec::new(),
    };
    for arg in config {
        let Some(flag) = flag_named(&arg.name) else {
            continue;
        };
        let source = Source::ConfigFile(arg.from.clone());
        if flag.server_only && role == Role::Agent {
            // No stripInvalidFlags for `agent`: Go's flag package refuses the flag.
            out.refusals.push(Refusal {
                message: format!(
                    "flag provided but not defined: -{} (`k3s agent` has no --{}; it is a server flag, and agents take it from the server)",
                    arg.name, flag.name
                ),
                source,
            });
            continue;
        }
        out.apply(flag, &arg.name, &arg.value, source);
    }
    if let Some((unit, args)) = service {
        for (name, value) in command_line_flags(args) {
            let Some(flag) = flag_named(&name) else {
                continue;
            };
            let source = Source::Service(unit.to_string());
            if flag.server_only && role == Role::Agent {
                out.refusals.push(Refusal {
                    message: format!("flag provided but not defined: -{name}"),
                    source,
                });
                continue;
            }
            let value = match (flag.kind, value) {
                (_, Some(v)) => v,
                (Kind::Bool, None) => "true".to_string(),
                // A string flag without a value at the end of the line: Go's flag package
                // refuses it.
                (Kind::String, None) => {
                    out.refusals.push(Refusal {
                        message: format!("flag needs an argument: -{name}"),
                        source,
                    });
                    continue;
                }
            };
            out.apply(flag, &name, &value, source);
        }
    }
    for flag in FLAGS {
        let Some(var) = flag.env else { continue };
        if out.values.contains_key(&flag.setting) || (flag.server_only && role == Role::Agent) {
            continue;
        }
        // The last assignment in the service's environment wins, as systemd applies them.
        if let Some(e) = env.iter().rev().find(|e| e.name == var) {
            if e.value.is_empty() {
                continue;
            }
            let source = Source::Env {
                var,
                file: e.file.clone(),
            };
            if flag.kind == Kind::Bool && parse_bool(&e.value).is_none() {
                // urfave/cli v2 BoolFlag.Apply.
                out.refusals.push(Refusal {
                    message: format!(
                        "could not parse {:?} as bool value from environment variable {var:?} for flag {}: parse error",
                        e.value, flag.name
                    ),
                    source,
                });
                continue;
            }
            out.values.insert(
                flag.setting,
                Value {
                    text: e.value.clone(),
                    source,
                },
            );
        }
    }
    out
}

/// The flags of a command line after the subcommand, as Go's `flag` package reads them for the
/// flags we know: `--name=value`, `-name=value`, `--name value` (string flags), `--name` (boolean
/// flags). Flags we do not know are skipped, with their value when the next word is not a flag
/// (K3s takes no positional arguments, so a bare word is always some flag's value). Parsing
/// stops at `--`.
pub(crate) fn command_line_flags(args: &[String]) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            break;
        }
        let Some(body) = arg
            .strip_prefix("--")
            .or_else(|| arg.strip_prefix('-'))
            .filter(|b| !b.is_empty() && !b.starts_with('-'))
        else {
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (body.to_string(), None),
        };
        let takes_value = match flag_named(&name) {
            Some(f) => f.kind == Kind::String,
            None => CONFIG_FLAG_NAMES.contains(&name.as_str()) || !is_flag(args.get(i)),
        };
        let value = match value {
            Some(v) => Some(v),
            None if takes_value && i < args.len() && !is_known_bool(&name) => {
                i += 1;
                Some(args[i - 1].clone())
            }
            None => None,
        };
        out.push((name, value));
    }
    out
}

fn is_flag(word: Option<&String>) -> bool {
    word.is_none_or(|w| w.starts_with('-'))
}

fn is_known_bool(name: &str) -> bool {
    flag_named(name).is_some_and(|f| f.kind == Kind::Bool)
}

/// The config file a command line names with `--config FILE`, `-c FILE`, `--config=FILE`
/// (configfilearg's `findConfigFileFlag`: the first one wins).
pub(crate) fn config_file_flag(args: &[String]) -> Option<String> {
    for (i, arg) in args.iter().enumerate() {
        for name in ["--config", "-c"] {
            if arg == name {
                // findConfigFileFlag: a flag without a value names no file.
                return Some(args.get(i + 1).cloned().unwrap_or_default());
            }
            if let Some(v) = arg.strip_prefix(&format!("{name}=")) {
                return Some(v.to_string());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn carg(name: &str, value: &str, line: u32) -> ConfigArg {
        ConfigArg {
            name: name.to_string(),
            value: value.to_string(),
            from: vec![Origin {
                file: "config.yaml".to_string(),
                line,
                column: 1,
            }],
        }
    }

    #[test]
    fn service_arguments_override_the_config_file() {
        let config = [
            carg("data-dir", "/opt/a", 1),
            carg("selinux", "true", 2),
            carg("snapshotter", "native", 3),
        ];
        let args = words("--data-dir /opt/b --node-name n1 --selinux=false --debug -d /opt/c");
        let s = resolve(Role::Server, &config, Some(("k3s.service", &args)), &[]);
        assert_eq!(s.string(Setting::DataDir, ""), "/opt/c");
        assert_eq!(
            s.get(Setting::DataDir).map(|v| &v.source),
            Some(&Source::Service("k3s.service".into()))
        );
        assert!(!s.bool(Setting::Selinux));
        assert_eq!(s.string(Setting::Snapshotter, "overlayfs"), "native");
        assert!(s.refusals.is_empty(), "{:?}", s.refusals);
    }

    #[test]
    fn bad_booleans_and_server_flags_on_agents_stop_k3s() {
        let config = [
            carg("selinux", "yes", 1),
            carg("embedded-registry", "true", 2),
        ];
        let s = resolve(Role::Agent, &config, None, &[]);
        assert_eq!(
            s.refusals
                .iter()
                .map(|r| r.message.as_str())
                .collect::<Vec<_>>()[0],
            "invalid boolean value \"yes\" for -selinux: parse error"
        );
        assert!(s.refusals[1]
            .message
            .starts_with("flag provided but not defined: -embedded-registry"));
        // A server takes it.
        let s = resolve(Role::Server, &config[1..], None, &[]);
        assert!(s.bool(Setting::EmbeddedRegistry));
    }

    #[test]
    fn environment_only_when_no_flag_set_it() {
        let env = [
            EnvVar {
                name: "K3S_DATA_DIR".into(),
                value: "/env".into(),
                file: "k3s.service.env".into(),
            },
            EnvVar {
                name: "K3S_SELINUX".into(),
                value: "true".into(),
                file: "k3s.service.env".into(),
            },
        ];
        let s = resolve(Role::Server, &[carg("d", "/cfg", 1)], None, &env);
        assert_eq!(s.string(Setting::DataDir, ""), "/cfg");
        assert!(s.bool(Setting::Selinux));
        let s = resolve(Role::Agent, &[], None, &env);
        assert_eq!(s.string(Setting::DataDir, ""), "/env");
    }

    #[test]
    fn command_lines_as_go_flag_reads_them() {
        let f = command_line_flags(&words(
            "--token abc --selinux --write-kubeconfig-mode=644 -d /x --disable-agent --private-registry /r.yaml",
        ));
        assert_eq!(
            f,
            [
                ("token".to_string(), Some("abc".to_string())),
                ("selinux".to_string(), None),
                ("write-kubeconfig-mode".to_string(), Some("644".to_string())),
                ("d".to_string(), Some("/x".to_string())),
                ("disable-agent".to_string(), None),
                ("private-registry".to_string(), Some("/r.yaml".to_string())),
            ]
        );
        assert_eq!(
            config_file_flag(&words("--debug -c /etc/k3s.yaml")),
            Some("/etc/k3s.yaml".to_string())
        );
        assert_eq!(
            config_file_flag(&words("--config=/a.yaml --config /b.yaml")),
            Some("/a.yaml".to_string())
        );
        assert_eq!(config_file_flag(&words("--debug")), None);
    }
}
