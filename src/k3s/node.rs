//! The node: the K3s flags and host facts that change what K3s writes, resolved into the paths
//! and values the templates print.
//!
//! Defaults are those of a default K3s install on a systemd Linux host (K3s `pkg/cli/cmds/agent.go`
//! flag defaults, `pkg/agent/config/config.go` and `config_linux.go` paths). Facts a registries
//! file cannot tell are fixed here: state `/run/k3s/containerd`, CNI bin dir `<data-dir>/data/cni`,
//! CNI conf dir `<data-dir>/agent/etc/cni/net.d`, unprivileged ports and ICMP enabled (kernel >=
//! 4.11), no extra runtimes; under systemd `SystemdCgroup = true`. A rootless node (`--rootless`)
//! runs K3s in a user namespace (`userns.RunningInUserNS()`), which K3s's
//! `SetupContainerdConfig` (pkg/agent/containerd/config_linux.go) turns into
//! `IsRunningInUserNS` (AppArmor off, OOM score adjustment restricted, NRI off from the `imports`
//! era on) and `SystemdCgroup = false`; its cgroup controllers are taken as delegated (K3s's
//! rootless requirement), so no `disable_cgroup`. What depends on the K3s release (the
//! `--pause-image` default, the nix snapshotter) comes from its [`Era`].

use crate::go::filepath;
use crate::k3s::versions::{Era, Resolved};

/// K3s's `--data-dir` default.
pub(crate) const DEFAULT_DATA_DIR: &str = "/var/lib/rancher/k3s";
/// K3s's `--snapshotter` default on Linux (`pkg/cli/cmds/const_linux.go`, every modelled release).
pub(crate) const DEFAULT_SNAPSHOTTER: &str = "overlayfs";
/// `config_linux.go`: the stargz snapshotter's image service socket.
const STARGZ_IMAGE_SERVICE_SOCKET: &str = "/run/containerd-stargz-grpc/containerd-stargz-grpc.sock";
/// `config_linux.go` (K3s with the nix snapshotter): the nix snapshotter's socket, in the state dir.
const NIX_IMAGE_SERVICE_SOCKET: &str = "nix-snapshotter.sock";
/// `applyContainerdOSSpecificConfig`: containerd's state directory on Linux.
const CONTAINERD_STATE: &str = "/run/k3s/containerd";
/// The embedded registry's address as containerd reaches it: K3s's loopback address and the
/// supervisor port (`controlConfig.Loopback(false)`, `SupervisorPort` default 6443).
pub(crate) const EMBEDDED_REGISTRY_ADDR: &str = "127.0.0.1:6443";

/// Which config.toml template K3s renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum ConfigVersion {
    /// `ContainerdConfigTemplate` (containerd 1.7 schema), as K3s renders it when a
    /// `config.toml.tmpl` holding `{{ template "base" . }}` exists.
    V2,
    /// `ContainerdConfigTemplateV3` (containerd 2.x), the default of every modelled K3s release.
    #[default]
    V3,
}

/// The node options, as K3s's flags name them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeOptions {
    /// The K3s release the node runs, and what it ships.
    pub(crate) k3s: Resolved,
    /// `--data-dir`.
    pub(crate) data_dir: String,
    /// `--pause-image`.
    pub(crate) pause_image: String,
    /// `--snapshotter`.
    pub(crate) snapshotter: String,
    /// `--selinux`.
    pub(crate) selinux: bool,
    /// `--nonroot-devices`.
    pub(crate) nonroot_devices: bool,
    /// `--disable-default-registry-endpoint`.
    pub(crate) disable_default_registry_endpoint: bool,
    /// `--embedded-registry` (a server flag; agents learn it from the server).
    pub(crate) embedded_registry: bool,
    /// `--rootless`: K3s runs in a user namespace.
    pub(crate) rootless: bool,
    /// Which config.toml template.
    pub(crate) config_version: ConfigVersion,
    /// `blockio_config.yaml` exists as a regular file next to config.toml.
    pub(crate) blockio_config_present: bool,
    /// `rdt_config.yaml` exists as a regular file next to config.toml.
    pub(crate) rdt_config_present: bool,
}

