//! On a node, as an operator meets it: K3s's config file and drop-ins, its service and version,
//! user templates, rootless and data-dir paths, an external runtime, and `diff`. Each test builds
//! a fake node (`/etc/rancher/k3s`, a unit, a data dir) in a temporary directory and runs the real
//! binary with `--root` on it.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::harness::{bin, empty_root, read_tree, run, run_in, scrub, snapshot_settings, Run};

const REGISTRIES: &str = "mirrors:
  docker.io:
    endpoint:
      - https://mirror.example.com
configs:
  mirror.example.com:
    auth:
      username: puller
      password: s3cret-password
";

/// A fake node: files written under a temporary root.
struct Node {
    tmp: tempfile::TempDir,
}

impl Node {
    fn new() -> Node {
        Node {
            tmp: tempfile::tempdir().expect("tmp"),
        }
    }

    fn root(&self) -> &Path {
        self.tmp.path()
    }

    fn root_str(&self) -> &str {
        self.root().to_str().expect("utf-8")
    }

    /// Write `text` at node path `path`.
    fn file(&self, path: &str, text: &str) -> &Node {
        let p = self.root().join(path.trim_start_matches('/'));
        fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        fs::write(&p, text).expect("write");
        self
    }

    /// A stand-in `k3s` binary at node path `path` whose `--version` names `version`.
    fn k3s_binary(&self, path: &str, version: &str) -> &Node {
        self.file(
            path,
            &format!("#!/bin/sh\necho \"k3s version {version} (48ffa7b6)\"\necho \"go version go1.24.11\"\n"),
        );
        let p = self.root().join(path.trim_start_matches('/'));
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).expect("chmod");
        self
    }

    /// Run with `--root` on this node and `args`.
    fn run(&self, args: &[&str]) -> Run {
        let mut argv: Vec<&str> = args.to_vec();
        argv.extend(["--root", self.root_str()]);
        run_in(self.root(), &argv, None)
    }

    /// The containerd directory of the default data dir, on the machine.
    fn containerd_dir(&self) -> PathBuf {
        self.root().join("var/lib/rancher/k3s/agent/etc/containerd")
    }

    fn scrub(&self, text: &str) -> String {
        scrub(text, self.root())
    }
}

/// What `render` previews for `registries` with only our own flags (no node).
fn render_with_flags(registries: &str, flags: &[&str]) -> Run {
    let tmp = tempfile::tempdir().expect("tmp");
    let reg = tmp.path().join("registries.yaml");
    fs::write(&reg, registries).expect("write");
    let mut argv = vec!["render", "--registries", reg.to_str().expect("utf-8")];
    argv.extend(flags);
    let empty = empty_root();
    argv.extend(["--root", empty.to_str().expect("utf-8")]);
    run_in(tmp.path(), &argv, None)
}

#[test]
fn no_config_file_reads_registries_yaml_with_k3s_defaults() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES);
    let r = node.run(&["render"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, render_with_flags(REGISTRIES, &[]).stdout);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_no_config_file_stderr", node.scrub(&r.stderr)));
}

#[test]
fn config_file_settings_are_k3s_flags() {
    let node = Node::new();
    node.file("/opt/k3s/registries.yaml", REGISTRIES).file(
        "/etc/rancher/k3s/config.yaml",
        "write-kubeconfig-mode: \"0644\"
private-registry: /opt/k3s/registries.yaml
disable-default-registry-endpoint: true
embedded-registry: true
data-dir: /srv/k3s
pause-image: rancher/mirrored-pause:3.9
snapshotter: native
selinux: true
system-default-registry: registry.example.com
",
    );
    let r = node.run(&["render"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let flags = render_with_flags(
        REGISTRIES,
        &[
            "--disable-default-registry-endpoint",
            "--embedded-registry",
            "--data-dir",
            "/srv/k3s",
            "--pause-image",
            "rancher/mirrored-pause:3.9",
            "--snapshotter",
            "native",
            "--selinux",
            "--system-default-registry",
            "registry.example.com",
        ],
    );
    assert_eq!(flags.code, 0, "{}", flags.stderr);
    assert_eq!(
        r.stdout, flags.stdout,
        "config.yaml must act as K3s's flags do"
    );
    assert!(r
        .stdout
        .contains("sandbox = \"registry.example.com/rancher/mirrored-pause:3.9\""));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("node_config_file_settings_stderr", node.scrub(&r.stderr))
    });
}

