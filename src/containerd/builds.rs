//! The containerd builds explain and audit model (`--containerd k3s|upstream|1.6`), and the ways
//! they read a `certs.d` differently — as data: one [`Build`] row per build, one [`Difference`]
//! row per way they differ, each citing the source lines it was read in. The rest of
//! [`crate::containerd`] is the same for every build and consults [`Flavor::build`] where they
//! part.
//!
//! Sources (tags of the public repositories): stock containerd `v1.6.20`
//! `remotes/docker/config/hosts.go` (Debian 12's containerd, 1.6.20~ds1), `v2.1.5`
//! `core/remotes/docker/config/hosts.go`, and K3s's fork, k3s-io/containerd as mirrored at
//! github.com/vitorsavian/containerd tag `v2.0.4-k3s3`, `core/remotes/docker/config/hosts.go` and
//! `core/remotes/docker/resolver.go`. The `1.6` row was also observed: tests/e2e runs every
//! scenario against a real containerd 1.6.20.

use super::Flavor;

/// How an `http://` host with its own TLS settings (`ca`, `client` or `skip_verify`) is contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpWithTls {
    /// Plain http, as written; the TLS settings are never used.
    Plain,
    /// https first, then plain http on a TLS error (`docker.NewHTTPFallback`); port 80 stays
    /// plain http.
    HttpsThenHttp,
}

/// The scheme of a loopback registry's own endpoint (`localhost`, `127.0.0.1:5000`, `[::1]`)
/// when containerd fills it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LoopbackDefault {
    /// Plain http on any port, with `skip_verify`.
    PlainHttp,
    /// https on no port or 443; otherwise http (which [`HttpWithTls::HttpsThenHttp`] tries over
    /// https first), with `skip_verify` except on port 80.
    ByPort,
}

/// What a hosts.toml without a top-level `server` key gets as its last host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RootWithoutServer {
    /// The registry's own endpoint, always.
    Appended,
    /// Nothing, when the file has `[host."…"]` entries (`--disable-default-registry-endpoint`).
    DroppedWithHosts,
}

/// One containerd build, as it reads `certs.d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Build {
    /// Which one.
    pub(crate) flavor: Flavor,
    /// Its `--containerd` value.
    pub(crate) name: &'static str,
    /// What it is, for people.
    pub(crate) title: &'static str,
    /// `http://` hosts with TLS settings.
    pub(crate) http_with_tls: HttpWithTls,
    /// A loopback registry's own endpoint.
    pub(crate) loopback_default: LoopbackDefault,
    /// A hosts.toml without `server`.
    pub(crate) root_without_server: RootWithoutServer,
    /// Whether `[host."…".rewrite]` tables are read and applied.
    pub(crate) rewrites: bool,
    /// Whether a hosts.toml without a `host` table is refused (`invalid `host` tree`), which makes
    /// containerd ignore the whole file. K3s always writes `[host]`; hand-written files may not.
    pub(crate) host_table_required: bool,
}

/// The builds, the default (`k3s`) first.
pub(crate) const BUILDS: [Build; 3] = [
    Build {
        flavor: Flavor::K3sFork,
        name: "k3s",
        title: "K3s's fork of containerd 2.x (k3s-io/containerd), as K3s ships it",
        http_with_tls: HttpWithTls::HttpsThenHttp,
        loopback_default: LoopbackDefault::ByPort,
        root_without_server: RootWithoutServer::DroppedWithHosts,
        rewrites: true,
        host_table_required: false,
    },
    Build {
        flavor: Flavor::Upstream,
        name: "upstream",
        title: "stock containerd 2.x",
        http_with_tls: HttpWithTls::HttpsThenHttp,
        loopback_default: LoopbackDefault::ByPort,
        root_without_server: RootWithoutServer::Appended,
        rewrites: false,
        host_table_required: false,
    },
    Build {
        flavor: Flavor::Containerd16,
        name: "1.6",
        title: "stock containerd 1.6.20 (Debian 12's)",
        http_with_tls: HttpWithTls::Plain,
        loopback_default: LoopbackDefault::PlainHttp,
        root_without_server: RootWithoutServer::Appended,
        rewrites: false,
        host_table_required: true,
    },
];

/// One way the builds differ: what it is, each build's rule, and where each was read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Difference {
    /// The difference, for people.
    pub(crate) what: &'static str,
    /// Each build's rule, for people.
    pub(crate) rule: fn(&Build) -> &'static str,
    /// Where each build's rule is, in [`BUILDS`] order (k3s, upstream, 1.6).
    pub(crate) sources: [&'static str; 3],
}

