//! Image references as containerd's CRI plugin reads them: `distribution.ParseDockerRef`
//! (github.com/distribution/reference **v0.5.0**, which K3s 1.34 pins with a `replace`), with
//! go-digest v1.0.0's digest checks, then containerd's own `reference.Parse` split into host,
//! repository and object.
//!
//! `nginx` is `docker.io/library/nginx:latest`; `index.docker.io` is `docker.io`; a reference with
//! a tag and a digest keeps only the digest; the first component is a registry when it has a `.`
//! or a `:`, is `localhost`, or has an upper-case letter (so `MyOrg/app` names the registry
//! `MyOrg`). Errors carry the library's messages; CRI wraps them as `failed to parse image
//! reference "<input>": <message>`, and so does explain.
//!
//! Pure: no I/O, no knowledge of hosts directories (that is [`crate::containerd`]).

use std::fmt;
use std::sync::OnceLock;

use crate::go::regexp::Regexp;

/// Docker Hub's registry name in references.
pub(crate) const DEFAULT_DOMAIN: &str = "docker.io";
/// The legacy Docker Hub name, normalised to [`DEFAULT_DOMAIN`].
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
/// The namespace of official Docker Hub images.
const OFFICIAL_REPO_PREFIX: &str = "library/";
/// The tag added to a reference without tag or digest.
const DEFAULT_TAG: &str = "latest";
/// `NameTotalLengthMax`: v0.5.0 counts the domain too.
const NAME_TOTAL_LENGTH_MAX: usize = 255;

/// A reference as `ParseDockerRef` returns it: named, and either tagged or digested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageRef {
    /// The registry: `docker.io`, `registry.example.com:5000`, `[::1]:5000`, `localhost`.
    pub(crate) domain: String,
    /// The repository path: `library/nginx`.
    pub(crate) path: String,
    /// The tag (absent when a digest is present: `ParseDockerRef` drops it).
    pub(crate) tag: Option<String>,
    /// The digest, `sha256:<hex>`.
    pub(crate) digest: Option<String>,
}

impl ImageRef {
    /// `Named.Name()`: `domain/path`, or the path alone when there is no domain (distribution's
    /// `repository.Name`): `1l_r.io/libr` has none, `_` being no domain character, and is all
    /// path. (Found by the `image_ref` fuzz target.)
    pub(crate) fn name(&self) -> String {
        if self.domain.is_empty() {
            return self.path.clone();
        }
        format!("{}/{}", self.domain, self.path)
    }

    /// The object containerd resolves: the tag, or the digest (what follows `manifests/` in the
    /// first request).
    pub(crate) fn object(&self) -> &str {
        self.digest
            .as_deref()
            .or(self.tag.as_deref())
            .unwrap_or(DEFAULT_TAG)
    }

    /// Whether containerd resolves a digest (pull capability suffices) rather than a tag (pull
    /// and resolve).
    pub(crate) fn is_digest(&self) -> bool {
        self.digest.is_some()
    }
}

impl fmt::Display for ImageRef {
    /// `Reference.String()`: `name:tag` or `name@digest`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.digest, &self.tag) {
            (Some(d), _) => write!(f, "{}@{d}", self.name()),
            (None, Some(t)) => write!(f, "{}:{t}", self.name()),
            (None, None) => f.write_str(&self.name()),
        }
    }
}

/// Why a reference is refused, with the library's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RefError {
    /// `ErrReferenceInvalidFormat`
    #[error("invalid reference format")]
    InvalidFormat,
    /// `ErrNameContainsUppercase`
    #[error("repository name must be lowercase")]
    NameContainsUppercase,
    /// `ErrNameEmpty`
    #[error("repository name must have at least one component")]
    NameEmpty,
    /// `ErrNameTooLong`
    #[error("repository name must not be more than 255 characters")]
    NameTooLong,
    /// `ParseNormalizedNamed`: the remote name (text before the first `:`) has upper case.
    #[error("invalid reference format: repository name ({0}) must be lowercase")]
    RemoteUppercase(String),
    /// `ParseNormalizedNamed`: the whole input is 64 hex digits (an image ID, not a name).
    #[error("invalid repository name ({0}), cannot specify 64-byte hexadecimal strings")]
    Identifier(String),
    /// go-digest `ErrDigestInvalidFormat`
    #[error("invalid checksum digest format")]
    DigestInvalidFormat,
    /// go-digest `ErrDigestInvalidLength`
    #[error("invalid checksum digest length")]
    DigestInvalidLength,
    /// go-digest `ErrDigestUnsupported`
    #[error("unsupported digest algorithm")]
    DigestUnsupported,
    /// One of the library's regular expressions failed to compile here (never expected).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The library's compiled expressions (regexp.go), through the Go-syntax gate so they mean what
