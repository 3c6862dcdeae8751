//! `explain` as a user meets it: every bundled example with several images, hand-written
//! registries files for Docker Hub spellings, `_default`, override paths, rewrites, the default
//! endpoint flags, localhost and plain HTTP, credentials keyed right and wrong; invalid
//! references; `--hosts-dir` on a rendered tree and on a hand-written one. Text and JSON are
//! insta snapshots named `explain_<case>`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use crate::harness::{root, run, run_in, scrub, shell_words, snapshot_settings, Run};

const DIGEST: &str = "sha256:e6693c20186f837fc393390135d8a598a96a833917917789d63766cab6c59582";

/// The images every example is explained for.
fn example_images() -> Vec<String> {
    vec![
        "nginx".to_string(),
        "docker.io/library/nginx:1.25".to_string(),
        "registry.internal.example.com/myapp:1.0".to_string(),
        "registry.example.com:5000/rancher/mirrored-pause:3.6".to_string(),
        format!("ghcr.io/org/img@{DIGEST}"),
        // The registry several examples configure (mutual TLS, the docker.io mirror).
        "registry.example.com/team/app:2".to_string(),
    ]
}

/// Run `explain` for each image (text, then `--json`) with `args`, in `cwd`; one snapshot text
/// with a header per run, stderr included when there is any.
fn explain_all(cwd: &Path, images: &[String], args: &[String]) -> String {
    let mut out = String::new();
    for image in images {
        for json in [false, true] {
            let mut argv: Vec<&str> = vec!["explain", image];
            argv.extend(args.iter().map(String::as_str));
            if json {
                argv.push("--json");
            }
            let r = run_in(cwd, &argv, None);
            assert_eq!(r.code, 0, "explain {argv:?}: {}", r.stderr);
            if json {
                let doc: serde_json::Value =
                    serde_json::from_str(&r.stdout).expect("explain --json prints JSON");
                assert_schema(&doc);
            }
            block(&mut out, &argv[1..], &r);
        }
    }
    out
}

fn block(out: &mut String, argv: &[&str], r: &Run) {
    let _ = writeln!(out, "===== explain {}", argv.join(" "));
    if !r.stderr.is_empty() {
        let _ = writeln!(out, "----- stderr\n{}", r.stderr.trim_end());
        let _ = writeln!(out, "----- stdout");
    }
    out.push_str(&r.stdout);
}

/// The fields the issue promises scripts, by name and type.
fn assert_schema(doc: &serde_json::Value) {
    assert_eq!(doc["schema_version"], 1);
    assert!(doc["image"].is_string());
    assert!(doc["hosts_dir"].is_string() || doc["hosts_dir"].is_null());
    for a in doc["attempts"].as_array().expect("attempts") {
        assert!(a["url"].is_string());
        assert!(a["default_endpoint"].is_boolean());
        assert!(a["capabilities"].is_array());
        assert!(a["rewrite"].is_null() || a["rewrite"]["repository"].is_string());
        assert!(a["tls"].is_object());
        let c = &a["credentials"];
        assert!(
            c.is_null()
                || (c["key"].is_string() && c["username"].is_string() && c["secret"].is_string())
        );
    }
    for w in doc["warnings"].as_array().expect("warnings") {
        assert!(w["code"].is_string() && w["message"].is_string());
    }
}

fn snapshot(name: &str, text: &str) {
    snapshot_settings().bind(|| insta::assert_snapshot!(name, text));
}

#[test]
fn every_example_with_several_images() {
    let mut dirs: Vec<_> = fs::read_dir(root().join("examples"))
        .expect("examples/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("registries.yaml").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let name = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .replace('-', "_");
        let mut args = vec![
            "--registries".to_string(),
            format!(
                "examples/{}/registries.yaml",
                dir.file_name().expect("name").to_string_lossy()
            ),
        ];
        args.extend(shell_words(
            &fs::read_to_string(dir.join("args")).unwrap_or_default(),
        ));
        let text = explain_all(&root(), &example_images(), &args);
        snapshot(&format!("explain_example_{name}"), &text);
    }
}

