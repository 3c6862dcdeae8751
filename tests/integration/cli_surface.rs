//! The command line as a user meets it (issue 16): `--help` of every subcommand, the man pages and
//! completions generated from the same clap definitions, `--format text|json` everywhere, JSON
//! errors, `--color` and its environment, broken pipes, flag conflicts, `--output` mistakes, and
//! the README naming exactly the flags that exist.

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use clap::CommandFactory as _;
use k3s_registries::cli::Cli;

use crate::harness::{bin, read_tree, root, run, run_in, snapshot_settings};

const EXAMPLE: &str = "examples/docker-mirror-auth-ca/registries.yaml";
/// An example whose audit has findings (colour shows in them).
const FINDINGS: &str = "examples/production-literal-typo-keys/registries.yaml";

/// The visible subcommands, as clap defines them.
fn subcommands() -> Vec<String> {
    Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect()
}

/// The subcommands that report something (everything but the generators) take --format.
fn reporting_subcommands() -> Vec<String> {
    subcommands()
        .into_iter()
        .filter(|s| s != "completions" && s != "man")
        .collect()
}

/// Every long flag (and visible alias) of a command and its subcommands, with `--`.
fn long_flags(cmd: &clap::Command, out: &mut BTreeSet<String>) {
    flags_of(cmd, out, true);
}

fn flags_of(cmd: &clap::Command, out: &mut BTreeSet<String>, aliases: bool) {
    for a in cmd.get_arguments() {
        if let Some(l) = a.get_long() {
            out.insert(format!("--{l}"));
        }
        if aliases {
            for alias in a.get_visible_aliases().into_iter().flatten() {
                out.insert(format!("--{alias}"));
            }
        }
    }
    for s in cmd.get_subcommands() {
        flags_of(s, out, aliases);
    }
}

/// Run with a chosen environment (the harness always sets NO_COLOR).
fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, Vec<u8>) {
    let mut c = Command::new(bin());
    c.args(args)
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().expect("run");
    (out.status.code().unwrap_or(-1), out.stdout)
}

#[test]
fn help_of_every_subcommand_is_stable() {
    let r = run(&["--help"]);
    assert_eq!(r.code, 0);
    snapshot_settings().bind(|| insta::assert_snapshot!("help", r.stdout));
    for sub in subcommands() {
        let r = run(&[&sub, "--help"]);
        assert_eq!(r.code, 0, "{sub}: {}", r.stderr);
        snapshot_settings().bind(|| insta::assert_snapshot!(format!("help_{sub}"), r.stdout));
    }
}

