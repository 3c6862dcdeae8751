//! The helpers of containerd's `core/remotes/docker` package that K3s calls too
//! (`resolver.go`): `DefaultHost` and `IsLocalhost`, and Docker Hub's two names.

use crate::go::net;
use crate::go::string::{BStr, GoString};

/// Docker Hub's registry name, as image references spell it.
pub(crate) const DOCKER_HUB: &str = "docker.io";
/// The host containerd actually contacts for Docker Hub (`docker.DefaultHost`).
pub(crate) const DOCKER_HUB_HOST: &str = "registry-1.docker.io";

/// containerd's `docker.DefaultHost`: `docker.io` is served by `registry-1.docker.io`; every other
/// name is its own host.
pub(crate) fn default_host(ns: &BStr) -> &BStr {
    if ns == DOCKER_HUB {
        BStr::new(DOCKER_HUB_HOST)
    } else {
        ns
    }
}

/// containerd's `docker.IsLocalhost`: `localhost` or a loopback IP, with or without a port.
pub(crate) fn is_localhost(host: impl AsRef<[u8]>) -> bool {
    let host = host.as_ref();
    let host = match net::split_host_port(host) {
        Ok((h, _)) => h,
        Err(_) => GoString::from(host),
    };
    host == "localhost" || net::is_loopback(&host)
}