#[test]
fn drop_ins_override_and_append_in_k3s_order() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file("/etc/rancher/k3s/other.yaml", "mirrors: {}\n")
        .file(
            "/etc/rancher/k3s/config.yaml",
            "snapshotter: native\nselinux: true\nprivate-registry: /etc/rancher/k3s/other.yaml\n",
        )
        // Read in name order: 10 before 9; .yml and any case count, .txt and .bak do not.
        .file(
            "/etc/rancher/k3s/config.yaml.d/10-a.yaml",
            "snapshotter: stargz\n",
        )
        .file(
            "/etc/rancher/k3s/config.yaml.d/9-b.YML",
            "snapshotter: fuse-overlayfs\n",
        )
        .file(
            "/etc/rancher/k3s/config.yaml.d/20-c.txt",
            "snapshotter: zfs\n",
        )
        .file(
            "/etc/rancher/k3s/config.yaml.d/30-d.yaml.bak",
            "snapshotter: btrfs\n",
        )
        .file(
            "/etc/rancher/k3s/config.yaml.d/40-e.yml",
            "private-registry: /etc/rancher/k3s/registries.yaml\nselinux: false\n",
        );
    let r = node.run(&["render"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("snapshotter = \"fuse-overlayfs\""),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("enable_selinux = false"));
    assert!(r.stdout.contains("mirror.example.com"));
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_drop_ins_stderr", node.scrub(&r.stderr)));
}

