//! Translation: registry + node options -> [`Model`], following K3s's
//! `pkg/agent/containerd/config.go` (`getHostConfigs`, `defaultHostConfig`, `configForHost`,
//! `endpointURLEqual`) and the embedded registry's `InjectMirror` (`pkg/spegel/registry.go`).
//!
//! Translation never fails: where K3s logs and skips (an invalid registry name, an invalid or
//! duplicate endpoint), we record a [`Note`] with K3s's wording and skip too.
//!
//! Go ranges over maps in random order; K3s's result does not depend on it except for the order
//! of its messages and for keys that land in the same directory: `*` and a literal `_default`
//! (in `configs`, in `mirrors`, or one in each), or names that `filepath.Join` cleans to the same
//! path (`a` and `a/`). There K3s's result is random; we take sorted order, and `audit` flags it.
//! We range in sorted key order throughout.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::containerd::docker::{default_host, is_localhost};
use crate::go::string::{BStr, GoString};
use crate::k3s::endpoint::normalize_endpoint_address;
use crate::k3s::model::{HostConfig, Level, Model, Note, NoteKind, RegistryEndpoint};
use crate::k3s::node::NodeOptions;
use crate::registries::{Mirror, Registry, RegistryConfig, TlsConfig};

/// The certs.d directory containerd uses for registries without one of their own.
pub(crate) const DEFAULT_DIR: &str = "_default";

/// Translate a registry for a node: `InjectMirror` when the embedded registry is on, then
/// `getHostConfigs` with the node's `mirrorAddr` and `--disable-default-registry-endpoint`.
pub(crate) fn translate(registry: &Registry, node: &NodeOptions) -> Model {
    translate_owned(registry.clone(), node)
}

/// [`translate`], taking the registry by value (no copy of a large file's registry).
pub(crate) fn translate_owned(mut registry: Registry, node: &NodeOptions) -> Model {
    let paths = node.paths();
    let injected = node.embedded_registry.then(|| {
        inject_mirror(
            &mut registry,
            node.mirror_addr(),
            &paths.server_ca,
            &paths.client_cert,
            &paths.client_key,
        )
    });
    let (mut hosts, mut notes) = get_host_configs(
        &registry,
        node.disable_default_registry_endpoint,
        node.mirror_addr(),
    );
    // Count positions the way the user wrote them, from what InjectMirror did.
    let source_index = |host: &GoString, index: usize| match &injected {
        Some(inj) if *host == inj.own => None,
        Some(inj) if inj.prepended.contains(host) => index.checked_sub(1),
        _ => Some(index),
    };
    for hc in hosts.values_mut() {
        let Some(mirror) = hc.mirror.clone() else {
            continue;
        };
        for ep in hc.endpoints.iter_mut().chain(hc.default.iter_mut()) {
            ep.source_index = ep.index.and_then(|i| source_index(&mirror, i));
        }
    }
    for n in &mut notes {
        if let NoteKind::InvalidEndpoint {
            host,
            index,
            source_index: si,
            ..
        }
        | NoteKind::DuplicateEndpoint {
            host,
            index,
            source_index: si,
            ..
        } = &mut n.kind
        {
            *si = source_index(host, *index);
        }
    }
    Model {
        registry,
        hosts,
        notes,
        node: node.clone(),
        paths,
    }
}

/// What [`inject_mirror`] changed in the user's mirrors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Injected {
    /// Mirrors whose endpoint list got the embedded registry first.
    pub(crate) prepended: std::collections::BTreeSet<GoString>,
    /// The embedded registry's own mirror (its address), wholly K3s's.
    pub(crate) own: GoString,
}

/// K3s's `(*spegel.Config).InjectMirror`: the embedded registry becomes the first endpoint of every
/// mirror whose name is not localhost, gets a mirror of its own, and its TLS config replaces any
/// config the user wrote for its address.
pub(crate) fn inject_mirror(
    registry: &mut Registry,
    mirror_addr: &str,
    server_ca: &str,
    client_cert: &str,
    client_key: &str,
) -> Injected {
    let mut injected = Injected {
        own: mirror_addr.into(),
        ..Injected::default()
    };
    let mirror_url = GoString::from(format!("https://{mirror_addr}/v2"));
    registry.configs.insert(
        mirror_addr.into(),
        RegistryConfig {
            auth: None,
            tls: Some(TlsConfig {
                ca_file: server_ca.into(),
                cert_file: client_cert.into(),
                key_file: client_key.into(),
                insecure_skip_verify: false,
            }),
        },
    );
    for (host, mirror) in registry.mirrors.iter_mut() {
        // "Don't handle local registry entries"
        if !is_localhost(host) {
            mirror.endpoints.insert(0, mirror_url.clone());
            injected.prepended.insert(host.clone());
        }
    }
    registry.mirrors.insert(
        mirror_addr.into(),
        Mirror {
            endpoints: vec![mirror_url],
            rewrites: BTreeMap::new(),
        },
    );
    injected
}

