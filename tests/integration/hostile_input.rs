//! Files nobody vetted (issue 13): special files and oversized files at every read site, every
//! form of secret grepped for in every output of every subcommand and format, control
//! characters from the input escaped, long source lines cut. Each test names the guarantee of
//! the README's "Safety" section it proves. Every run has a deadline of its own, so a read that
//! blocks fails the test instead of stalling the suite.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::harness::{bin, Run};

/// Runs the binary in `cwd`, killing it and failing the test when it has not finished within
/// 30 seconds (a read that blocks or never ends).
fn run_within(cwd: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn k3s-registries");
    let (mut out, mut err) = (
        child.stdout.take().expect("out"),
        child.stderr.take().expect("err"),
    );
    let t_out = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut b);
        b
    });
    let t_err = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut b);
        b
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("k3s-registries {args:?} did not finish within 30 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = t_out.join().expect("stdout");
    let stderr = t_err.join().expect("stderr");
    assert!(
        stdout.len() + stderr.len() < 1 << 20,
        "{args:?} printed {} bytes",
        stdout.len() + stderr.len()
    );
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A sparse file of `len` bytes: as large as a cap needs, without the disk or the time.
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path)
        .expect("create")
        .set_len(len)
        .expect("set_len");
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// The special files every read site is tried with: a FIFO without a writer (an ordinary
/// open blocks on it), a link to /dev/zero (never ends) and /dev/zero itself.
fn specials(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let fifo = dir.join("fifo");
    mkfifo(&fifo);
    let zero = dir.join("zero");
    std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
    vec![
        (fifo, "a FIFO (named pipe), not a regular file"),
        (zero, "a character device, not a regular file"),
        (
            PathBuf::from("/dev/zero"),
            "a character device, not a regular file",
        ),
    ]
}

const REGISTRIES: &str = "mirrors:\n  r.example.com:\n    endpoint: [\"https://m.example.com\"]\n";

#[test]
fn the_registries_file_is_refused_when_special_or_too_large() {
    let d = tempfile::tempdir().expect("tempdir");
    let big = d.path().join("big.yaml");
    sparse(&big, 256 * 1024 * 1024 + 1);
    let mut cases = specials(d.path());
    cases.push((
        big,
        "larger than 256 MiB, the most read of a registries file",
    ));
    for (path, what) in cases {
        for args in [vec!["render"], vec!["explain", "nginx"], vec!["audit"]] {
            let mut args = args.clone();
            args.extend(["--registries", s(&path)]);
            let r = run_within(d.path(), &args);
            assert_eq!(r.code, 2, "{args:?}: {r:?}");
            assert!(r.stderr.contains(what), "{args:?}: {}", r.stderr);
            assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        }
    }
}

/// A certs.d whose one hosts.toml is `special`.
fn hosts_dir_with(dir: &Path, special: &Path) -> PathBuf {
    let certs = dir.join("certs.d");
    std::fs::create_dir_all(certs.join("r.example.com")).expect("mkdir");
    std::os::unix::fs::symlink(special, certs.join("r.example.com/hosts.toml")).expect("link");
    certs
}

#[test]
fn a_hosts_toml_under_hosts_dir_is_refused_when_special_or_too_large() {
    let d = tempfile::tempdir().expect("tempdir");
    let big = d.path().join("big.toml");
    sparse(&big, 16 * 1024 * 1024 + 1);
    let mut cases = specials(d.path());
    cases.push((big, "larger than 16 MiB, the most read of a hosts.toml"));
    for (i, (path, what)) in cases.into_iter().enumerate() {
        let node = d.path().join(format!("node{i}"));
        let certs = hosts_dir_with(&node, &path);
        for args in [vec!["explain", "r.example.com/app:1"], vec!["audit"]] {
            let mut args = args.clone();
            args.extend(["--hosts-dir", s(&certs)]);
            let r = run_within(d.path(), &args);
            assert_eq!(r.code, 2, "{args:?}: {r:?}");
            assert!(r.stderr.contains(what), "{args:?}: {}", r.stderr);
            assert!(r.stderr.contains("hosts.toml"), "{args:?}: {}", r.stderr);
        }
    }
}