impl Default for NodeOptions {
    fn default() -> Self {
        let k3s = Resolved::default();
        NodeOptions {
            k3s,
            data_dir: DEFAULT_DATA_DIR.to_string(),
            pause_image: k3s.era.pause_image.to_string(),
            snapshotter: DEFAULT_SNAPSHOTTER.to_string(),
            selinux: false,
            nonroot_devices: false,
            disable_default_registry_endpoint: false,
            embedded_registry: false,
            rootless: false,
            config_version: ConfigVersion::V3,
            blockio_config_present: false,
            rdt_config_present: false,
        }
    }
}

/// The paths and values K3s derives from the options (`config.Node` fields the templates read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodePaths {
    /// `Containerd.Root` and `Containerd.Opt`: `<data-dir>/agent/containerd`.
    pub(crate) root: String,
    /// `Containerd.State`.
    pub(crate) state: String,
    /// `Containerd.Address`: `<state>/containerd.sock`.
    pub(crate) address: String,
    /// `Containerd.Registry`: `<data-dir>/agent/etc/containerd/certs.d`.
    pub(crate) registry_dir: String,
    /// `Containerd.Template`: `<data-dir>/agent/etc/containerd`, where user templates and the
    /// imported drop-in directories live.
    pub(crate) template_dir: String,
    /// `AgentConfig.CNIBinDir`.
    pub(crate) cni_bin_dir: String,
    /// `AgentConfig.CNIConfDir`.
    pub(crate) cni_conf_dir: String,
    /// `AgentConfig.ImageServiceSocket` (set for stargz only).
    pub(crate) image_service_socket: String,
    /// `Containerd.BlockIOConfig`, when the file exists.
    pub(crate) blockio_config: String,
    /// `Containerd.RDTConfig`, when the file exists.
    pub(crate) rdt_config: String,
    /// The embedded registry's server CA (`<data-dir>/agent/server-ca.crt`).
    pub(crate) server_ca: String,
    /// The embedded registry's client certificate.
    pub(crate) client_cert: String,
    /// The embedded registry's client key.
    pub(crate) client_key: String,
}

/// The pause image K3s uses with `--system-default-registry` (pkg/agent/config/config.go `get`):
/// the registry and a `/` in front, unless the image already starts with it (a plain prefix
/// test, as K3s's `strings.HasPrefix`); an empty image stays empty.
pub(crate) fn pause_image_with_registry(
    pause_image: &str,
    system_default_registry: &str,
) -> String {
    if system_default_registry.is_empty()
        || pause_image.is_empty()
        || pause_image.starts_with(system_default_registry)
    {
        pause_image.to_string()
    } else {
        format!("{system_default_registry}/{pause_image}")
    }
}

/// K3s's `datadir.LocalHome(dataDir, false)` on a root node: empty means the default,
/// `$HOME`, `${HOME}` and `~` are replaced by the home directory anywhere in the text (wrangler's
/// `resolvehome.Resolve`), and the result is made absolute against `cwd` (`filepath.Abs`, which
/// also cleans it).
pub(crate) fn resolve_data_dir(raw: &str, home: &str, cwd: &str) -> String {
    let mut dir = if raw.is_empty() {
        DEFAULT_DATA_DIR.to_string()
    } else {
        raw.to_string()
    };
    for token in ["$HOME", "${HOME}", "~"] {
        if dir.contains(token) {
            dir = dir.replace(token, home);
        }
    }
    if dir.starts_with('/') {
        filepath::clean(&dir)
    } else {
        filepath::join(&[cwd, &dir])
    }
}

impl NodeOptions {
    /// The default node with the two flags that change which hosts K3s writes (for tests).
    #[cfg(test)]
    pub(crate) fn with_flags(
        disable_default_registry_endpoint: bool,
        embedded_registry: bool,
    ) -> Self {
        NodeOptions {
            disable_default_registry_endpoint,
            embedded_registry,
            ..NodeOptions::default()
        }
    }