/// Write `yaml` as registries.yaml in a fresh directory and explain `images` with `flags`.
fn case(name: &str, yaml: &str, flags: &[&str], images: &[&str]) -> String {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(tmp.path().join("registries.yaml"), yaml).expect("write");
    let mut args = vec!["--registries".to_string(), "registries.yaml".to_string()];
    args.extend(flags.iter().map(|s| s.to_string()));
    let images: Vec<String> = images.iter().map(|s| s.to_string()).collect();
    let text = explain_all(tmp.path(), &images, &args);
    snapshot(
        &format!("explain_{name}"),
        &format!("registries.yaml:\n{yaml}\n{text}"),
    );
    text
}

#[test]
fn docker_hub_spellings() {
    let text = case(
        "docker_hub_spellings",
        r#"mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com"]
configs:
  registry-1.docker.io:
    auth: {username: hubuser, password: hubpass}
"#,
        &[],
        &[
            "index.docker.io/library/nginx:1.25",
            "docker.io/nginx",
            "registry-1.docker.io/library/nginx:latest",
        ],
    );
    assert!(text.contains("[image-names-registry-1-docker-io]: "));
    assert!(!text.contains("hubpass"), "secrets are masked");
}

#[test]
fn wildcard_default_directory() {
    let text = case(
        "wildcard_default",
        r#"mirrors:
  "*":
    endpoint: ["https://mirror.example.com"]
configs:
  ghcr.io:
    auth: {username: gh, password: ghpass}
"#,
        &[],
        &[
            "quay.io/prometheus/node-exporter:v1.8.0",
            "ghcr.io/org/img:1",
            "localhost:5000/app:dev",
        ],
    );
    assert!(text.contains(
        "https://mirror.example.com/v2/prometheus/node-exporter/manifests/v1.8.0?ns=quay.io"
    ));
    assert!(text.contains("?ns=localhost%3A5000"));
    assert!(text.contains("[wildcard-shadowed]: "));
}

#[test]
fn override_paths() {
    let text = case(
        "override_paths",
        r#"mirrors:
  docker.io:
    endpoint:
      - "https://harbor.example.com/v2/dockerhub-proxy"
      - "https://h.example.com/dockerhub"
  registry.example.com:5000:
    endpoint: ["https://h.example.com/v2/proxy/"]
"#,
        &[],
        &["nginx", "registry.example.com:5000/team/app:1.2"],
    );
    assert!(text.contains(
        "https://harbor.example.com/v2/dockerhub-proxy/library/nginx/manifests/latest?ns=docker.io"
    ));
    assert!(text
        .contains("https://h.example.com/dockerhub/library/nginx/manifests/latest?ns=docker.io"));
    // K3s marks /v2/proxy/ as an override path; containerd cleans it to /v2/proxy.
    assert!(text.contains(
        "https://h.example.com/v2/proxy/team/app/manifests/1.2?ns=registry.example.com%3A5000"
    ));
}