/// The NAME and SYNOPSIS of every man page, and one page per subcommand.
#[test]
fn man_pages_name_and_synopsis() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("man");
    let r = run(&["man", "--dir", dir.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pages = read_tree(&dir);
    let mut expected: Vec<String> = vec!["k3s-registries.1".to_string()];
    expected.extend(
        subcommands()
            .iter()
            .map(|s| format!("k3s-registries-{s}.1")),
    );
    expected.sort();
    assert_eq!(pages.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(
        r.stdout.lines().count(),
        expected.len(),
        "man --dir lists what it wrote: {}",
        r.stdout
    );
    let mut shown = String::new();
    for (name, roff) in &pages {
        let roff = String::from_utf8_lossy(roff);
        let start = roff.find(".SH NAME").expect("NAME");
        let end = roff.find(".SH DESCRIPTION").expect("DESCRIPTION");
        shown += &format!("== {name}\n{}", &roff[start..end]);
    }
    snapshot_settings().bind(|| insta::assert_snapshot!("man_name_synopsis", shown));
    // `man` alone prints k3s-registries(1), the same page.
    let r = run(&["man"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stdout.as_bytes(), &pages["k3s-registries.1"][..]);
}

/// What ships is what the clap definitions say: each page names every flag of its command, so a
/// flag added to src/cli.rs is in the man pages and completions without anyone regenerating
/// anything (tests/package/run checks the installed pages equal the installed binary's).
#[test]
fn man_pages_and_completions_cover_every_flag() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("man");
    let r = run(&["man", "--dir", dir.to_str().expect("utf-8")]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let root_cmd = Cli::command();
    let scripts: Vec<(String, String)> = ["bash", "zsh", "fish"]
        .iter()
        .map(|sh| {
            let r = run(&["completions", sh]);
            assert_eq!(r.code, 0, "{sh}: {}", r.stderr);
            (sh.to_string(), r.stdout)
        })
        .collect();
    for sub in root_cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = sub.get_name();
        let page =
            std::fs::read_to_string(dir.join(format!("k3s-registries-{name}.1"))).expect("page");
        // clap_mangen does not list visible aliases (--private-registry); the completions do.
        let mut flags = BTreeSet::new();
        flags_of(sub, &mut flags, false);
        for flag in &flags {
            // roff escapes the hyphens: \-\-flag\-name.
            let roff = flag.replace('-', "\\-");
            assert!(page.contains(&roff), "{name}'s man page lacks {flag}");
            for (sh, script) in &scripts {
                let bare = flag.trim_start_matches('-');
                assert!(script.contains(bare), "{sh} completion lacks {name} {flag}");
            }
        }
        for (sh, script) in &scripts {
            assert!(script.contains(name), "{sh} completion lacks {name}");
        }
    }
    assert!(scripts[0].1.contains("complete -F _k3s__registries"));
    assert!(scripts[1].1.starts_with("#compdef k3s-registries"));
    assert!(scripts[2].1.contains("complete -c k3s-registries"));
    let r = run(&["completions", "powershell"]);
    assert_eq!(r.code, 2);
}

#[test]
fn every_reporting_subcommand_takes_format_text_and_json() {
    let reg = root().join(EXAMPLE);
    let reg = reg.to_str().expect("utf-8");
    for sub in reporting_subcommands() {
        let mut args: Vec<&str> = vec![&sub];
        if sub == "explain" {
            args.push("nginx");
        }
        if sub != "versions" {
            args.extend(["--registries", reg]);
        }
        for (format, json) in [("text", false), ("json", true)] {
            let mut a = args.clone();
            a.extend(["--format", format]);
            let r = run(&a);
            assert!(r.code == 0 || r.code == 1, "{a:?}: {}", r.stderr);
            let parsed = serde_json::from_str::<serde_json::Value>(&r.stdout);
            assert_eq!(parsed.is_ok(), json, "{a:?}: {}", r.stdout);
            if let Ok(doc) = parsed {
                assert_eq!(doc["schema_version"], 1, "{a:?}");
            }
        }
    }
    // audit also takes sarif; explain keeps --json as an alias.
    let r = run(&["audit", "--registries", reg, "--format", "sarif"]);
    assert!(r.stdout.contains("\"version\": \"2.1.0\""), "{}", r.stdout);
    let alias = run(&["explain", "nginx", "--registries", reg, "--json"]);
    let long = run(&["explain", "nginx", "--registries", reg, "--format", "json"]);
    assert_eq!(alias.stdout, long.stdout);
    assert_eq!(
        run(&["explain", "nginx", "--json", "--format", "text"]).code,
        2
    );
}

#[test]
fn versions_json_is_stable() {
    let r = run(&["versions", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert_eq!(doc["tool"]["version"], env!("CARGO_PKG_VERSION"));
    doc["tool"]["version"] = "[version]".into();
    snapshot_settings().bind(|| insta::assert_json_snapshot!("versions_json", doc));
}

/// render --format json lists the files (path, mode, size, sha256), never their contents.
#[test]
fn render_json_lists_files_without_secrets() {
    let r = run(&["render", "--registries", EXAMPLE, "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    snapshot_settings().bind(|| insta::assert_snapshot!("render_json_preview", r.stdout));
    let secrets = std::fs::read_to_string(root().join(EXAMPLE)).expect("example");
    assert!(secrets.contains("password:"), "the example has secrets");
    assert!(!r.stdout.contains("password"), "{}", r.stdout);
    // Each sha256 and size is the rendered file's.
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let reg = root().join(EXAMPLE);
    let reg = reg.to_str().expect("utf-8");
    let o = out.to_str().expect("utf-8");
    let dry = run(&[
        "render",
        "--registries",
        reg,
        "--output",
        o,
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(!out.exists(), "--dry-run wrote");
    let dry: serde_json::Value = serde_json::from_str(&dry.stdout).expect("json");
    assert_eq!(dry["dry_run"], true);
    assert!(dry["files"]
        .as_array()
        .expect("files")
        .iter()
        .all(|f| f["status"] == "would_write"));
    let w = run(&[
        "render",
        "--registries",
        reg,
        "--output",
        o,
        "--format",
        "json",
    ]);
    assert_eq!(w.code, 0, "{}", w.stderr);
    let doc: serde_json::Value = serde_json::from_str(&w.stdout).expect("json");
    let preview: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let tree = read_tree(&out);
    let files = doc["files"].as_array().expect("files");
    assert_eq!(files.len(), tree.len());
    for f in files {
        assert_eq!(f["status"], "written");
        let path = f["path"].as_str().expect("path");
        let p = preview["files"]
            .as_array()
            .expect("files")
            .iter()
            .find(|p| p["path"] == path)
            .expect("in the preview");
        assert_eq!(f["sha256"], p["sha256"]);
        assert_eq!(f["mode"], p["mode"]);
        let bytes = &tree[path];
        assert_eq!(f["size"], bytes.len());
        use sha2::Digest as _;
        let digest: String = sha2::Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], digest.as_str(), "{path}");
        let mode = std::fs::metadata(out.join(path)).expect("stat");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            f["mode"],
            format!("{:04o}", mode.permissions().mode() & 0o7777).as_str()
        );
    }
    // Again: nothing changes; then with another file, the stale host directory is listed.
    let again = run(&[
        "render",
        "--registries",
        reg,
        "--output",
        o,
        "--format",
        "json",
    ]);
    let again: serde_json::Value = serde_json::from_str(&again.stdout).expect("json");
    assert!(again["files"]
        .as_array()
        .expect("files")
        .iter()
        .all(|f| f["status"] == "unchanged"));
    let other = root().join("examples/insecure-skip-verify/registries.yaml");
    let r = run(&[
        "render",
        "--registries",
        other.to_str().expect("utf-8"),
        "--output",
        o,
        "--dry-run",
        "--format",
        "json",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    let removed = doc["removed"].as_array().expect("removed");
    assert!(!removed.is_empty(), "{}", r.stdout);
    assert!(removed
        .iter()
        .all(|x| x["path"].as_str().expect("path").starts_with("certs.d/")));
}

/// With --format json, a fatal error is a JSON document on stdout too; the status is unchanged.
#[test]
fn json_errors_are_json_documents() {
    let tmp = tempfile::tempdir().expect("tmp");
    std::fs::write(tmp.path().join("bad.yaml"), "mirrors: [\n").expect("write");
    for args in [
        &["explain", "a:b:c:d", "--json", "--registries", "bad.yaml"][..],
        &["explain", "a:b:c:d", "--format", "json"],
        &[
            "explain",
            "nginx",
            "--format",
            "json",
            "--registries",
            "bad.yaml",
        ],
        &["render", "--format", "json", "--registries", "bad.yaml"],
        &["render", "--format", "json", "--registries", "missing.yaml"],
        &["audit", "--format", "json", "--allow", "no-such-code"],
    ] {
        let r = run_in(tmp.path(), args, None);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        let doc: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", r.stdout));
        assert_eq!(doc["schema_version"], 1);
        let error = doc["error"].as_str().expect("error");
        assert!(!error.is_empty());
        assert!(
            r.stderr.contains(error.lines().next().expect("line")),
            "{args:?}: {}",
            r.stderr
        );
    }
    // In text, stdout stays empty.
    let r = run_in(tmp.path(), &["render", "--registries", "bad.yaml"], None);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}

#[test]
fn color_follows_the_flag_no_color_and_clicolor_force() {
    let esc = |out: &[u8]| out.contains(&0x1b);
    let audit = |extra: &[&str], env: &[(&str, &str)]| {
        let mut a = vec!["audit", "--registries", FINDINGS];
        a.extend(extra);
        let (code, out) = run_env(&a, env);
        assert_eq!(code, 1, "{a:?}");
        esc(&out)
    };
    // Piped (as here): no escapes unless forced.
    assert!(!audit(&[], &[]));
    assert!(audit(&["--color", "always"], &[]));
    assert!(audit(&["--color=always"], &[("NO_COLOR", "1")]));
    assert!(!audit(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(audit(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!audit(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
    assert!(!audit(&["--color", "auto"], &[]));
    // --color is global: it goes before or after the subcommand.
    let (code, out) = run_env(
        &["--color", "always", "audit", "--registries", FINDINGS],
        &[],
    );
    assert_eq!(code, 1);
    assert!(esc(&out));
    // JSON and SARIF are never coloured.
    let (_, out) = run_env(
        &[
            "audit",
            "--registries",
            FINDINGS,
            "--format",
            "json",
            "--color",
            "always",
        ],
        &[],
    );
    assert!(!esc(&out));
    // clap's help follows --color too.
    let (_, out) = run_env(&["render", "--help", "--color", "always"], &[]);
    assert!(esc(&out));
    let (_, out) = run_env(
        &["render", "--help", "--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
    );
    assert!(!esc(&out));
}

/// A reader that goes away (`| head -1`) is its choice: no message, status 0.
#[test]
fn broken_pipes_are_quiet_everywhere() {
    for args in [
        &["audit", "--registries", FINDINGS][..],
        &["audit", "--registries", FINDINGS, "--format", "json"],
        &["audit", "--registries", FINDINGS, "--format", "sarif"],
        &["render", "--registries", EXAMPLE],
        &["render", "--registries", EXAMPLE, "--format", "json"],
        &["explain", "nginx", "--registries", EXAMPLE, "--json"],
        &["explain", "nginx", "--registries", EXAMPLE],
        &["versions"],
        &["versions", "--format", "json"],
        &["completions", "bash"],
        &["man"],
    ] {
        let mut child = Command::new(bin())
            .args(args)
            .current_dir(root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        // Close the reading end before the child writes anything.
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        // audit's status still says what it found.
        let code = out.status.code();
        assert!(
            code == Some(0) || (args[0] == "audit" && code == Some(1)),
            "{args:?}: {code:?}"
        );
    }
}

#[test]
fn flags_that_would_be_ignored_are_refused() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("out");
    let o = out.to_str().expect("utf-8");
    for args in [
        &[
            "render",
            "--registries",
            EXAMPLE,
            "--output",
            o,
            "--show-secrets",
        ][..],
        &[
            "explain",
            "nginx",
            "--hosts-dir",
            o,
            "--registries",
            EXAMPLE,
        ],
        &[
            "explain",
            "nginx",
            "--hosts-dir",
            o,
            "--k3s-version",
            "1.34",
        ],
        &["explain", "nginx", "--hosts-dir", o, "--embedded-registry"],
        &["explain", "nginx", "--hosts-dir", o, "--data-dir", "/x"],
        &["render", "--registries", EXAMPLE, "--quiet"],
    ] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("cannot be used with") || r.stderr.contains("required"),
            "{args:?}: {}",
            r.stderr
        );
    }
    assert!(!out.exists());
    // The usage line of explain with --hosts-dir names no --registries.
    let r = run(&[
        "explain",
        "nginx",
        "--hosts-dir",
        o,
        "--registries",
        EXAMPLE,
    ]);
    let usage = r
        .stderr
        .lines()
        .find(|l| l.starts_with("Usage: "))
        .expect("usage line");
    assert!(
        usage.starts_with("Usage: k3s-registries explain --hosts-dir <DIR>")
            && !usage.contains("--registries"),
        "{}",
        r.stderr
    );
}

#[test]
fn output_must_be_a_directory_and_only_its_last_component_is_created() {
    let tmp = tempfile::tempdir().expect("tmp");
    let reg = root().join(EXAMPLE);
    let reg = reg.to_str().expect("utf-8");
    std::fs::write(tmp.path().join("afile"), "x").expect("write");
    let r = run_in(
        tmp.path(),
        &["render", "--registries", reg, "--output", "afile"],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--output afile: not a directory (--output names the directory"),
        "{}",
        r.stderr
    );
    let r = run_in(
        tmp.path(),
        &["render", "--registries", reg, "--output", "a/b/c"],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("a/b is not an existing directory"),
        "{}",
        r.stderr
    );
    assert!(!tmp.path().join("a").exists());
    // The last component is created.
    let r = run_in(
        tmp.path(),
        &["render", "--registries", reg, "--output", "new"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(tmp.path().join("new/config.toml").is_file());
}

/// A write says what it did in one line on stderr; --quiet silences it.
#[test]
fn output_summary_and_quiet() {
    let tmp = tempfile::tempdir().expect("tmp");
    let reg = root().join(EXAMPLE);
    let reg = reg.to_str().expect("utf-8");
    let r = run_in(
        tmp.path(),
        &["render", "--registries", reg, "--output", "out"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    let dir = std::fs::canonicalize(tmp.path().join("out")).expect("out");
    assert_eq!(
        r.stderr,
        format!(
            "k3s-registries: {}: wrote config.toml and 2 hosts.toml files\n",
            dir.display()
        )
    );
    let r = run_in(
        tmp.path(),
        &["render", "--registries", reg, "--output", "out", "-q"],
        None,
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!((r.stdout.as_str(), r.stderr.as_str()), ("", ""));
}

/// Every flag the README names exists, and every flag of ours is in the README.
#[test]
fn readme_names_exactly_the_flags_that_exist() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let mut ours = BTreeSet::new();
    long_flags(&Cli::command(), &mut ours);
    ours.insert("--help".to_string());
    ours.insert("--version".to_string());
    // Flags of other tools the README shows (cargo, K3s, dpkg, the fuzzer).
    let others: BTreeSet<&str> = [
        "--release",
        "--locked",
        "--path",
        "--check",
        "--all",
        "--no-run",
        "--log-level",
        "--container-runtime-endpoint",
        "--config",
        "--docker",
        "--key",
        "--no-build",
        "--profile",
        "--all-targets",
        "--cases",
        "--cmd",
        "--v2-cmd",
        "--lib",
    ]
    .into_iter()
    .collect();
    // tools/differential.sh's own flags: they must exist there.
    let script = std::fs::read_to_string(root().join("tools/differential.sh")).expect("script");
    let differential = ["--count", "--seed", "--start", "--write-corpus"];
    for flag in differential {
        assert!(script.contains(flag), "tools/differential.sh has no {flag}");
    }
    let others: BTreeSet<&str> = others.into_iter().chain(differential).collect();
    let mut named = BTreeSet::new();
    let bytes = readme.as_bytes();
    let mut i = 0;
    while let Some(at) = readme[i..].find("--") {
        let start = i + at;
        i = start + 2;
        // Not part of a longer token (a heading anchor `#--json`, a rule `---`, `a--b`).
        if start > 0
            && (bytes[start - 1].is_ascii_alphanumeric() || b"#-".contains(&bytes[start - 1]))
        {
            continue;
        }
        let rest = &readme[start + 2..];
        let len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'))
            .unwrap_or(rest.len());
        let word = rest[..len].trim_end_matches('-');
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_lowercase()) {
            continue;
        }
        named.insert(format!("--{word}"));
    }
    let unknown: Vec<_> = named
        .iter()
        .filter(|f| !ours.contains(*f) && !others.contains(f.as_str()))
        .collect();
    assert!(
        unknown.is_empty(),
        "README names flags that do not exist: {unknown:?}"
    );
    let undocumented: Vec<_> = ours.iter().filter(|f| !named.contains(*f)).collect();
    assert!(
        undocumented.is_empty(),
        "flags the README does not name: {undocumented:?}"
    );
}