#[test]
fn containerd_config_is_refused_when_special_or_too_large() {
    let d = tempfile::tempdir().expect("tempdir");
    let certs = d.path().join("certs.d");
    std::fs::create_dir(&certs).expect("mkdir");
    let big = d.path().join("big.toml");
    sparse(&big, 256 * 1024 * 1024 + 1);
    let mut cases = specials(d.path());
    cases.push((
        big,
        "larger than 256 MiB, the most read of a containerd config.toml",
    ));
    for (path, what) in cases {
        for args in [vec!["explain", "nginx"], vec!["audit"]] {
            let mut args = args.clone();
            args.extend(["--hosts-dir", s(&certs), "--containerd-config", s(&path)]);
            let r = run_within(d.path(), &args);
            assert_eq!(r.code, 2, "{args:?}: {r:?}");
            assert!(r.stderr.contains(what), "{args:?}: {}", r.stderr);
        }
    }
}

#[test]
fn tls_files_checked_by_audit_are_never_read_when_special_or_too_large() {
    let d = tempfile::tempdir().expect("tempdir");
    let big = d.path().join("big.pem");
    sparse(&big, 16 * 1024 * 1024 + 1);
    let mut cases = specials(d.path());
    cases.push((big, "is larger than 16 MiB (audit does not read it)"));
    for (path, what) in cases {
        let what = what.replace(
            ", not a regular file",
            ", not a regular file (audit does not read it)",
        );
        let yaml = d.path().join("r.yaml");
        std::fs::write(
            &yaml,
            format!(
                "configs:\n  r.example.com:\n    tls:\n      ca_file: {}\n",
                s(&path)
            ),
        )
        .expect("write");
        let r = run_within(
            d.path(),
            &["audit", "--check-files", "--registries", s(&yaml)],
        );
        assert_eq!(r.code, 1, "{r:?}");
        assert!(
            r.stdout.contains("error[tls-file-unusable]"),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains(&what), "{what}: {}", r.stdout);
    }
}

#[test]
fn render_output_never_reads_a_special_or_huge_hosts_toml() {
    let d = tempfile::tempdir().expect("tempdir");
    let yaml = d.path().join("r.yaml");
    std::fs::write(&yaml, REGISTRIES).expect("write");
    let big = d.path().join("big");
    // 1 GiB without a newline: the header check reads the header's length, not a line.
    sparse(&big, 1 << 30);
    let mut cases = specials(d.path());
    cases.push((big, ""));
    for (i, (path, _)) in cases.into_iter().enumerate() {
        let out = d.path().join(format!("out{i}"));
        hosts_dir_with(&out, &path);
        // Another registry's directory holding the special file: not K3s's, kept.
        std::fs::rename(
            out.join("certs.d/r.example.com"),
            out.join("certs.d/other.example.com"),
        )
        .expect("rename");
        for extra in [&["--dry-run"][..], &[]] {
            let mut args = vec!["render", "--registries", s(&yaml), "--output", s(&out)];
            args.extend(extra);
            let r = run_within(d.path(), &args);
            assert_eq!(r.code, 0, "{args:?}: {r:?}");
        }
        assert!(out
            .join("certs.d/other.example.com/hosts.toml")
            .symlink_metadata()
            .is_ok());
        assert!(out.join("certs.d/r.example.com/hosts.toml").is_file());
    }
}

/// Every form a secret takes in registries.yaml, each value unique so it can be grepped for.
const SECRET_FORMS: &str = r#"mirrors:
  docker.io:
    endpoint:
      - "https://TOKENxAAAA1@tok.example.com"
      - "//user:PASSxBBBB2@noscheme.example.com"
      - "user:PASSxCCCC3@bare.example.com:5000"
  "https://user:PASSxDDDD4@mirrorname.example.com":
    endpoint: ["https://m.example.com"]
