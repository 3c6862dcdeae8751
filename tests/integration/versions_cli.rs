//! K3s versions: `versions`, `--version`, `--k3s-version` on every command, refusals.

use crate::harness::{read_tree, root, run, run_in, snapshot_settings};

const EXAMPLE: &str = "examples/docker-mirror-auth-ca/registries.yaml";

#[test]
fn versions_lists_releases_and_eras() {
    let r = run(&["versions"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    snapshot_settings().bind(|| insta::assert_snapshot!("versions", r.stdout));
}

#[test]
fn version_names_the_newest_k3s_modelled() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "k3s-registries {} (models K3s v1.31.6 to v1.36.3; newest: v1.36.3, the default)\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn unknown_and_older_versions_are_refused_with_the_range() {
    for (version, why) in [
        ("v1.30.5+k3s1", "older than K3s's switch to containerd 2.0"),
        ("v1.31.5", "modelled from v1.31.6"),
        ("v1.33.14", "the newest 1.33 release modelled is v1.33.13"),
        ("1.37.0", "newer than the newest minor line modelled"),
    ] {
        for cmd in ["render", "explain", "audit"] {
            let mut args = vec![cmd, "--registries", EXAMPLE, "--k3s-version", version];
            if cmd == "explain" {
                args.push("nginx");
            }
            let r = run(&args);
            assert_eq!(r.code, 2, "{cmd} {version}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{cmd} {version}: {}", r.stdout);
            assert!(r.stderr.contains(why), "{cmd} {version}: {}", r.stderr);
            assert!(
                r.stderr.contains("models K3s v1.31.6 to v1.36.3"),
                "{cmd} {version}: {}",
                r.stderr
            );
        }
    }
    let r = run(&["render", "--registries", EXAMPLE, "--k3s-version", "1.34.x"]);
    assert_eq!(r.code, 2);
    snapshot_settings().bind(|| insta::assert_snapshot!("k3s_version_syntax_error", r.stderr));
}

#[test]
fn refused_version_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let reg = root().join(EXAMPLE);
    let r = run_in(
        tmp.path(),
        &[
            "render",
            "--registries",
            reg.to_str().expect("utf-8"),
            "--output",
            out.to_str().expect("utf-8"),
            "--k3s-version",
            "v1.29.3",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(read_tree(&out).is_empty());
}

/// Every spelling of one release renders the same bytes; the default is the newest.
#[test]
fn spellings_of_a_version_agree_and_latest_is_the_default() {
    let render = |v: Option<&str>| {
        let mut args = vec!["render", "--registries", EXAMPLE, "--show-secrets"];
        if let Some(v) = v {
            args.extend(["--k3s-version", v]);
        }
        let r = run(&args);
        assert_eq!(r.code, 0, "{v:?}: {}", r.stderr);
        r.stdout
    };
    let v1343 = render(Some("v1.34.3+k3s1"));
    for spelling in [
        "v1.34.3",
        "1.34.3",
        "v1.34.3-k3s3",
        "1.34.3+k3s2",
        "v1.34.0",
    ] {
        assert_eq!(render(Some(spelling)), v1343, "{spelling}");
    }
    assert!(v1343.contains("sandbox = \"rancher/mirrored-pause:3.6\""));
    assert!(!v1343.contains("imports = "));
    let latest = render(None);
    assert_eq!(render(Some("latest")), latest);
    assert_eq!(render(Some("1.36")), latest);
    assert_eq!(render(Some("v1.34.10")), latest);
    assert!(latest.contains("sandbox = \"rancher/mirrored-pause:3.10.2\""));
    assert!(latest.contains("Use config-v3.toml.tmpl instead."));
}

/// An explicit --pause-image wins over the release's default.
#[test]
fn pause_image_flag_overrides_the_release_default() {
    let r = run(&[
        "render",
        "--registries",
        EXAMPLE,
        "--k3s-version",
        "v1.32.8",
        "--pause-image",
        "example.com/pause:1",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("sandbox = \"example.com/pause:1\""));
}

/// explain and audit take the version too (the node's config.toml follows it).
#[test]
fn explain_and_audit_accept_a_version() {
    let r = run(&[
        "explain",
        "nginx",
        "--registries",
        EXAMPLE,
        "--k3s-version",
        "v1.33.4",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(&["audit", "--registries", EXAMPLE, "--k3s-version", "1.35"]);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
}
