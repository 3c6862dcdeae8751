//! Endpoint normalisation: K3s's `normalizeEndpointAddress` (pkg/agent/containerd/config.go) and
//! the two containerd helpers it calls, `docker.DefaultHost` and `docker.IsLocalhost`
//! (containerd core/remotes/docker/resolver.go).
//!
//! Pure functions over Go-exact URL parsing ([`crate::go::url`]); no filesystem, no printing.

use crate::containerd::docker::{default_host, is_localhost, DOCKER_HUB, DOCKER_HUB_HOST};
use crate::go::string::{ByteSlice, GoString};
use crate::go::url::{self, Url, UrlError};

/// What `normalizeEndpointAddress` returns on success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NormalizedEndpoint {
    /// The registry name the endpoint's host stands for (`docker.io` for `registry-1.docker.io`);
    /// `configForHost` looks credentials up under it.
    pub(crate) registry: GoString,
    /// The endpoint URL: scheme defaulted, Docker Hub's host substituted, path `/v2` unless an
    /// override path was given.
    pub(crate) url: Url,
    /// The endpoint had a path of its own, so hosts.toml gets `override_path = true`.
    pub(crate) override_path: bool,
}

/// K3s's `normalizeEndpointAddress(endpoint, mirrorAddr)`.
///
/// - no `://` in the text: it is parsed as `//<text>` (a host, maybe with a path);
/// - no scheme: `http` for localhost on a port other than 443 (unless it is the embedded
///   registry), else `https`;
/// - the host goes through `DefaultHost` (`docker.io` -> `registry-1.docker.io`) and the
///   registry name is the reverse of that;
/// - a path of ``, `/` or `/v2` becomes `/v2`; any other path is kept and marked as an override.
///
/// Note that K3s sets `Path` but leaves `RawPath` alone, so an escaped spelling of `/v2` prints
/// as written; [`Url`] keeps both, as Go does.
pub(crate) fn normalize_endpoint_address(
    endpoint: impl AsRef<[u8]>,
    mirror_addr: &str,
) -> Result<NormalizedEndpoint, UrlError> {
    let endpoint = endpoint.as_ref();
    let mut u = if endpoint.find("://").is_some() {
        url::parse(endpoint)?
    } else {
        let mut with_slashes = b"//".to_vec();
        with_slashes.extend_from_slice(endpoint);
        url::parse(with_slashes)?
    };
    if u.scheme.is_empty() {
        let port = u.port();
        let plain_http =
            is_localhost(&u.host) && !port.is_empty() && port != "443" && u.host != mirror_addr;
        u.scheme = if plain_http { "http" } else { "https" }.into();
    }
    let mut registry = u.host.clone();
    u.host = default_host(registry.as_bstr()).into();
    // "This is the reverse of the DefaultHost normalization": an endpoint written as
    // registry-1.docker.io also belongs to docker.io.
    if u.host == DOCKER_HUB_HOST {
        registry = DOCKER_HUB.into();
    }
    let override_path = !matches!(u.path.as_bytes(), b"" | b"/" | b"/v2");
    if !override_path {
        u.path = "/v2".into();
    }
    Ok(NormalizedEndpoint {
        registry,
        url: u,
        override_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(ep: &str, mirror: &str) -> (String, String, bool) {
        let n = normalize_endpoint_address(ep, mirror).expect("valid endpoint");
        (
            n.registry.to_string(),
            n.url.string().to_string(),
            n.override_path,
        )
    }

    #[test]
    fn docker_hub_spellings() {
        assert_eq!(
            norm("docker.io", ":"),
            (
                "docker.io".into(),
                "https://registry-1.docker.io/v2".into(),
                false
            )
        );
        assert_eq!(
            norm("https://registry-1.docker.io", ":"),
            (
                "docker.io".into(),
                "https://registry-1.docker.io/v2".into(),
                false
            )
        );
        assert_eq!(
            norm("https://docker.io/v2", ":").1,
            "https://registry-1.docker.io/v2"
        );
    }

    #[test]
    fn scheme_defaults() {
        assert_eq!(norm("localhost:5000", ":").1, "http://localhost:5000/v2");
        assert_eq!(norm("127.0.0.1:5000", ":").1, "http://127.0.0.1:5000/v2");
        assert_eq!(norm("[::1]:5000", ":").1, "http://[::1]:5000/v2");
        assert_eq!(norm("localhost:443", ":").1, "https://localhost:443/v2");
        assert_eq!(norm("localhost", ":").1, "https://localhost/v2");
        assert_eq!(
            norm("registry.example.com:5000", ":").1,
            "https://registry.example.com:5000/v2"
        );
        // The embedded registry is localhost on an odd port, but speaks https.
        assert_eq!(
            norm("127.0.0.1:6443", "127.0.0.1:6443").1,
            "https://127.0.0.1:6443/v2"
        );
        assert_eq!(
            norm("http://registry.example.com", ":").1,
            "http://registry.example.com/v2"
        );
    }

    #[test]
    fn paths() {
        assert!(!norm("https://r.example.com/", ":").2);
        assert!(!norm("https://r.example.com/v2", ":").2);
        let (_, u, o) = norm("https://r.example.com/v2/", ":");
        assert_eq!((u.as_str(), o), ("https://r.example.com/v2/", true));
        let (_, u, o) = norm("r.example.com/prefix/v2", ":");
        assert_eq!((u.as_str(), o), ("https://r.example.com/prefix/v2", true));
    }

    #[test]
    fn invalid_endpoints_are_errors() {
        assert!(normalize_endpoint_address("https://ho st", ":").is_err());
        assert!(normalize_endpoint_address("http://a%zz", ":").is_err());
    }

    #[test]
    fn localhost_rules() {
        assert!(is_localhost("localhost"));
        assert!(is_localhost("localhost:5000"));
        assert!(is_localhost("127.0.0.2:1"));
        assert!(is_localhost("[::1]:5000"));
        assert!(is_localhost("::1"));
        assert!(!is_localhost("LOCALHOST"));
        assert!(!is_localhost("localhost.localdomain"));
        assert!(!is_localhost("*"));
    }
}