configs:
  "https://cfg:PASSxEEEE5@cfg.example.com":
    auth:
      username: cfg
      password: PASSxFFFF6
  tok.example.com:
    auth:
      auth: dXNlcjpQQVNTeEdHR0c3
  noscheme.example.com:
    auth:
      identity_token: TOKENxHHHH8
    Pasword: PASSxIIII9
"#;

/// The secrets of [`SECRET_FORMS`] (the `auth` string decodes to `user:PASSxGGGG7`).
const SECRETS: &[&str] = &[
    "TOKENxAAAA1",
    "PASSxBBBB2",
    "PASSxCCCC3",
    "PASSxDDDD4",
    "PASSxEEEE5",
    "PASSxFFFF6",
    "dXNlcjpQQVNTeEdHR0c3",
    "PASSxGGGG7",
    "TOKENxHHHH8",
    "PASSxIIII9",
];

fn assert_no_secret(what: &str, r: &Run, secrets: &[&str]) {
    for sec in secrets {
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            // yaml.v2 quotes the first seven characters of a scalar it cannot use.
            let prefix: String = sec.chars().take(7).collect();
            assert!(
                !text.contains(&prefix),
                "{what}: {sec} ({prefix}) on {stream}:\n{text}"
            );
        }
    }
}

/// Every subcommand, format and mode that prints, over a registries file.
fn every_output(dir: &Path, yaml: &Path) -> Vec<(String, Run)> {
    let y = s(yaml);
    let out = dir.join("out");
    let mut runs = Vec::new();
    let mut go = |args: Vec<&str>| {
        let r = run_within(dir, &args);
        runs.push((args.join(" "), r));
    };
    go(vec!["render", "--registries", y]);
    go(vec!["render", "--registries", y, "--config-version", "2"]);
    go(vec![
        "render",
        "--registries",
        y,
        "--output",
        s(&out),
        "--dry-run",
    ]);
    // The files as JSON (paths come from `configs` keys): preview, plan and write.
    go(vec!["render", "--registries", y, "--format", "json"]);
    go(vec![
        "render",
        "--registries",
        y,
        "--output",
        s(&out),
        "--dry-run",
        "--format",
        "json",
    ]);
    go(vec!["render", "--registries", y, "--output", s(&out)]);
    go(vec![
        "render",
        "--registries",
        y,
        "--output",
        s(&out),
        "--dry-run",
    ]);
    for image in [
        "nginx",
        "tok.example.com/a:1",
        "cfg.example.com/a:1",
        "noscheme.example.com/a:1",
        "mirrorname.example.com/a:1",
    ] {
        go(vec!["explain", image, "--registries", y]);
        go(vec!["explain", image, "--registries", y, "--json"]);
        go(vec![
            "explain",
            image,
            "--hosts-dir",
            &format!("{}/certs.d", s(&out)),
        ]);
        go(vec![
            "explain",
            image,
            "--hosts-dir",
            &format!("{}/certs.d", s(&out)),
            "--json",
        ]);
    }
    for format in ["text", "json", "sarif"] {
        go(vec!["audit", "--registries", y, "--format", format]);
        go(vec![
            "audit",
            "--registries",
            y,
            "--format",
            format,
            "--hosts-dir",
            &format!("{}/certs.d", s(&out)),
            "--containerd-config",
            &format!("{}/config.toml", s(&out)),
        ]);
    }
    runs
}

#[test]
fn no_secret_is_printed_by_any_subcommand_or_format() {
    let d = tempfile::tempdir().expect("tempdir");
    let yaml = d.path().join("registries.yaml");
    std::fs::write(&yaml, SECRET_FORMS).expect("write");
    let runs = every_output(d.path(), &yaml);
    for (what, r) in &runs {
        assert!(r.code == 0 || r.code == 1, "{what}: {r:?}");
        assert_no_secret(what, r, SECRETS);
    }
    // Unless asked: the preview shows them all with --show-secrets.
    let r = run_within(
        d.path(),
        &["render", "--registries", s(&yaml), "--show-secrets"],
    );
    for sec in [
        "TOKENxAAAA1",
        "PASSxBBBB2",
        "PASSxCCCC3",
        "PASSxEEEE5",
        "PASSxFFFF6",
    ] {
        assert!(r.stdout.contains(sec), "{sec}: {}", r.stdout);
    }
}