#[test]
fn rewrites_expanded_the_go_way() {
    let text = case(
        "rewrites",
        r#"mirrors:
  docker.io:
    endpoint: ["https://m.example.com"]
    rewrite:
      "^library/(.*)": "mirrored/$1"
      "^bitnami/(?P<name>.*)": "vendor/${name}"
      "^(rancher)/(.*)": "$1x/$2"
      "^(myorg)/(.*)": "${1}x/$02"
  registry.example.com:5000:
    endpoint: ["https://r.example.com"]
    rewrite:
      "(.*)": "all/$1"
      "^team/(.*)": "teams/$1"
  quay.io:
    endpoint: ["https://q.example.com"]
    rewrite:
      "^(?!library/)(.*)": "x/$1"
      "o": "0"
"#,
        &[],
        &[
            "nginx",
            "bitnami/redis:7",
            "rancher/mirrored-pause:3.6",
            "myorg/app:1",
            "other/app:1",
            "registry.example.com:5000/team/app:1.2",
            "quay.io/org/foo:1",
        ],
    );
    assert!(text.contains("https://m.example.com/v2/mirrored/nginx/manifests/latest?ns=docker.io"));
    assert!(text.contains("https://m.example.com/v2/vendor/redis/manifests/7?ns=docker.io"));
    // $1x is the group named "1x" (empty): the repository starts with "/", which path.Join drops.
    assert!(text.contains("https://m.example.com/v2/mirrored-pause/manifests/3.6?ns=docker.io"));
    // ${1}x is group 1 then x; $02 is the group named "02" (empty).
    assert!(text.contains("https://m.example.com/v2/myorgx/manifests/1?ns=docker.io"));
    for code in [
        "rewrite-no-match",
        "rewrite-order-nondeterministic",
        "rewrite-invalid-regex",
        "rewrite-invalid-repository",
        "rewrite-multiple-matches",
    ] {
        assert!(text.contains(&format!("[{code}]: ")), "{code}");
    }
}

#[test]
fn rewrite_that_breaks_hosts_toml() {
    let text = case(
        "rewrite_invalid_toml",
        r#"mirrors:
  docker.io:
    endpoint: ["https://m.example.com"]
    rewrite:
      '^library/(.*)\.x$': 'lib/$1'
"#,
        &[],
        &["nginx"],
    );
    assert!(text.contains("[hosts-toml-invalid]: "));
    assert!(
        !text.contains("https://m.example.com/v2"),
        "containerd ignores the mirror"
    );
}

#[test]
fn no_default_endpoint() {
    let text = case(
        "no_default_endpoint",
        r#"mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com"]
  "*":
    endpoint: ["https://wild.example.com"]
  registry.example.com:
    endpoint: ["https://r-mirror.example.com"]
configs:
  registry.example.com:
    tls: {insecure_skip_verify: true}
"#,
        &["--disable-default-registry-endpoint"],
        &[
            "nginx",
            "quay.io/org/app:1",
            "registry.example.com/team/app:1",
        ],
    );
    assert!(text.contains("Last: no default endpoint"));
    assert!(
        text.contains("upstream containerd would still try https://registry-1.docker.io/v2 last")
    );
    // A registry with a configs entry keeps its default endpoint, flag or not.
    assert!(text.contains("https://registry.example.com/v2/team/app/manifests/1"));
}

/// `--containerd`: the same files read by each containerd build (the ways they differ are
/// crate::containerd::builds; explain's unit tests cite the source of each).
#[test]
fn containerd_builds() {
    let yaml = r#"mirrors:
  docker.io:
    endpoint: ["http://cache.example.com:5000"]
    rewrite:
      "^library/(.*)": "mirrored/$1"
configs:
  cache.example.com:5000:
    tls: {ca_file: /etc/ca.pem}
"#;
    let images = ["nginx", "127.0.0.1:5000/app:dev"];
    let fork = case(
        "containerd_k3s",
        yaml,
        &["--disable-default-registry-endpoint", "--containerd", "k3s"],
        &images,
    );
    let upstream = case(
        "containerd_upstream",
        yaml,
        &[
            "--disable-default-registry-endpoint",
            "--containerd",
            "upstream",
        ],
        &images,
    );
    let old = case(
        "containerd_1_6",
        yaml,
        &["--disable-default-registry-endpoint", "--containerd", "1.6"],
        &images,
    );
    assert!(fork.contains(
        "1. HEAD https://cache.example.com:5000/v2/mirrored/nginx/manifests/latest?ns=docker.io"
    ));
    assert!(fork.contains("Last: no default endpoint"));
    assert!(upstream.contains(
        "1. HEAD https://cache.example.com:5000/v2/library/nginx/manifests/latest?ns=docker.io"
    ));
    assert!(
        upstream.contains("2. HEAD https://registry-1.docker.io/v2/library/nginx/manifests/latest")
    );
    assert!(old.contains(
        "1. HEAD http://cache.example.com:5000/v2/library/nginx/manifests/latest?ns=docker.io"
    ));
    assert!(old.contains("1. HEAD http://127.0.0.1:5000/v2/app/manifests/dev"));
    assert!(upstream.contains("1. HEAD https://127.0.0.1:5000/v2/app/manifests/dev"));
    assert!(old.contains("containerd 1.6: stock containerd 1.6.20 (Debian 12's)"));
    assert!(old.contains("plain HTTP, no TLS (its TLS settings are not used)"));
    assert!(old.contains("\"containerd\": \"1.6\""));
}

