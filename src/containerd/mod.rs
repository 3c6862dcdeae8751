//! containerd's side, one model for explain AND audit: which `certs.d` directory containerd reads
//! for a registry ([`hosts_dir`]), what it makes of that directory's `hosts.toml`
//! ([`hosts_toml`], over go-toml's syntax in [`gotoml`]), the hosts it then contacts and what Go's
//! HTTP client lets it send them ([`http`]), the credentials `config.toml` holds for each request
//! host ([`cri`]), the TLS files it can load ([`pem`]), and image references ([`image_ref`]).
//!
//! Ported from containerd's `core/remotes/docker/config/hosts.go` and `config_unix.go` as shipped
//! in containerd 2.1/2.2, with the two changes K3s's fork carries ([`Flavor::K3sFork`], read at
//! vitorsavian/containerd tag v2.0.4-k3s3): `rewrite` tables are read, and the root (`server`)
//! entry is appended only when the file has a top-level `server` key or no `[host]` table.
//! Stock containerd 2.x and 1.6.20 are modelled too (`--containerd`); every way the three builds
//! read certs.d differently is a row of data in [`builds`], which the code consults where they
//! part. Credentials follow the CRI plugin (`internal/cri/server/images/image_pull.go`).
//!
//! Pure apart from [`hosts_dir::CertsTree::read`], which reads through [`crate::fs`]. Knows
//! nothing about registries.yaml or K3s's rules, and prints nothing.

pub(crate) mod builds;
pub(crate) mod cri;
pub(crate) mod docker;
pub(crate) mod gotoml;
pub(crate) mod hosts_dir;
pub(crate) mod hosts_toml;
pub(crate) mod http;
pub mod image_ref;
pub(crate) mod imports;
pub(crate) mod pem;

/// Which containerd reads the files (`--containerd`); how they differ is data, in
/// [`builds::BUILDS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Flavor {
    /// The containerd K3s ships (k3s-io/containerd): reads `rewrite` tables, and a file with
    /// `[host]` entries but no top-level `server` key has no default endpoint.
    #[default]
    K3sFork,
    /// Stock containerd 2.x: ignores `rewrite`, always appends the default endpoint.
    Upstream,
    /// Stock containerd 1.6.20 (Debian 12's): also plain http for `http://` hosts with TLS
    /// settings and for a loopback registry's own endpoint, and no file without a `host` table.
    Containerd16,
}

/// The files containerd reads on a node: its certs.d and, when known, its config.toml (or why
/// containerd cannot load it). The tree may borrow the files it holds (`'f`).
#[derive(Debug, Clone)]
pub(crate) struct NodeView<'f> {
    /// The certs.d tree.
    pub(crate) tree: hosts_dir::CertsTree<'f>,
    /// config.toml's CRI registry settings.
    pub(crate) config: Option<Result<cri::CriRegistry, gotoml::DecodeError>>,
}