/// K3s's `getHostConfigs`: one [`HostConfig`] per certs.d directory, keyed by directory name.
pub(crate) fn get_host_configs(
    registry: &Registry,
    no_default_endpoint: bool,
    mirror_addr: &str,
) -> (BTreeMap<GoString, HostConfig>, Vec<Note>) {
    let mut hosts: BTreeMap<GoString, HostConfig> = BTreeMap::new();
    let mut notes = Vec::new();
    // One shared copy of each configs entry, however many endpoints find it.
    let configs: BTreeMap<&BStr, Arc<RegistryConfig>> = registry
        .configs
        .iter()
        .map(|(k, c)| (k.as_bstr(), Arc::new(c.clone())))
        .collect();

    // create config for default endpoints
    for (host, config) in &configs {
        let host = *host;
        match default_host_config(host, mirror_addr, Arc::clone(config), Some(host.into())) {
            Ok(c) => {
                hosts.insert(dir_name(host).into(), c);
            }
            Err(err) => notes.push(invalid_registry(host, &err)),
        }
    }

    // create endpoints for mirrors
    for (host, mirror) in &registry.mirrors {
        // Looked up under the key as written: a `*` mirror never finds the `_default` entry the
        // configs loop made, so it starts from scratch (and a mirror literally named `_default`
        // does find it).
        let mut config = match hosts.get(host.as_bstr()) {
            Some(c) => c.clone(),
            None => {
                let (cfg, key) = config_for_host(&configs, host.as_bstr());
                let mut c = match default_host_config(host, mirror_addr, cfg, key) {
                    Ok(c) => c,
                    Err(err) => {
                        notes.push(invalid_registry(host, &err));
                        continue;
                    }
                };
                if no_default_endpoint {
                    c.default = None;
                } else if *host == "*" {
                    // An empty, non-nil URL: hosts.toml gets `server = ""` and the config is gone.
                    c.default = Some(RegistryEndpoint {
                        url: Some(Box::default()),
                        ..RegistryEndpoint::default()
                    });
                }
                c
            }
        };
        config.mirror = Some(host.clone());

        // track which endpoints we've already seen to avoid creating duplicates
        let mut seen: Vec<GoString> = Vec::with_capacity(mirror.endpoints.len());
        for (i, endpoint) in mirror.endpoints.iter().enumerate() {
            let n = match normalize_endpoint_address(endpoint, mirror_addr) {
                Ok(n) => n,
                Err(err) => {
                    notes.push(Note {
                        level: Level::Warning,
                        message: format!(
                            "Ignoring invalid endpoint URL {i}={endpoint} for {host}: {err}"
                        ),
                        kind: NoteKind::InvalidEndpoint {
                            host: host.clone(),
                            index: i,
                            source_index: None,
                            endpoint: endpoint.clone(),
                        },
                    });
                    continue;
                }
            };
            let url_string = n.url.string();
            if seen.contains(&url_string) {
                notes.push(Note {
                    level: Level::Warning,
                    message: format!("Skipping duplicate endpoint URL {i}={endpoint} for {host}"),
                    kind: NoteKind::DuplicateEndpoint {
                        host: host.clone(),
                        index: i,
                        source_index: None,
                        endpoint: endpoint.clone(),
                    },
                });
                continue;
            }
            // Do not apply rewrites to the embedded registry endpoint
            let rewrites = if n.url.host != mirror_addr {
                mirror.rewrites.clone()
            } else {
                BTreeMap::new()
            };
            let (cfg, key) = config_for_host(&configs, n.registry.as_bstr());
            let ep = RegistryEndpoint {
                override_path: n.override_path,
                url: Some(Box::new(n.url)),
                rewrites,
                config: cfg,
                config_key: key,
                index: Some(i),
                // Set by translate, which knows what InjectMirror added.
                source_index: None,
            };
            let is_default = || {
                config
                    .default
                    .as_ref()
                    .map(RegistryEndpoint::url_string)
                    .unwrap_or_default()
                    == url_string
            };
            if i + 1 == mirror.endpoints.len() && is_default() {
                // if the last endpoint is the default endpoint, move it there
                config.default = Some(ep);
            } else {
                config.endpoints.push(ep);
            }
            seen.push(url_string);
        }

        hosts.insert(dir_name(host).into(), config);
    }

    // Clean up hosts and default endpoints where resulting config leaves only defaults
    hosts.retain(|_, c| {
        !c.endpoints.is_empty() || c.default.as_ref().is_some_and(RegistryEndpoint::has_config)
    });

    (hosts, notes)
}

/// `*` is written to `_default`; every other key is its own directory name.
fn dir_name(host: &BStr) -> &BStr {
    if host == "*" {
        BStr::new(DEFAULT_DIR)
    } else {
        host
    }
}