#[test]
fn embedded_registry() {
    let text = case(
        "embedded_registry",
        r#"mirrors:
  docker.io:
    endpoint: ["https://m.example.com"]
    rewrite:
      "^library/(.*)": "mirrored/$1"
  localhost:5000:
    endpoint: ["http://localhost:5000"]
"#,
        &["--embedded-registry"],
        &["nginx", "localhost:5000/app:dev"],
    );
    // The embedded registry comes first, without the rewrite.
    assert!(text
        .contains("1. HEAD https://127.0.0.1:6443/v2/library/nginx/manifests/latest?ns=docker.io"));
    assert!(text
        .contains("2. HEAD https://m.example.com/v2/mirrored/nginx/manifests/latest?ns=docker.io"));
}

#[test]
fn localhost_and_plain_http() {
    let text = case(
        "localhost_http",
        r#"mirrors:
  localhost:5000:
    endpoint: ["http://localhost:5000"]
  docker.io:
    endpoint: ["127.0.0.1:5001"]
  registry.local:5000:
    endpoint: ["http://registry.local:5000"]
  plain.example.com:
    endpoint: ["http://plain.example.com"]
configs:
  registry.local:5000:
    tls: {insecure_skip_verify: true}
    auth: {username: u, password: p}
  plain.example.com:
    tls: {ca_file: /etc/ca.pem}
"#,
        &[],
        &[
            "localhost:5000/app:dev",
            "nginx",
            "registry.local:5000/app:1",
            "plain.example.com/app:1",
        ],
    );
    assert!(text.contains("http://127.0.0.1:5001/v2/library/nginx/manifests/latest?ns=docker.io"));
    assert!(text.contains("plain HTTP, no TLS"));
    assert!(text.contains("containerd skips verification for localhost"));
    assert!(text.contains("https:443, then http:80"));
    assert!(text.contains("[credentials-over-http]: "));
}

#[test]
fn credentials_keyed_right_and_wrong() {
    let text = case(
        "auth_keys",
        r#"mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com:5000"]
configs:
  docker.io:
    auth: {username: wrong-hub, password: secret1}
  mirror.example.com:
    auth: {username: wrong-port, password: secret2}
  registry-1.docker.io:
    auth: {username: right-hub, password: secret3}
  "*":
    auth: {username: wild, password: secret4}
  registry.example.com:
    auth: {auth: "dckr_pat_not_base64"}
  token.example.com:
    auth: {identity_token: tok}
  user-only.example.com:
    auth: {username: onlyuser}
"#,
        &[],
        &[
            "nginx",
            "registry.example.com/app:1",
            "token.example.com/app:1",
            "user-only.example.com/app:1",
        ],
    );
    for code in [
        "auth-never-used",
        "config-not-for-endpoint",
        "auth-invalid-base64",
        "auth-incomplete",
    ] {
        assert!(text.contains(&format!("[{code}]: ")), "{code}");
    }
    assert!(text.contains("username right-hub, password ********"));
    for s in ["secret1", "secret2", "secret3", "secret4", "\"tok\""] {
        assert!(!text.contains(s), "{s} leaked");
    }
}