/// The differences, in the order the README lists them.
pub(crate) const DIFFERENCES: [Difference; 5] = [
    Difference {
        what: "an http:// host with TLS settings (ca, client, skip_verify)",
        rule: |b| match b.http_with_tls {
            HttpWithTls::Plain => "plain http",
            HttpWithTls::HttpsThenHttp => "https first, then http (not on port 80)",
        },
        sources: [
            "vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:246-259",
            "containerd v2.1.5 core/remotes/docker/config/hosts.go:214-227",
            "containerd v1.6.20 remotes/docker/config/hosts.go:162-235 (no scheme change)",
        ],
    },
    Difference {
        what: "a loopback registry's own endpoint (localhost, 127.0.0.1:5000)",
        rule: |b| match b.loopback_default {
            LoopbackDefault::PlainHttp => "plain http, any port",
            LoopbackDefault::ByPort => "https on no port or 443; else https first, then http (port 80: http)",
        },
        sources: [
            "vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:103-124",
            "containerd v2.1.5 core/remotes/docker/config/hosts.go:104-124",
            "containerd v1.6.20 remotes/docker/config/hosts.go:102-112",
        ],
    },
    Difference {
        what: "a hosts.toml with [host] entries and no server key",
        rule: |b| match b.root_without_server {
            RootWithoutServer::Appended => "the registry's own endpoint still comes last",
            RootWithoutServer::DroppedWithHosts => "no registry endpoint: only the [host] entries",
        },
        sources: [
            "vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:398-413",
            "containerd v2.1.5 core/remotes/docker/config/hosts.go:413-418",
            "containerd v1.6.20 remotes/docker/config/hosts.go:370-375",
        ],
    },
    Difference {
        what: "[host.\"…\".rewrite] tables",
        rule: |b| if b.rewrites { "applied to that host's requests" } else { "ignored" },
        sources: [
            "vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:357-359,445; resolver.go:294,520",
            "containerd v2.1.5 core/remotes/docker/config/hosts.go:337-377 (no rewrite field)",
            "containerd v1.6.20 remotes/docker/config/hosts.go:289-325 (no rewrite field)",
        ],
    },
    Difference {
        what: "a hosts.toml without a host table",
        rule: |b| {
            if b.host_table_required {
                "refused (invalid `host` tree): the file is ignored"
            } else {
                "read"
            }
        },
        sources: [
            "vitorsavian/containerd v2.0.4-k3s3 core/remotes/docker/config/hosts.go:561 (getSortedHosts needs none)",
            "containerd v2.1.5 core/remotes/docker/config/hosts.go:548 (getSortedHosts needs none)",
            "containerd v1.6.20 remotes/docker/config/hosts.go:346,497-501",
        ],
    },
];

impl Flavor {
    /// Every build, in [`BUILDS`] order.
    #[cfg(test)]
    pub(crate) fn all() -> impl Iterator<Item = Flavor> {
        BUILDS.iter().map(|b| b.flavor)
    }

    /// This build's row.
    pub(crate) fn build(self) -> &'static Build {
        match self {
            Flavor::K3sFork => &BUILDS[0],
            Flavor::Upstream => &BUILDS[1],
            Flavor::Containerd16 => &BUILDS[2],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flavor_has_its_own_row() {
        for (i, b) in BUILDS.iter().enumerate() {
            assert_eq!(b.flavor.build(), b, "row {i}");
        }
        assert_eq!(Flavor::default(), BUILDS[0].flavor);
    }

    #[test]
    fn the_fork_differs_from_upstream_exactly_in_server_and_rewrites() {
        let (fork, up) = (BUILDS[0], BUILDS[1]);
        assert_eq!(
            Build {
                flavor: up.flavor,
                name: up.name,
                title: up.title,
                root_without_server: up.root_without_server,
                rewrites: up.rewrites,
                ..fork
            },
            up
        );
        assert_ne!(fork.root_without_server, up.root_without_server);
        assert_ne!(fork.rewrites, up.rewrites);
    }

    #[test]
    fn every_difference_cites_each_build() {
        for d in &DIFFERENCES {
            for (b, src) in BUILDS.iter().zip(d.sources) {
                let repo = if b.flavor == Flavor::K3sFork {
                    "vitorsavian/containerd v2.0.4-k3s3 "
                } else if b.flavor == Flavor::Upstream {
                    "containerd v2.1.5 "
                } else {
                    "containerd v1.6.20 "
                };
                assert!(src.starts_with(repo), "{}: {src}", d.what);
                assert!(src.contains("hosts.go:"), "{}: {src}", d.what);
            }
        }
    }

    /// The README's table of builds is this data, row for row, with every source cited.
    #[test]
    fn readme_tables_the_builds_as_they_are_here() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
            .expect("README.md");
        let header = format!(
            "| | {} |",
            BUILDS
                .iter()
                .map(|b| format!("`{}`", b.name))
                .collect::<Vec<_>>()
                .join(" | ")
        );
        assert!(text.contains(&header), "README lacks: {header}");
        for d in &DIFFERENCES {
            let rules: Vec<&str> = BUILDS.iter().map(|b| (d.rule)(b)).collect();
            let row = format!("| {} | {} |", d.what, rules.join(" | "));
            assert!(text.contains(&row), "README lacks or mis-states: {row}");
            for src in d.sources {
                assert!(
                    text.contains(&format!("`{src}`")),
                    "README does not cite {src}"
                );
            }
        }
    }
}