#[test]
fn our_flags_override_the_config_file_and_no_k3s_config_ignores_it() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file("/etc/rancher/k3s/config.yaml", "snapshotter: native\n");
    let r = node.run(&["render", "--snapshotter", "stargz"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("snapshotter = \"stargz\""));
    assert!(
        r.stderr.contains("snapshotter=stargz (our command line)"),
        "{}",
        r.stderr
    );
    let r = node.run(&["render", "--no-k3s-config"]);
    assert!(r.stdout.contains("snapshotter = \"overlayfs\""));
    // --k3s-config names another file, read with its own drop-ins.
    node.file("/srv/k3s.yaml", "snapshotter: zfs\n")
        .file("/srv/k3s.yaml.d/1.yaml", "selinux: true\n");
    let other = node.root().join("srv/k3s.yaml");
    let r = node.run(&["render", "--k3s-config", other.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("snapshotter = \"zfs\""));
    assert!(r.stdout.contains("enable_selinux = true"));
}

#[test]
fn a_config_file_k3s_refuses_is_an_error_with_its_position() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file(
            "/etc/rancher/k3s/config.yaml",
            "snapshotter: native\nselinux: [\n",
        );
    let r = node.run(&["render"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_config_file_refused", node.scrub(&r.stderr)));
}

#[test]
fn version_from_the_service_binary_then_the_data_dir() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file(
            "/etc/systemd/system/k3s-agent.service",
            "[Service]\nExecStart=/usr/local/bin/k3s \\\n    agent \\\n    '--snapshotter=native'\n",
        )
        .k3s_binary("/usr/local/bin/k3s", "v1.34.3+k3s1")
        .k3s_binary("/var/lib/rancher/k3s/data/current/bin/k3s", "v1.35.6+k3s1");
    let r = node.run(&["render"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    // v1.34.3: no imports line, pause 3.6.
    assert!(!r.stdout.contains("imports ="));
    assert!(r.stdout.contains("rancher/mirrored-pause:3.6\""));
    assert!(r.stdout.contains("snapshotter = \"native\""));
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_version_from_service", node.scrub(&r.stderr)));
    // Without the service's binary, the release last unpacked into the data dir.
    fs::remove_file(node.root().join("usr/local/bin/k3s")).expect("rm");
    let r = node.run(&["render"]);
    assert!(
        r.stderr
            .contains("K3s v1.35.6+k3s1 (/var/lib/rancher/k3s/data/current/bin/k3s --version"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.contains("imports = "));
    // --k3s-version wins.
    let r = node.run(&["render", "--k3s-version", "1.33.4"]);
    assert!(
        r.stderr.contains("K3s v1.33.4 (--k3s-version)"),
        "{}",
        r.stderr
    );
}

#[test]
fn rootless_moves_the_data_dir_and_etc_rancher_under_home() {
    let node = Node::new();
    let home = node.root().join("home/u");
    node.file(
        "/home/u/.config/systemd/user/k3s-rootless.service",
        "[Service]\nExecStart=/usr/local/bin/k3s server --rootless --snapshotter=fuse-overlayfs\n",
    )
    // Inside K3s's namespace /etc/rancher is $HOME/.rancher/k3s/etc/rancher.
    .file(
        "/home/u/.rancher/k3s/etc/rancher/k3s/registries.yaml",
        REGISTRIES,
    );
    let out = std::process::Command::new(bin())
        .args(["render", "--root", node.root_str()])
        .env("NO_COLOR", "1")
        .env("HOME", "/home/u")
        .current_dir(&home)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("root = \"/home/u/.rancher/k3s/agent/containerd\""),
        "{stdout}"
    );
    assert!(stdout.contains("SystemdCgroup = false"));
    assert!(
        stdout.contains("mirror.example.com"),
        "registries.yaml not found: {stderr}"
    );
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_rootless_stderr", node.scrub(&stderr)));
}

#[test]
fn an_external_runtime_ignores_registries_yaml() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file(
            "/etc/rancher/k3s/config.yaml.d/runtime.yaml",
            "container-runtime-endpoint: unix:///run/containerd/containerd.sock\n",
        );
    let r = node.run(&["diff"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    snapshot_settings()
        .bind(|| insta::assert_snapshot!("node_external_runtime_diff", node.scrub(&r.stderr)));
    let r = node.run(&["audit"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("error[external-container-runtime]"),
        "{}",
        r.stdout
    );
}

#[test]
fn user_templates_are_named_and_their_config_toml_not_compared() {
    for (name, text) in [
        ("config-v3.toml.tmpl", "{{ template \"base\" . }}\n[plugins.'io.containerd.gc.v1.scheduler']\n  pause_threshold = 0.04\n"),
        ("config.toml.tmpl", "version = 2\n{{ template \"base\" . }}\n"),
    ] {
        let node = Node::new();
        node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES).file(
            &format!("/var/lib/rancher/k3s/agent/etc/containerd/{name}"),
            text,
        );
        let r = node.run(&["render"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(
            r.stderr.contains("K3s renders config.toml from the user template"),
            "{name}: {}",
            r.stderr
        );
        let r = node.run(&["diff", "--json"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
        assert_eq!(json["not_compared"], serde_json::json!(["config.toml"]), "{name}");
        assert!(!json["added"].to_string().contains("config.toml"), "{name}");
    }
}

#[test]
fn diff_of_a_current_tree_is_empty_and_exit_0() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES)
        .file("/etc/rancher/k3s/config.yaml", "embedded-registry: true\n");
    let dir = node.containerd_dir();
    // A node's data dir exists; render --output creates only the last component.
    std::fs::create_dir_all(dir.parent().expect("parent")).expect("mkdir");
    let w = node.run(&["render", "--output", dir.to_str().expect("utf-8")]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let before = read_tree(&dir);
    let r = node.run(&["diff"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty());
    assert!(
        r.stderr.contains("a restart of K3s would change nothing"),
        "{}",
        r.stderr
    );
    assert_eq!(before, read_tree(&dir), "diff must not touch the tree");
}

#[test]
fn diff_of_a_missing_tree_adds_every_file() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES);
    let r = node.run(&["diff", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(
        json["added"],
        serde_json::json!([
            "certs.d/docker.io/hosts.toml",
            "certs.d/mirror.example.com/hosts.toml",
            "config.toml"
        ])
    );
    assert!(
        !node.containerd_dir().exists(),
        "diff created the directory"
    );
}

/// The README's node: registries.yaml edited after K3s last started (docker.io moved from
/// mirror-a to mirror-b, old.example.com dropped), and a host directory a person wrote.
const EDITED: &str = "tests/fixtures/node/edited";

#[test]
fn diff_of_an_edited_node() {
    let r = run(&["diff", "--root", EDITED]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(!r.stdout.contains("new-password") && !r.stdout.contains("old-password"));
    // The person's host directory is never shown as removed.
    assert!(!r.stdout.contains("mine.example.com"));
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("diff_edited_stdout", r.stdout);
        insta::assert_snapshot!("diff_edited_stderr", r.stderr);
    });
    let j = run(&["diff", "--root", EDITED, "--json"]);
    assert_eq!(j.code, 1);
    snapshot_settings().bind(|| insta::assert_snapshot!("diff_edited_json", j.stdout));
    let s = run(&["diff", "--root", EDITED, "--show-secrets"]);
    assert!(s.stdout.contains("-  password = \"old-password\""));
    assert!(s.stdout.contains("+  password = \"new-password\""));
}

#[test]
fn diff_names_drop_ins_a_restart_keeps() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", REGISTRIES).file(
        "/var/lib/rancher/k3s/agent/etc/containerd/config-v3.toml.d/10-auth.toml",
        "[plugins.'io.containerd.cri.v1.images'.registry.configs.'r.example.com'.auth]\n  username = \"u\"\n  password = \"hidden-pass\"\n",
    );
    let r = node.run(&["diff", "--json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(
        json["imports"].to_string().contains("10-auth.toml"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hidden-pass"));
    let r = node.run(&["diff"]);
    assert!(r.stderr.contains("10-auth.toml"), "{}", r.stderr);
}

// diff --help: cli_surface::help_of_every_subcommand_is_stable.

#[test]
fn the_default_registries_file_is_named_when_k3s_reads_another() {
    let node = Node::new();
    node.file("/etc/rancher/k3s/registries.yaml", "mirrors: {}\n")
        .file("/opt/registries.yaml", REGISTRIES)
        .file(
            "/etc/rancher/k3s/config.yaml",
            "private-registry: /opt/registries.yaml\n",
        );
    let r = node.run(&["render"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("mirror.example.com"));
    assert!(
        node.scrub(&r.stderr).contains(
            "note: [TMP]/etc/rancher/k3s/registries.yaml is not the file K3s reads \
             (private-registry=/opt/registries.yaml, [TMP]/etc/rancher/k3s/config.yaml:1): \
             edits to it change nothing"
        ),
        "{}",
        r.stderr
    );
}
