//! The translated model: what K3s's `getHostConfigs` returns (one [`HostConfig`] per certs.d
//! directory) plus the registry as K3s holds it after the embedded registry's `InjectMirror`, the
//! node, and the messages K3s logs on the way.
//!
//! Field names follow K3s's `templates.HostConfig` and `templates.RegistryEndpoint`. The
//! provenance fields (`mirror`, `config_key`, `index`) are ours: they do not change a byte of
//! output, but let explain and audit say where each endpoint and credential came from.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::go::string::GoString;
use crate::go::url::Url;
use crate::k3s::node::{NodeOptions, NodePaths};
use crate::registries::{Registry, RegistryConfig};

/// `version.Program`: the name in every generated header.
pub(crate) const PROGRAM: &str = "k3s";

/// K3s's `templates.RegistryEndpoint`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct RegistryEndpoint {
    /// `OverridePath`: the endpoint's path is used as given (`override_path = true`).
    pub(crate) override_path: bool,
    /// `URL`. `None` is Go's nil pointer (no `server` line); `Some` of `Url::default()` is the
    /// empty URL K3s gives `*` mirrors, which prints as `server = ""`. Boxed, as Go holds a
    /// pointer: a model of 10,000 mirrors holds 30,000 endpoints.
    pub(crate) url: Option<Box<Url>>,
    /// `Rewrites`, copied from the mirror (never onto the embedded registry's endpoint).
    pub(crate) rewrites: BTreeMap<GoString, GoString>,
    /// `Config`: the auth and TLS settings `configForHost` found, shared by every endpoint that
    /// found the same `configs` entry (Go copies the struct; its pointers are shared all the same).
    pub(crate) config: Arc<RegistryConfig>,
    /// Ours: the `configs` key `config` came from, if any.
    pub(crate) config_key: Option<GoString>,
    /// Ours: the index of this endpoint in its mirror's `endpoint` list as K3s sees it (after the
    /// embedded registry's endpoint was put first), if it came from one. K3s's messages count so.
    pub(crate) index: Option<usize>,
    /// Ours: the index in the list the user wrote in registries.yaml; `None` for an endpoint the
    /// embedded registry added.
    pub(crate) source_index: Option<usize>,
}

impl RegistryEndpoint {
    /// K3s's `endpointHasConfig`: anything that makes the endpoint worth a hosts.toml.
    pub(crate) fn has_config(&self) -> bool {
        self.override_path
            || self.config.auth.is_some()
            || self.config.tls.is_some()
            || !self.rewrites.is_empty()
    }

    /// The URL as K3s prints it (`url.URL.String()`), or "" for a nil URL.
    pub(crate) fn url_string(&self) -> GoString {
        self.url.as_deref().map(Url::string).unwrap_or_default()
    }
}

/// K3s's `templates.HostConfig`: the content of one `certs.d/<dir>/hosts.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HostConfig {
    /// `Default`: the registry's own endpoint (`server` and its TLS), if any.
    pub(crate) default: Option<RegistryEndpoint>,
    /// `Endpoints`: the mirrors, in the order containerd tries them.
    pub(crate) endpoints: Vec<RegistryEndpoint>,
    /// Ours: the `mirrors` key this directory was built from, if any.
    pub(crate) mirror: Option<GoString>,
}

/// How loud K3s is about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    /// `logrus.Warnf`
    Warning,
    /// `logrus.Errorf`
    Error,
}

/// What a [`Note`] is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NoteKind {
    /// A `mirrors` or `configs` key that does not parse as an endpoint: no hosts.toml for it.
    InvalidRegistry {
        /// The key as written.
        host: GoString,
    },
    /// An endpoint that does not parse: skipped.
    InvalidEndpoint {
        /// The mirror key.
        host: GoString,
        /// Position in the `endpoint` list, as K3s counts it (and logs it).
        index: usize,
        /// Position in the list the user wrote (`None`: an endpoint the embedded registry added).
        source_index: Option<usize>,
        /// The endpoint as written.
        endpoint: GoString,
    },
    /// An endpoint whose URL was already listed: skipped.
    DuplicateEndpoint {
        /// The mirror key.
        host: GoString,
        /// Position in the `endpoint` list, as K3s counts it (and logs it).
        index: usize,
        /// Position in the list the user wrote (`None`: an endpoint the embedded registry added).
        source_index: Option<usize>,
        /// The endpoint as written.
        endpoint: GoString,
    },
}

/// A message K3s logs while translating; the text is K3s's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Note {
    /// Warning or error.
    pub(crate) level: Level,
    /// The message, worded as K3s logs it.
    pub(crate) message: String,
    /// What it is about, for audit.
    pub(crate) kind: NoteKind,
}

/// Everything render, explain and audit need: the translated configuration of one node.
#[derive(Debug, Clone)]
pub(crate) struct Model {
    /// The registry as K3s holds it when rendering (after the embedded registry's injection):
    /// config.toml's auth sections come from its `configs`.
    pub(crate) registry: Registry,
    /// certs.d directory name -> its hosts.toml, sorted by name.
    pub(crate) hosts: BTreeMap<GoString, HostConfig>,
    /// What K3s logs, in the order we met it.
    pub(crate) notes: Vec<Note>,
    /// The node options the model was built for.
    pub(crate) node: NodeOptions,
    /// The paths derived from them.
    pub(crate) paths: NodePaths,
}
