//! Regression tests for every disagreement between explain, audit and K3s's containerd that
//! issue 10 lists (found on K3s's fork of containerd, v2.0.4-k3s3 built from source, pulling
//! through registries on loopback): each runs the real binary, both commands where both speak.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::harness::{root, run, run_in};

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn codes(doc: &Value, list: &str) -> Vec<String> {
    doc[list]
        .as_array()
        .expect("a list")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect()
}

fn explain_json(cwd: &Path, args: &[&str]) -> Value {
    let mut argv = vec!["explain"];
    argv.extend(args);
    argv.push("--json");
    let r = run_in(cwd, &argv, None);
    assert_eq!(r.code, 0, "{}", r.stderr);
    json(&r.stdout)
}

fn audit_json(cwd: &Path, args: &[&str]) -> (i32, Value) {
    let mut argv = vec!["audit", "--format", "json"];
    argv.extend(args);
    let r = run_in(cwd, &argv, None);
    assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
    (r.code, json(&r.stdout))
}

/// A hosts.toml whose `[host]` has `header = {X-A = """a<newline>b"""}`: the file is valid TOML
/// for go-toml (a multi-line string inside an inline table), so audit must not call it invalid;
/// Go's HTTP client refuses the header, so the host is never reached and the next one serves.
#[test]
fn header_value_with_a_newline() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("certs.d/docker.io");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(
        dir.join("hosts.toml"),
        "server = \"https://registry-1.docker.io\"\n\n[host.\"https://mirror.example.com\"]\n  capabilities = [\"pull\", \"resolve\"]\n  header = {X-A = \"\"\"a\nb\"\"\"}\n",
    )
    .expect("write");
    fs::write(tmp.path().join("registries.yaml"), "").expect("write");
    let (code, doc) = audit_json(
        tmp.path(),
        &["--registries", "registries.yaml", "--hosts-dir", "certs.d"],
    );
    let found = codes(&doc, "findings");
    assert!(
        !found.contains(&"hosts-toml-invalid".to_string()),
        "{found:?}"
    );
    assert!(found.contains(&"header-invalid".to_string()), "{found:?}");
    assert_eq!(code, 1);
    let e = explain_json(tmp.path(), &["nginx", "--hosts-dir", "certs.d"]);
    assert_eq!(e["hosts_toml"]["status"], "read");
    let attempts = e["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 2, "{e}");
    assert_eq!(
        attempts[0]["refused"],
        "net/http: invalid header field value for \"X-A\""
    );
    assert!(attempts[1]["refused"].is_null());
    assert!(codes(&e, "warnings").contains(&"header-invalid".to_string()));
    // The text shows the value escaped: a file cannot start a new output line.
    let r = run_in(
        tmp.path(),
        &["explain", "nginx", "--hosts-dir", "certs.d"],
        None,
    );
    assert!(
        r.stdout.contains("   header       X-A: a\\nb\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("   refused      never sent"),
        "{}",
        r.stdout
    );
}

/// `certs.d/docker.io` a regular file: containerd picks it and fails every pull from docker.io;
/// audit says so too (it used to skip non-directories and exit 0).
#[test]
fn hosts_dir_entry_that_is_a_file() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::create_dir_all(tmp.path().join("certs.d")).expect("mkdir");
    fs::write(
        tmp.path().join("certs.d/docker.io"),
        "server = \"https://registry-1.docker.io\"\n",
    )
    .expect("write");
    fs::write(tmp.path().join("registries.yaml"), "").expect("write");
    let (code, doc) = audit_json(
        tmp.path(),
        &["--registries", "registries.yaml", "--hosts-dir", "certs.d"],
    );
    assert_eq!(code, 1, "{doc}");
    assert_eq!(codes(&doc, "findings"), ["hosts-dir-unreadable"]);
    let e = explain_json(tmp.path(), &["nginx", "--hosts-dir", "certs.d"]);
    assert!(e["error"]
        .as_str()
        .expect("error")
        .ends_with("not a directory"));
    assert!(e["attempts"].as_array().expect("attempts").is_empty());
    assert!(codes(&e, "warnings").contains(&"hosts-dir-unreadable".to_string()));
}