/// A registry name K3s cannot parse as an endpoint (`defaultHostConfig`'s error, as K3s words
/// it).
#[derive(Debug, thiserror::Error)]
#[error("invalid endpoint URL {host} for {host}: {source}")]
struct InvalidRegistry {
    host: GoString,
    source: crate::go::url::UrlError,
}

/// K3s's `defaultHostConfig`: the registry's own endpoint, carrying `config`.
fn default_host_config(
    host: &BStr,
    mirror_addr: &str,
    config: Arc<RegistryConfig>,
    config_key: Option<GoString>,
) -> Result<HostConfig, InvalidRegistry> {
    let n = normalize_endpoint_address(host, mirror_addr).map_err(|source| InvalidRegistry {
        host: host.into(),
        source,
    })?;
    Ok(HostConfig {
        default: Some(RegistryEndpoint {
            url: if host == "*" {
                None
            } else {
                Some(Box::new(n.url))
            },
            config,
            config_key,
            ..RegistryEndpoint::default()
        }),
        endpoints: Vec::new(),
        mirror: None,
    })
}

/// K3s's `configForHost`: the config under the `DefaultHost` name (`registry-1.docker.io` for
/// `docker.io`) wins if there is one; else the config under the name itself. Returns the key used.
pub(crate) fn config_for_host(
    configs: &BTreeMap<&BStr, Arc<RegistryConfig>>,
    host: &BStr,
) -> (Arc<RegistryConfig>, Option<GoString>) {
    let h = default_host(host);
    if h != host {
        if let Some(c) = configs.get(h) {
            return (Arc::clone(c), Some(h.into()));
        }
    }
    match configs.get(host) {
        Some(c) => (Arc::clone(c), Some(host.into())),
        None => (Arc::default(), None),
    }
}

fn invalid_registry(host: &BStr, err: &InvalidRegistry) -> Note {
    Note {
        level: Level::Error,
        message: format!(
            "Failed to generate config for registry {}: {err}",
            GoString::from(host)
        ),
        kind: NoteKind::InvalidRegistry { host: host.into() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(mirrors: &[(&str, &[&str])]) -> Registry {
        Registry {
            mirrors: mirrors
                .iter()
                .map(|(k, eps)| {
                    let m = Mirror {
                        endpoints: eps.iter().map(|&e| e.into()).collect(),
                        rewrites: BTreeMap::new(),
                    };
                    ((*k).into(), m)
                })
                .collect(),
            ..Registry::default()
        }
    }

    /// Positions as the user wrote them survive the embedded registry's injection; K3s's own
    /// positions (what it logs) count the injected endpoint.
    #[test]
    fn source_indices_skip_the_injected_endpoint() {
        let node = NodeOptions {
            embedded_registry: true,
            ..NodeOptions::default()
        };
        let reg = registry(&[
            (
                "docker.io",
                &[
                    "https://a.example.com",
                    "https://ho st",
                    "https://a.example.com",
                ],
            ),
            ("localhost:5000", &["https://b.example.com"]),
        ]);
        let m = translate(&reg, &node);
        let idx = |dir: &str| -> Vec<(Option<usize>, Option<usize>)> {
            m.hosts[dir.as_bytes()]
                .endpoints
                .iter()
                .map(|e| (e.index, e.source_index))
                .collect()
        };
        assert_eq!(idx("docker.io"), [(Some(0), None), (Some(1), Some(0))]);
        assert_eq!(idx("localhost:5000"), [(Some(0), Some(0))]);
        assert_eq!(idx("127.0.0.1:6443").len(), 0);
        let notes: Vec<(usize, Option<usize>)> = m
            .notes
            .iter()
            .filter_map(|n| match &n.kind {
                NoteKind::InvalidEndpoint {
                    index,
                    source_index,
                    ..
                }
                | NoteKind::DuplicateEndpoint {
                    index,
                    source_index,
                    ..
                } => Some((*index, *source_index)),
                NoteKind::InvalidRegistry { .. } => None,
            })
            .collect();
        assert_eq!(notes, [(2, Some(1)), (3, Some(2))]);
        assert!(m.notes[0]
            .message
            .starts_with("Ignoring invalid endpoint URL 2=https://ho st for docker.io"));
    }

    /// `*` mirrors lose their configs entry (K3s looks the mirror up under `*`, but the configs
    /// loop stored it as `_default`) and get an empty, non-nil server URL.
    #[test]
    fn wildcard_mirror_gets_an_empty_server_and_loses_its_config() {
        let mut reg = registry(&[("*", &["https://m.example.com"])]);
        reg.configs.insert(
            "*".into(),
            RegistryConfig {
                auth: None,
                tls: Some(TlsConfig {
                    ca_file: "/ca".into(),
                    ..TlsConfig::default()
                }),
            },
        );
        let m = translate(&reg, &NodeOptions::default());
        let d = m.hosts[&b"_default"[..]].default.as_ref().expect("default");
        assert_eq!(d.url.as_deref(), Some(&crate::go::url::Url::default()));
        assert!(d.config.tls.is_none());
    }
}