/// they mean in Go (`\w` is ASCII).
struct Patterns {
    reference: Regexp,
    anchored_name: Regexp,
    anchored_remote: Regexp,
    anchored_identifier: Regexp,
    /// go-digest's `DigestRegexpAnchored`.
    go_digest_anchored: Regexp,
    /// go-digest's `anchoredEncodedRegexps` for sha256, sha384, sha512.
    hex: Regexp,
}

fn patterns() -> Result<&'static Patterns, RefError> {
    static PATTERNS: OnceLock<Result<Patterns, crate::go::regexp::Error>> = OnceLock::new();
    PATTERNS
        .get_or_init(|| {
            const ALPHANUMERIC: &str = "[a-z0-9]+";
            const SEPARATOR: &str = "(?:[._]|__|[-]+)";
            const DOMAIN_NAME_COMPONENT: &str =
                "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
            const OPTIONAL_PORT: &str = "(?::[0-9]+)?";
            const TAG: &str = r"[\w][\w.-]{0,127}";
            const DIGEST: &str =
                "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}";
            const IPV6: &str = r"\[(?:[a-fA-F0-9:]+)\]";
            let domain_name = format!(r"{DOMAIN_NAME_COMPONENT}(?:\.{DOMAIN_NAME_COMPONENT})*");
            let host = format!("(?:{domain_name}|{IPV6})");
            let domain_and_port = format!("{host}{OPTIONAL_PORT}");
            let path_component = format!("{ALPHANUMERIC}(?:{SEPARATOR}{ALPHANUMERIC})*");
            let remote_name = format!("{path_component}(?:/{path_component})*");
            let name_pat = format!("(?:{domain_and_port}/)?{remote_name}");
            let compile = |p: &str| Regexp::compile(p);
            Ok(Patterns {
                reference: compile(&format!("^({name_pat})(?::({TAG}))?(?:@({DIGEST}))?$"))?,
                anchored_name: compile(&format!("^(?:({domain_and_port})/)?({remote_name})$"))?,
                anchored_remote: compile(&format!("^{remote_name}$"))?,
                anchored_identifier: compile("^([a-f0-9]{64})$")?,
                go_digest_anchored: compile("^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$")?,
                hex: compile("^[a-f0-9]+$")?,
            })
        })
        .as_ref()
        .map_err(|e| RefError::Internal(e.to_string()))
}

/// `splitDockerDomain` (v0.5.0): the registry and the rest. The first component is the registry
/// when it contains `.` or `:`, is `localhost`, or is not all lower case; otherwise the registry
/// is `docker.io`. `index.docker.io` becomes `docker.io`, and a Docker Hub name without `/` gets
/// `library/`.
pub(crate) fn split_docker_domain(name: &str) -> (String, String) {
    let (mut domain, mut remainder) = match name.find('/') {
        Some(i)
            if name[..i].contains(['.', ':'])
                || &name[..i] == "localhost"
                || name[..i].to_lowercase() != name[..i] =>
        {
            (name[..i].to_string(), name[i + 1..].to_string())
        }
        _ => (DEFAULT_DOMAIN.to_string(), name.to_string()),
    };
    if domain == LEGACY_DEFAULT_DOMAIN {
        domain = DEFAULT_DOMAIN.to_string();
    }
    if domain == DEFAULT_DOMAIN && !remainder.contains('/') {
        remainder = format!("{OFFICIAL_REPO_PREFIX}{remainder}");
    }
    (domain, remainder)
}

/// `ParseNormalizedNamed`, returning the parsed reference (tag and digest both kept).
pub(crate) fn parse_normalized_named(s: &str) -> Result<ImageRef, RefError> {
    let p = patterns()?;
    if p.anchored_identifier.is_match(s) {
        return Err(RefError::Identifier(s.to_string()));
    }
    let (domain, remainder) = split_docker_domain(s);
    let remote = match remainder.find(':') {
        Some(i) => &remainder[..i],
        None => &remainder[..],
    };
    // Go's strings.ToLower; for these ASCII-checked names Rust's to_lowercase agrees.
    if remote.to_lowercase() != remote {
        return Err(RefError::RemoteUppercase(remote.to_string()));
    }
    parse(&format!("{domain}/{remainder}"))
}