/// A plain-http endpoint with TLS settings: containerd tries HTTPS first, so credentials *can*
/// be sent in cleartext (after a fallback); audit and explain both say so.
#[test]
fn plain_http_endpoint_with_tls_settings() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(
        tmp.path().join("registries.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"http://m.example.com:5000\"]\nconfigs:\n  m.example.com:5000:\n    auth: {username: u, password: p}\n    tls: {ca_file: /etc/ca.crt}\n",
    )
    .expect("write");
    let (_, doc) = audit_json(tmp.path(), &["--registries", "registries.yaml"]);
    let f = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["code"] == "credentials-over-http")
        .unwrap_or_else(|| panic!("{doc}"));
    let m = f["message"].as_str().expect("message");
    assert!(
        m.contains("can be sent") && m.contains("tries HTTPS first"),
        "{m}"
    );
    let e = explain_json(tmp.path(), &["nginx", "--registries", "registries.yaml"]);
    assert_eq!(e["attempts"][0]["tls"]["mode"], "https-then-http");
    let w = e["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .find(|w| w["code"] == "credentials-over-http")
        .unwrap_or_else(|| panic!("{e}"));
    assert!(w["message"].as_str().expect("m").contains("can be sent"));
    // Without TLS settings they are always sent in cleartext.
    fs::write(
        tmp.path().join("plain.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"http://m.example.com:5000\"]\nconfigs:\n  m.example.com:5000:\n    auth: {username: u, password: p}\n",
    )
    .expect("write");
    let (_, doc) = audit_json(tmp.path(), &["--registries", "plain.yaml"]);
    assert!(
        doc.to_string()
            .contains("are sent to http://m.example.com:5000/v2"),
        "{doc}"
    );
}

/// `\e` in a hosts.toml string is an escape for containerd 2.x's go-toml (`\x` is not): the file
/// stays readable and the mirror is used; the rewrite containerd compiles holds ESC.
#[test]
fn backslash_e_in_a_rewrite() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(
        tmp.path().join("registries.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^team/app\\e1$': 'x/$1'\n",
    )
    .expect("write");
    let e = explain_json(
        tmp.path(),
        &["team/app:1", "--registries", "registries.yaml"],
    );
    assert_eq!(e["hosts_toml"]["status"], "read", "{e}");
    assert!(e["attempts"][0]["url"]
        .as_str()
        .expect("url")
        .starts_with("https://m.example.com/v2/team/app/"));
    let (_, doc) = audit_json(tmp.path(), &["--registries", "registries.yaml"]);
    let found = codes(&doc, "findings");
    assert!(
        !found.contains(&"hosts-toml-invalid".to_string()),
        "{found:?}"
    );
    assert!(
        !found.contains(&"rewrite-invalid-regex".to_string()),
        "{found:?}"
    );
    // \x is still refused, by both.
    fs::write(
        tmp.path().join("x.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^team/app\\x41$': 'x/$1'\n",
    )
    .expect("write");
    let e = explain_json(tmp.path(), &["team/app:1", "--registries", "x.yaml"]);
    assert_eq!(e["hosts_toml"]["status"], "invalid", "{e}");
    let (_, doc) = audit_json(tmp.path(), &["--registries", "x.yaml"]);
    assert!(codes(&doc, "findings").contains(&"hosts-toml-invalid".to_string()));
}

/// Overlapping rewrites are picked per request (Go map order), not per pull.
#[test]
fn overlapping_rewrites_are_chosen_per_request() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(
        tmp.path().join("registries.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^team/(.*)': 'a/$1'\n      '(.*)': 'b/$1'\n",
    )
    .expect("write");
    let e = explain_json(
        tmp.path(),
        &["team/app:1", "--registries", "registries.yaml"],
    );
    let note = e["attempts"][0]["rewrite_note"].as_str().expect("note");
    assert!(note.ends_with("at random for every request"), "{note}");
    let (_, doc) = audit_json(tmp.path(), &["--registries", "registries.yaml"]);
    assert!(doc.to_string().contains("for every request"), "{doc}");
    assert!(!doc.to_string().contains("on each pull"), "{doc}");
}

/// One fact, one code: an empty client path that containerd resolves to the hosts directory is
/// tls-key-without-cert (empty certificate) or tls-cert-without-key (empty key) in explain and
/// audit alike (explain used to say tls-path-is-directory).
#[test]
fn empty_client_paths_have_audit_codes() {
    let example = root().join("examples/production-literal-typo-keys/registries.yaml");
    let example = example.to_str().expect("utf-8");
    let e = explain_json(
        &root(),
        &[
            "registry.internal.example.com/app:1",
            "--registries",
            example,
        ],
    );
    assert!(codes(&e, "warnings").contains(&"tls-key-without-cert".to_string()));
    let (_, doc) = audit_json(&root(), &["--registries", example]);
    assert!(codes(&doc, "findings").contains(&"tls-key-without-cert".to_string()));
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(
        tmp.path().join("registries.yaml"),
        "configs:\n  r.example.com:\n    tls: {cert_file: /etc/c.crt}\n",
    )
    .expect("write");
    let e = explain_json(
        tmp.path(),
        &["r.example.com/app:1", "--registries", "registries.yaml"],
    );
    assert!(
        codes(&e, "warnings").contains(&"tls-cert-without-key".to_string()),
        "{e}"
    );
    let (_, doc) = audit_json(tmp.path(), &["--registries", "registries.yaml"]);
    assert!(codes(&doc, "findings").contains(&"tls-cert-without-key".to_string()));
}

/// Every code explain prints is one `audit --explain-code` knows (nine used not to be), and the
/// codes only explain prints are printed by it.
#[test]
fn explain_codes_are_in_the_catalogue() {
    let tmp = tempfile::tempdir().expect("tmp");
    let cases: &[(&str, &str)] = &[
        ("registry-1.docker.io/library/nginx", ""),
        (
            "team/alpaca:1",
            "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      'a': 'B'\n",
        ),
        (
            "nginx",
            "mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^bitnami/(.*)': 'x/$1'\n",
        ),
    ];
    let mut seen = Vec::new();
    for (i, (image, yaml)) in cases.iter().enumerate() {
        let file = format!("r{i}.yaml");
        fs::write(tmp.path().join(&file), yaml).expect("write");
        let e = explain_json(tmp.path(), &[image, "--registries", &file]);
        seen.extend(codes(&e, "warnings"));
    }
    for code in [
        "image-names-registry-1-docker-io",
        "rewrite-multiple-matches",
        "rewrite-invalid-repository",
        "rewrite-no-match",
    ] {
        assert!(
            seen.iter().any(|c| c == code),
            "{code} not printed: {seen:?}"
        );
    }
    // And the examples' warnings.
    for ex in fs::read_dir(root().join("examples")).expect("examples") {
        let file = ex.expect("entry").path().join("registries.yaml");
        let file = file.to_str().expect("utf-8");
        for image in ["nginx", "registry.internal.example.com/app:1"] {
            let e = explain_json(&root(), &[image, "--registries", file]);
            seen.extend(codes(&e, "warnings"));
        }
    }
    seen.sort();
    seen.dedup();
    for code in &seen {
        let r = run(&["audit", "--explain-code", code]);
        assert_eq!(r.code, 0, "--explain-code {code}: {}", r.stderr);
    }
}