/// The human outputs of the secret forms, as they are printed.
#[test]
fn secret_forms_masked_snapshots() {
    let d = tempfile::tempdir().expect("tempdir");
    let yaml = d.path().join("registries.yaml");
    std::fs::write(&yaml, SECRET_FORMS).expect("write");
    let dir = s(d.path()).to_string();
    let scrub = |t: &str| t.replace(&dir, "[TMP]");
    let preview = run_within(d.path(), &["render", "--registries", "registries.yaml"]);
    super::harness::snapshot_settings()
        .bind(|| insta::assert_snapshot!("hostile_secrets_preview", scrub(&preview.stdout)));
    let explain = run_within(
        d.path(),
        &[
            "explain",
            "tok.example.com/a:1",
            "--registries",
            "registries.yaml",
        ],
    );
    super::harness::snapshot_settings()
        .bind(|| insta::assert_snapshot!("hostile_secrets_explain", scrub(&explain.stdout)));
    let audit = run_within(d.path(), &["audit", "--registries", "registries.yaml"]);
    super::harness::snapshot_settings()
        .bind(|| insta::assert_snapshot!("hostile_secrets_audit", scrub(&audit.stdout)));
    let dry = run_within(
        d.path(),
        &[
            "render",
            "--registries",
            "registries.yaml",
            "--output",
            "out",
            "--dry-run",
        ],
    );
    super::harness::snapshot_settings()
        .bind(|| insta::assert_snapshot!("hostile_secrets_dry_run", scrub(&dry.stdout)));
}