    /// What the node's K3s release ships.
    pub(crate) fn era(&self) -> &'static Era {
        self.k3s.era
    }

    /// The derived paths, joined with Go's `filepath.Join` as K3s does (which cleans them).
    pub(crate) fn paths(&self) -> NodePaths {
        let dd = self.data_dir.as_str();
        let etc_containerd = |name: &str| filepath::join(&[dd, "agent", "etc", "containerd", name]);
        NodePaths {
            root: filepath::join(&[dd, "agent", "containerd"]),
            state: CONTAINERD_STATE.to_string(),
            address: filepath::join(&[CONTAINERD_STATE, "containerd.sock"]),
            registry_dir: etc_containerd("certs.d"),
            template_dir: filepath::join(&[dd, "agent", "etc", "containerd"]),
            cni_bin_dir: filepath::join(&[dd, "data", "cni"]),
            cni_conf_dir: filepath::join(&[dd, "agent", "etc", "cni", "net.d"]),
            image_service_socket: match self.snapshotter.as_str() {
                "stargz" => STARGZ_IMAGE_SERVICE_SOCKET.to_string(),
                "nix" if self.era().nix_snapshotter => {
                    filepath::join(&[CONTAINERD_STATE, NIX_IMAGE_SERVICE_SOCKET])
                }
                _ => String::new(),
            },
            blockio_config: if self.blockio_config_present {
                etc_containerd("blockio_config.yaml")
            } else {
                String::new()
            },
            rdt_config: if self.rdt_config_present {
                etc_containerd("rdt_config.yaml")
            } else {
                String::new()
            },
            server_ca: filepath::join(&[dd, "agent", "server-ca.crt"]),
            client_cert: filepath::join(&[dd, "agent", "client-k3s-controller.crt"]),
            client_key: filepath::join(&[dd, "agent", "client-k3s-controller.key"]),
        }
    }

    /// The `mirrorAddr` `writeContainerdHosts` passes to `getHostConfigs`:
    /// `net.JoinHostPort(spegel.DefaultRegistry.InternalAddress, RegistryPort)`. With the embedded
    /// registry off, both are empty and the address is `":"`; K3s compares endpoint hosts with it
    /// all the same, so it must be exactly that.
    pub(crate) fn mirror_addr(&self) -> &'static str {
        if self.embedded_registry {
            EMBEDDED_REGISTRY_ADDR
        } else {
            ":"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_resolves_as_k3s_does() {
        let r = |raw| resolve_data_dir(raw, "/root", "/work");
        assert_eq!(r(""), "/var/lib/rancher/k3s");
        assert_eq!(r("/opt/k3s/"), "/opt/k3s");
        assert_eq!(r("/opt//k3s/../x"), "/opt/x");
        assert_eq!(r("rel/dir"), "/work/rel/dir");
        assert_eq!(r("~/k3s"), "/root/k3s");
        assert_eq!(r("${HOME}/.rancher/k3s"), "/root/.rancher/k3s");
        assert_eq!(r("$HOME/k3s"), "/root/k3s");
    }

    #[test]
    fn system_default_registry_prefixes_the_pause_image() {
        let p = |i, r| pause_image_with_registry(i, r);
        assert_eq!(
            p("rancher/mirrored-pause:3.6", "reg.example.com"),
            "reg.example.com/rancher/mirrored-pause:3.6"
        );
        assert_eq!(
            p("reg.example.com/pause:1", "reg.example.com"),
            "reg.example.com/pause:1"
        );
        // A plain prefix test: "reg" is a prefix of "registry/...".
        assert_eq!(p("registry/pause:1", "reg"), "registry/pause:1");
        assert_eq!(p("", "reg"), "");
        assert_eq!(p("pause", ""), "pause");
    }

    #[test]
    fn paths_follow_the_data_dir() {
        let n = NodeOptions {
            data_dir: "/opt/k3s".into(),
            ..NodeOptions::default()
        };
        let p = n.paths();
        assert_eq!(p.root, "/opt/k3s/agent/containerd");
        assert_eq!(p.registry_dir, "/opt/k3s/agent/etc/containerd/certs.d");
        assert_eq!(p.server_ca, "/opt/k3s/agent/server-ca.crt");
        assert_eq!(n.mirror_addr(), ":");
    }
}