#[test]
fn config_toml_that_containerd_cannot_load() {
    let text = case(
        "config_toml_invalid",
        r#"mirrors:
  docker.io:
    endpoint: ["https://mirror.example.com"]
configs:
  "bad'key":
    auth: {username: u, password: p}
"#,
        &[],
        &["nginx"],
    );
    assert!(text.contains("[config-toml-invalid]: "));
    assert!(text.contains("not known: config.toml cannot be loaded"));
}

#[test]
fn show_secrets_unmasks() {
    let r = run(&[
        "explain",
        "nginx",
        "--registries",
        "examples/docker-mirror-auth-ca/registries.yaml",
        "--json",
        "--show-secrets",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        doc["attempts"][0]["credentials"]["secret"],
        "RegistryPassword"
    );
    let r = run(&[
        "explain",
        "nginx",
        "--registries",
        "examples/docker-mirror-auth-ca/registries.yaml",
        "--json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["attempts"][0]["credentials"]["secret"], "********");
}

#[test]
fn invalid_references_exit_2() {
    let mut out = String::new();
    for image in [
        "Nginx",
        "myorg/App:1",
        "nginx:tag@bad",
        "nginx@sha256:abc",
        "https://reg/x",
        "",
    ] {
        let r = run(&[
            "explain",
            image,
            "--registries",
            "examples/production/registries.yaml",
        ]);
        assert_eq!(r.code, 2, "{image}: {}", r.stdout);
        assert!(r.stdout.is_empty());
        assert!(
            r.stderr.contains("failed to parse image reference"),
            "{}",
            r.stderr
        );
        let _ = writeln!(out, "{image:?}: {}", r.stderr.trim_end());
    }
    snapshot("explain_invalid_references", &out);
}

#[test]
fn hosts_dir_from_render_output_agrees_with_rendering() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("containerd");
    let o = out.to_str().expect("utf-8");
    let reg = root().join("examples/production/registries.yaml");
    let reg = reg.to_str().expect("utf-8");
    let r = run(&["render", "--registries", reg, "--output", o]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let certs = out.join("certs.d");
    let config = out.join("config.toml");
    for image in [
        "nginx",
        "registry.internal.example.com/myapp:1.0",
        "quay.io/a/b:1",
    ] {
        let from_yaml = run(&["explain", image, "--registries", reg, "--json"]);
        let from_dir = run(&[
            "explain",
            image,
            "--hosts-dir",
            certs.to_str().expect("utf-8"),
            "--containerd-config",
            config.to_str().expect("utf-8"),
            "--json",
        ]);
        assert_eq!(from_dir.code, 0, "{}", from_dir.stderr);
        let a: serde_json::Value = serde_json::from_str(&from_yaml.stdout).expect("json");
        let b: serde_json::Value = serde_json::from_str(&from_dir.stdout).expect("json");
        // Same requests; only the way directories are named differs.
        let strip = |v: &serde_json::Value| {
            let mut v = v["attempts"].clone();
            for a in v.as_array_mut().expect("array") {
                a["source"] = serde_json::Value::Null;
            }
            v
        };
        assert_eq!(strip(&a), strip(&b), "{image}");
        assert_eq!(a["warnings"], b["warnings"], "{image}");
    }
    let r = run(&[
        "explain",
        "nginx",
        "--hosts-dir",
        certs.to_str().expect("utf-8"),
        "--containerd-config",
        config.to_str().expect("utf-8"),
    ]);
    snapshot("explain_hosts_dir_rendered", &scrub(&r.stdout, tmp.path()));
}

#[test]
fn hosts_dir_hand_written() {
    let tmp = tempfile::tempdir().expect("tmp");
    let certs = tmp.path().join("certs.d");
    let write = |rel: &str, text: &str| {
        let p = certs.join(rel);
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(p, text).expect("write");
    };
    // No server key: K3s's containerd has no fallback. A pull-only host joins only fetches.
    write(
        "docker.io/hosts.toml",
        r#"[host."https://fetch-only.example.com"]
  capabilities = ["pull"]
[host."https://mirror.example.com:8443/v2"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
  [host."https://mirror.example.com:8443/v2".header]
    X-Mirror = "1"
[host."https://push-only.example.com"]
  capabilities = ["push"]
"#,
    );
    // The host_port_ spelling is looked up first; no hosts.toml: certificate files.
    write("registry.example.com_5000_/ca.crt", "");
    write("registry.example.com_5000_/client.cert", "");
    write("registry.example.com_5000_/client.key", "");
    write(
        "registry.example.com:5000/hosts.toml",
        "server = \"https://ignored.example.com\"\n",
    );
    write(
        "_default/hosts.toml",
        "server = \"\"\n[host.\"https://wild.example.com\"]\n  capabilities = [\"pull\", \"resolve\"]\n",
    );
    write(
        "ghcr.io/hosts.toml",
        "[host.\"https://g.example.com\"]\n  capabilities = [\"pull\", \"fly\"]\n",
    );
    // Pull-only hosts and no server: nothing can resolve a tag.
    write(
        "example.net/hosts.toml",
        "[host.\"https://p.example.com\"]\n  capabilities = [\"pull\"]\n",
    );
    // A file where a directory belongs.
    fs::write(certs.join("quay.io"), "").expect("write");
    let config = tmp.path().join("config.toml");
    fs::write(
        &config,
        r#"version = 2
[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "/etc/containerd/certs.d"
[plugins."io.containerd.grpc.v1.cri".registry.configs."mirror.example.com:8443".auth]
  auth = "dXNlcjpwYXNz"
"#,
    )
    .expect("write");
    let args = vec![
        "--hosts-dir".to_string(),
        certs.to_str().expect("utf-8").to_string(),
        "--containerd-config".to_string(),
        config.to_str().expect("utf-8").to_string(),
    ];
    let images: Vec<String> = [
        "nginx",
        "registry.example.com:5000/app:1",
        "example.org/x:1",
        "quay.io/a/b:1",
        "ghcr.io/o/i:1",
        "example.net/a:1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let text = scrub(&explain_all(tmp.path(), &images, &args), tmp.path());
    assert!(text.contains("Last: no default endpoint"));
    assert!(text.contains("not asked to resolve"));
    assert!(text.contains("push-only.example.com"));
    assert!(text.contains("[hosts-dir-unreadable]: "));
    assert!(text.contains("[hosts-toml-invalid]: "));
    assert!(text.contains("auth, decoded to username user, password ********"));
    assert!(text.contains("[no-resolve-hosts]: "));
    snapshot("explain_hosts_dir_hand_written", &text);
    // Without config.toml, credentials are unknown, not "none".
    let r = run_in(
        tmp.path(),
        &[
            "explain",
            "nginx",
            "--hosts-dir",
            certs.to_str().expect("utf-8"),
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("not known: pass --containerd-config"));
    // A config.toml without config_path: containerd reads no hosts directory at all.
    let bare = tmp.path().join("bare.toml");
    fs::write(&bare, "version = 3\n").expect("write");
    let r = run_in(
        tmp.path(),
        &[
            "explain",
            "nginx",
            "--hosts-dir",
            certs.to_str().expect("utf-8"),
            "--containerd-config",
            "bare.toml",
        ],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[config-path-unset]: "), "{}", r.stdout);
    // A directory that does not exist is an I/O error.
    let r = run_in(
        tmp.path(),
        &["explain", "nginx", "--hosts-dir", "nope"],
        None,
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope"), "{}", r.stderr);
}

// --help of every subcommand: cli_surface::help_of_every_subcommand_is_stable.