/// `reference.Parse`: the full grammar, then the digest checked by go-digest's `Parse`.
pub(crate) fn parse(s: &str) -> Result<ImageRef, RefError> {
    let p = patterns()?;
    let Some(m) = p.reference.find_string_submatch(s) else {
        if s.is_empty() {
            return Err(RefError::NameEmpty);
        }
        if p.reference.is_match(&s.to_lowercase()) {
            return Err(RefError::NameContainsUppercase);
        }
        return Err(RefError::InvalidFormat);
    };
    let (name, tag, digest) = (&m[1], &m[2], &m[3]);
    if name.len() > NAME_TOTAL_LENGTH_MAX {
        return Err(RefError::NameTooLong);
    }
    let (domain, path) = match p.anchored_name.find_string_submatch(name) {
        Some(nm) => (nm[1].clone(), nm[2].clone()),
        None => (String::new(), name.clone()),
    };
    if !digest.is_empty() {
        validate_digest(digest)?;
    }
    if path.is_empty() {
        // getBestReferenceType: a name is required here (a bare digest is not an image).
        return Err(RefError::NameEmpty);
    }
    Ok(ImageRef {
        domain,
        path,
        tag: (!tag.is_empty()).then(|| tag.clone()),
        digest: (!digest.is_empty()).then(|| digest.clone()),
    })
}

/// go-digest v1.0.0 `Digest.Validate`: sha256, sha384 and sha512 are available (containerd links
/// them); their hex must have the exact length and be lower case.
fn validate_digest(d: &str) -> Result<(), RefError> {
    let p = patterns()?;
    let Some(i) = d.find(':').filter(|&i| i > 0 && i + 1 < d.len()) else {
        return Err(RefError::DigestInvalidFormat);
    };
    let (algorithm, encoded) = (&d[..i], &d[i + 1..]);
    let size = match algorithm {
        "sha256" => 32,
        "sha384" => 48,
        "sha512" => 64,
        _ => {
            if !p.go_digest_anchored.is_match(d) {
                return Err(RefError::DigestInvalidFormat);
            }
            return Err(RefError::DigestUnsupported);
        }
    };
    if encoded.len() != size * 2 {
        return Err(RefError::DigestInvalidLength);
    }
    if !p.hex.is_match(encoded) {
        return Err(RefError::DigestInvalidFormat);
    }
    Ok(())
}

/// `ParseDockerRef`: [`parse_normalized_named`], then a reference with both tag and digest keeps
/// only the digest, and one with neither gets `:latest`.
pub(crate) fn parse_docker_ref(s: &str) -> Result<ImageRef, RefError> {
    let mut r = parse_normalized_named(s)?;
    if r.digest.is_some() {
        // WithName(Name()) and WithDigest re-check what Parse already checked: they cannot fail.
        r.tag = None;
    } else if r.tag.is_none() {
        r.tag = Some(DEFAULT_TAG.to_string());
    }
    Ok(r)
}