/// Secrets in files that K3s refuses: a tag that does not decode, an `auth` string where a
/// table belongs; quoted by yaml.v2's message and by audit's source line.
#[test]
fn secrets_in_refused_files_are_masked_in_errors_and_snippets() {
    let d = tempfile::tempdir().expect("tempdir");
    for (i, (yaml, secret)) in [
        (
            "configs:\n  r.example.com:\n    auth:\n      password: !!int \"HUNTERxJJJJ10\"\n",
            "HUNTERxJJJJ10",
        ),
        (
            "configs:\n  r.example.com:\n    auth:\n      password: !!binary \"HUNTERxKKKK11\"\n",
            "HUNTERxKKKK11",
        ),
        (
            "configs:\n  r.example.com:\n    auth: \"dXNlcjpTRUNSRVRMTDEy\"\n",
            "dXNlcjpTRUNSRVRMTDEy",
        ),
        (
            "x: &s !!float HUNTERxMMMM13\nconfigs:\n  r.example.com:\n    auth:\n      password: *s\n",
            "HUNTERxMMMM13",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let path = d.path().join(format!("r{i}.yaml"));
        std::fs::write(&path, yaml).expect("write");
        let p = s(&path);
        for args in [
            vec!["render", "--registries", p],
            vec!["explain", "nginx", "--registries", p],
            vec!["explain", "nginx", "--registries", p, "--json"],
            vec!["audit", "--registries", p],
            vec!["audit", "--registries", p, "--format", "json"],
            vec!["audit", "--registries", p, "--format", "sarif"],
        ] {
            let r = run_within(d.path(), &args);
            assert!(r.code == 2 || r.code == 1, "{args:?}: {r:?}");
            assert_no_secret(&format!("{args:?}"), &r, &[secret]);
        }
    }
}

/// Control characters from the input (ESC, BEL, NUL...) reach the terminal escaped, in every
/// message, snippet and K3s-style log line.
#[test]
fn control_characters_from_the_input_are_escaped() {
    let d = tempfile::tempdir().expect("tempdir");
    let yaml = d.path().join("r.yaml");
    std::fs::write(
        &yaml,
        "mirrors:\n  \"evil\\e[31m\\a.example.com\":\n    endpoint: [\"https://x\\e]0;pwned\\a.example.com\", \"ftp://\\e[2J\"]\n    rewrite: {\"\\e[1m(.*)\": \"$1\"}\n  r.example.com:\n    endpoints: [\"\\e[5mtypo\"]\n",
    )
    .expect("write");
    let out = d.path().join("out");
    // A directory K3s wrote earlier, with ESC in its name: its removal line is escaped.
    let old = out.join("certs.d/old\u{1b}[31m.example.com");
    std::fs::create_dir_all(&old).expect("mkdir");
    std::fs::write(
        old.join("hosts.toml"),
        "# File generated by k3s. DO NOT EDIT.\n",
    )
    .expect("write");
    let y = s(&yaml);
    let r = run_within(
        d.path(),
        &[
            "render",
            "--registries",
            y,
            "--output",
            s(&out),
            "--dry-run",
        ],
    );
    assert!(
        r.stdout.contains("old\\u{1b}[31m.example.com"),
        "{}",
        r.stdout
    );
    for args in [
        vec![
            "render",
            "--registries",
            y,
            "--output",
            s(&out),
            "--dry-run",
        ],
        vec!["render", "--registries", y, "--output", s(&out)],
        vec!["explain", "evil\u{1b}[31m.example.com/a", "--registries", y],
        vec!["explain", "nginx", "--registries", y],
        vec!["audit", "--registries", y],
        vec!["audit", "--registries", y, "--format", "json"],
    ] {
        let r = run_within(d.path(), &args);
        for (stream, text) in [("stdout", &r.stdout), ("stderr", &r.stderr)] {
            assert!(
                !text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{args:?}: a control character on {stream}: {text:?}"
            );
        }
    }
}

/// A source line of 1 MB prints a snippet of the width around the column, not the line.
#[test]
fn long_source_lines_are_cut_around_the_column() {
    let d = tempfile::tempdir().expect("tempdir");
    let yaml = d.path().join("r.yaml");
    let pad = "x".repeat(1_000_000);
    std::fs::write(
        &yaml,
        format!("mirrors:\n  r.example.com: {{endpoint: [\"https://{pad}.example.com\"], endpoints: [a]}}\n"),
    )
    .expect("write");
    let r = run_within(d.path(), &["audit", "--registries", s(&yaml)]);
    assert_eq!(r.code, 1, "{r:?}");
    assert!(r.stdout.len() < 4096, "{} bytes", r.stdout.len());
    let line = r
        .stdout
        .lines()
        .find(|l| l.starts_with("2 | "))
        .expect("a snippet");
    assert!(line.chars().count() < 140 && line.contains("..."), "{line}");
}

/// A fuzz target's body.
type FuzzBody = fn(&[u8]);

/// The inputs the fuzzers found (fuzz/corpus/<target>/), replayed through the targets' bodies
/// on every `cargo test`: each was once new coverage, and some once a crash.
#[test]
fn fuzz_corpus_replays() {
    let root = super::harness::root().join("fuzz/corpus");
    let targets: &[(&str, FuzzBody)] = &[
        ("yaml_loader", k3s_registries::fuzzing::yaml_loader),
        ("url", k3s_registries::fuzzing::url),
        ("quote", k3s_registries::fuzzing::quote),
        ("hosts_toml", k3s_registries::fuzzing::hosts_toml),
        ("config_toml", k3s_registries::fuzzing::config_toml),
        ("image_ref", k3s_registries::fuzzing::image_ref),
        ("render", k3s_registries::fuzzing::render),
        ("secrets", k3s_registries::fuzzing::secrets),
    ];
    let mut total = 0;
    for (name, body) in targets {
        let dir = root.join(name);
        let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.expect("entry").path())
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no corpus for {name}");
        for p in inputs {
            let data = std::fs::read(&p).expect("read");
            let r = std::panic::catch_unwind(|| body(&data));
            assert!(r.is_ok(), "{name}: {} fails", p.display());
            total += 1;
        }
    }
    assert!(total > 0);
}