/// Whether `path` is a repository path the grammar accepts (`library/nginx`): explain checks
/// what a rewrite produces.
pub(crate) fn is_valid_path(path: &str) -> bool {
    patterns().is_ok_and(|p| p.anchored_remote.is_match(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";

    /// Generated with distribution/reference v0.5.0 `ParseDockerRef` (and go-digest v1.0.0 with
    /// sha256/sha512 linked, as in containerd) under go1.19.8: input, then `String()`,
    /// `Domain()`, `Path()` or the error text. `{H}` stands for a 64-digit hex string.
    /// `String()`, `Domain()`, `Path()`.
    type Parsed = (&'static str, &'static str, &'static str);

    const CASES: &[(&str, Result<Parsed, &str>)] = &[
        ("nginx", Ok(("docker.io/library/nginx:latest", "docker.io", "library/nginx"))),
        ("nginx:1.25", Ok(("docker.io/library/nginx:1.25", "docker.io", "library/nginx"))),
        ("docker.io/library/nginx:1.25", Ok(("docker.io/library/nginx:1.25", "docker.io", "library/nginx"))),
        ("docker.io/nginx", Ok(("docker.io/library/nginx:latest", "docker.io", "library/nginx"))),
        ("index.docker.io/nginx", Ok(("docker.io/library/nginx:latest", "docker.io", "library/nginx"))),
        ("index.docker.io/library/nginx:1.25", Ok(("docker.io/library/nginx:1.25", "docker.io", "library/nginx"))),
        ("registry-1.docker.io/nginx", Ok(("registry-1.docker.io/nginx:latest", "registry-1.docker.io", "nginx"))),
        ("registry-1.docker.io/library/nginx", Ok(("registry-1.docker.io/library/nginx:latest", "registry-1.docker.io", "library/nginx"))),
        ("library/busybox", Ok(("docker.io/library/busybox:latest", "docker.io", "library/busybox"))),
        ("busybox@sha256:{H}", Ok(("docker.io/library/busybox@sha256:{H}", "docker.io", "library/busybox"))),
        ("gcr.io/library/busybox:latest@sha256:{H}", Ok(("gcr.io/library/busybox@sha256:{H}", "gcr.io", "library/busybox"))),
        ("nginx:1.25@sha256:{H}", Ok(("docker.io/library/nginx@sha256:{H}", "docker.io", "library/nginx"))),
        ("registry.internal.example.com/myapp:1.0", Ok(("registry.internal.example.com/myapp:1.0", "registry.internal.example.com", "myapp"))),
        ("registry.example.com:5000/rancher/mirrored-pause:3.6", Ok(("registry.example.com:5000/rancher/mirrored-pause:3.6", "registry.example.com:5000", "rancher/mirrored-pause"))),
        ("ghcr.io/org/img@sha256:{H}", Ok(("ghcr.io/org/img@sha256:{H}", "ghcr.io", "org/img"))),
        ("localhost/app", Ok(("localhost/app:latest", "localhost", "app"))),
        ("localhost:5000/app:dev", Ok(("localhost:5000/app:dev", "localhost:5000", "app"))),
        ("127.0.0.1:5000/app", Ok(("127.0.0.1:5000/app:latest", "127.0.0.1:5000", "app"))),
        ("[::1]:5000/app", Ok(("[::1]:5000/app:latest", "[::1]:5000", "app"))),
        ("[fc00::1]:5000/docker/docker", Ok(("[fc00::1]:5000/docker/docker:latest", "[fc00::1]:5000", "docker/docker"))),
        ("[::1]/app", Ok(("[::1]/app:latest", "[::1]", "app"))),
        ("MyOrg/app", Ok(("MyOrg/app:latest", "MyOrg", "app"))),
        ("DOCKER/docker", Ok(("DOCKER/docker:latest", "DOCKER", "docker"))),
        ("Nginx", Err("invalid reference format: repository name (library/Nginx) must be lowercase")),
        ("myorg/App:1", Err("invalid reference format: repository name (myorg/App) must be lowercase")),
        ("localhost:5000/App", Err("invalid reference format: repository name (App) must be lowercase")),
        ("Nginx@sha256:{H}", Err("invalid reference format: repository name (library/Nginx@sha256) must be lowercase")),
        ("nginx:tag@bad", Err("invalid reference format")),
        ("nginx@sha256:6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582", Err("invalid checksum digest length")),
        ("nginx@sha256:E6693C20186F837FC393390135D8A598A96A833917917789D63766CAB6C59582", Err("invalid checksum digest format")),
        ("nginx@md5:0123456789abcdef0123456789abcdef", Err("unsupported digest algorithm")),
        ("nginx@MD5:0123456789abcdef0123456789abcdef", Err("invalid reference format: repository name (library/nginx@MD5) must be lowercase")),
        ("nginx@sha384:{H}{H}", Err("invalid checksum digest length")),
        ("https://reg/x", Err("invalid reference format")),
        ("{H}", Err("invalid repository name ({H}), cannot specify 64-byte hexadecimal strings")),
        ("docker.io/{H}", Ok(("docker.io/library/{H}:latest", "docker.io", "library/{H}"))),
        ("", Err("invalid reference format")),
        (":latest", Err("invalid reference format")),
        ("-docker", Err("invalid reference format")),
        ("docker///docker", Err("invalid reference format")),
        ("docker.io/docker/Docker", Err("invalid reference format: repository name (docker/Docker) must be lowercase")),
        ("fc00::1:5000/debian", Err("invalid reference format")),
        ("[fe80::1%eth0]:5000/debian", Err("invalid reference format")),
        ("192.168.0.1", Ok(("docker.io/library/192.168.0.1:latest", "docker.io", "library/192.168.0.1"))),
        ("192.168.0.1:80", Ok(("docker.io/library/192.168.0.1:80", "docker.io", "library/192.168.0.1"))),
        ("a/b/c/d:t", Ok(("docker.io/a/b/c/d:t", "docker.io", "a/b/c/d"))),
        ("foo_bar/baz__qux/a-b---c", Ok(("docker.io/foo_bar/baz__qux/a-b---c:latest", "docker.io", "foo_bar/baz__qux/a-b---c"))),
        ("foo__/bar", Err("invalid reference format")),
        ("ubuntu:UPPER_tag.1-x", Ok(("docker.io/library/ubuntu:UPPER_tag.1-x", "docker.io", "library/ubuntu"))),
        ("ubuntu:.bad", Err("invalid reference format")),
        ("my_gcr/image", Ok(("docker.io/my_gcr/image:latest", "docker.io", "my_gcr/image"))),
        ("sub.domain:65536/x", Ok(("sub.domain:65536/x:latest", "sub.domain:65536", "x"))),
        ("example.com:/x", Err("invalid reference format")),
        ("Example.COM/x", Ok(("Example.COM/x:latest", "Example.COM", "x"))),
        ("localhost.localdomain/x", Ok(("localhost.localdomain/x:latest", "localhost.localdomain", "x"))),
        ("-a.com/x", Err("invalid reference format")),
        ("a-.com/x", Err("invalid reference format")),
        ("xn--bcher-kva.example/x", Ok(("xn--bcher-kva.example/x:latest", "xn--bcher-kva.example", "x"))),
        ("nginx:latest@sha256:{H}", Ok(("docker.io/library/nginx@sha256:{H}", "docker.io", "library/nginx"))),
        ("nginx@sha256:", Err("invalid reference format")),
        ("nginx@:abc", Err("invalid reference format")),
        ("nginx@sha256:abc", Err("invalid reference format")),
    ];

    #[test]
    fn parse_docker_ref_matches_distribution_reference_v0_5_0() {
        for (input, want) in CASES {
            let input = input.replace("{H}", H);
            let got =
                parse_docker_ref(&input).map(|r| (r.to_string(), r.domain.clone(), r.path.clone()));
            let want = want
                .map(|(s, d, p)| (s.replace("{H}", H), d.to_string(), p.replace("{H}", H)))
                .map_err(|e| e.replace("{H}", H));
            assert_eq!(got.map_err(|e| e.to_string()), want, "input {input:?}");
        }
    }

    #[test]
    fn lengths() {
        // Tags: 128 characters at most.
        let ok = format!("ubuntu:{}", "a".repeat(128));
        assert!(parse_docker_ref(&ok).is_ok());
        let long = format!("ubuntu:{}", "a".repeat(129));
        assert_eq!(parse_docker_ref(&long), Err(RefError::InvalidFormat));
        // Names: 255 characters including the domain (v0.5.0).
        let name = format!("reg.example.com/{}", "a".repeat(240));
        assert_eq!(parse_docker_ref(&name), Err(RefError::NameTooLong));
        let name = format!("{}/x", "a".repeat(250));
        assert_eq!(parse_docker_ref(&name), Err(RefError::NameTooLong));
    }

    #[test]
    fn valid_reference_names_from_the_library_tests() {
        // normalize_test.go TestValidateReferenceName.
        for name in [
            "docker/docker",
            "library/debian",
            "debian",
            "docker.io/docker/docker",
            "index.docker.io/library/debian",
            "127.0.0.1:5000/docker/docker",
            "192.168.0.1:8/debian",
            "[fc00:1:2:3:4:5:6:7]:5000/library/debian",
            "Docker/docker",
        ] {
            assert!(parse_normalized_named(name).is_ok(), "{name}");
        }
        for name in [
            "docker/Docker",
            "-docker/docker",
            "docker.io/docker///docker",
            "[fc00::1]",
            "[fc00::1]:5000",
            "[2001:db8:3:4::192.0.2.33]:5000/debian",
        ] {
            assert!(parse_normalized_named(name).is_err(), "{name}");
        }
    }

    #[test]
    fn object_and_paths() {
        let r = parse_docker_ref("ghcr.io/org/img:1@sha256:".to_string().as_str()).err();
        assert_eq!(r, Some(RefError::InvalidFormat));
        let r = parse_docker_ref(&format!("ghcr.io/org/img@sha256:{H}")).expect("valid");
        assert_eq!(r.object(), format!("sha256:{H}"));
        assert!(r.is_digest());
        assert_eq!(parse_docker_ref("nginx").expect("valid").object(), "latest");
        assert!(is_valid_path("library/nginx"));
        assert!(!is_valid_path("Library/nginx"));
        assert!(!is_valid_path("/nginx"));
        assert!(!is_valid_path(""));
    }

    /// distribution's `repository.Name`: no domain, no leading `/`; the reference prints to text
    /// that parses to it again.
    #[test]
    fn a_reference_without_a_domain_is_named_by_its_path() {
        let r = parse_docker_ref("1l_r.io/libr").expect("parses");
        assert_eq!(r.domain, "");
        assert_eq!(r.to_string(), "1l_r.io/libr:latest");
        assert_eq!(parse_docker_ref(&r.to_string()).expect("again"), r);
    }
}
