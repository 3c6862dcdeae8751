//! Unit tests of the audit over inline registries files: the finer points of each rule that
//! the per-rule fixtures (tests/fixtures/audit) do not pin down.

use super::*;
use crate::diag::{Diagnostic, Severity, RULES};
use crate::k3s::node::NodeOptions;

fn audit_with(yaml: &str, node: NodeOptions) -> Report {
    let input = Input {
        name: "registries.yaml".to_string(),
        path: None,
        bytes: yaml.as_bytes().to_vec(),
    };
    check(&input, &node, &Options::default(), &NodeFiles::default()).expect("audit")
}

fn line(f: &Diagnostic) -> u32 {
    f.location.as_ref().map_or(1, |l| l.line)
}

/// Line `n` of `file` as the text printer shows it (secrets masked).
fn shown_line(r: &Report, file: &str, n: u32) -> Option<String> {
    let (_, text, secrets) = r.sources.iter().find(|(name, _, _)| *name == file)?;
    crate::secret::mask_lines(text, secrets)
        .get(usize::try_from(n).ok()?.checked_sub(1)?)
        .cloned()
}

fn audit(yaml: &str) -> Report {
    audit_with(yaml, NodeOptions::default())
}

/// `(code, severity, line)` of every finding.
fn found(r: &Report) -> Vec<(&'static str, Severity, u32)> {
    r.findings
        .iter()
        .map(|f| (f.code.as_str(), f.severity, line(f)))
        .collect()
}

fn has(r: &Report, code: &str) -> bool {
    r.findings.iter().any(|f| f.code.as_str() == code)
}

fn messages(r: &Report, code: &str) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.code.as_str() == code)
        .map(|f| f.message.clone())
        .collect()
}

#[test]
fn clean_file_has_no_findings() {
    let r = audit("configs:\n  registry.example.com:\n    tls:\n      ca_file: /etc/ssl/ca.pem\n");
    assert!(r.findings.is_empty(), "{:?}", found(&r));
    assert!(!r.reaches(Severity::Info) && !r.refused);
}

#[test]
fn duplicate_mappings_merge_without_loss_is_a_warning() {
    let r = audit("configs:\n  r.example.com:\n    tls:\n      ca_file: /a.pem\n    tls:\n      insecure_skip_verify: false\n");
    let dup: Vec<_> = found(&r)
        .into_iter()
        .filter(|f| f.0 == "duplicate-key")
        .collect();
    assert_eq!(dup, vec![("duplicate-key", Severity::Warning, 5)]);
    // The same key in both blocks: the first value is lost.
    let r = audit("configs:\n  r.example.com:\n    tls:\n      ca_file: /a.pem\n    tls:\n      ca_file: /b.pem\n");
    assert!(
        found(&r).contains(&("duplicate-key", Severity::Error, 5)),
        "{:?}",
        found(&r)
    );
    assert!(
        messages(&r, "duplicate-key")[0].contains("\"ca_file\" from line 3 is overwritten"),
        "{:?}",
        messages(&r, "duplicate-key")
    );
    // A later null resets the block.
    let r = audit("configs:\n  r.example.com:\n    tls:\n      ca_file: /a.pem\n    tls:\n");
    assert!(
        found(&r).contains(&("duplicate-key", Severity::Error, 5)),
        "{:?}",
        found(&r)
    );
}

#[test]
fn merge_first_is_fine_merge_last_overrides() {
    let base = "x: &b {username: a, password: p}\n";
    let r = audit(&format!(
        "{base}configs:\n  r.example.com:\n    auth: {{<<: *b, username: me}}\n"
    ));
    assert!(!has(&r, "merge-key-order"), "{:?}", found(&r));
    let r = audit(&format!(
        "{base}configs:\n  r.example.com:\n    auth:\n      username: me\n      <<: *b\n"
    ));
    assert!(
        found(&r).contains(&("merge-key-order", Severity::Warning, 6)),
        "{:?}",
        found(&r)
    );
}

#[test]
fn unknown_keys_at_the_wrong_level_say_where_they_belong() {
    let r = audit("mirrors:\n  r.example.com:\n    endpoint: [\"https://m.example.com\"]\n    auth:\n      username: u\n      password: p\n");
    let m = messages(&r, "unknown-key");
    assert_eq!(m, vec!["\"auth\" is not a key K3s reads, so no credentials are configured; \"auth\" belongs under configs.\"r.example.com\"".to_string()]);
    let r = audit("configs:\n  r.example.com:\n    ca_file: /ca.pem\n");
    assert_eq!(messages(&r, "unknown-key"), vec!["\"ca_file\" is not a key K3s reads, so no CA is configured; \"ca_file\" belongs under configs.\"r.example.com\".tls".to_string()]);
    let r = audit("disable-default-registry-endpoint: true\n");
    assert!(messages(&r, "unknown-key")[0].contains("it is a K3s flag"));
}

#[test]
fn configs_indented_under_mirrors_is_one_finding() {
    // k3s#10135: `configs:` indented under `mirrors:` becomes a mirror named "configs".
    let r = audit("mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n  configs:\n    m.example.com:\n      auth: {username: u, password: p}\n");
    let m = messages(&r, "unknown-key");
    assert_eq!(m.len(), 1, "{m:?}");
    assert!(
        m[0].starts_with("mirrors has an entry named \"configs\""),
        "{m:?}"
    );
    assert!(!has(&r, "registry-key-invalid"), "{:?}", found(&r));
}

#[test]
fn embedded_registry_shifts_endpoint_positions_back_to_the_source() {
    let yaml = "mirrors:\n  docker.io:\n    endpoint:\n      - \"http://10.0.0.5:5000\"\n";
    let node = NodeOptions {
        embedded_registry: true,
        ..NodeOptions::default()
    };
    let r = audit_with(yaml, node);
    let f = r
        .findings
        .iter()
        .find(|f| f.code == Code::PlainHttpEndpoint)
        .expect("plain http");
    let l = f.location.as_ref().expect("placed");
    assert_eq!((l.line, l.column), (4, 9));
    // The embedded registry's own configs and mirror are K3s's, not the user's.
    assert!(
        !has(&r, "insecure-skip-verify") && !has(&r, "wildcard-shadowed"),
        "{:?}",
        found(&r)
    );
}

#[test]
fn hosts_toml_escapes() {
    let rw = |p: &str| {
        audit(&format!("mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '{p}': 'x/$1'\n"))
    };
    // Doubling backslashes is the workaround: TOML gives containerd the intended regex.
    assert!(!has(&rw(r"^library/(.*)\\.x$"), "hosts-toml-invalid"));
    // \b parses but becomes a backspace: the file is fine, the pattern is another one.
    let r = rw(r"\b(.*)");
    assert!(!has(&r, "hosts-toml-invalid"), "{:?}", found(&r));
    assert!(
        messages(&r, "hosts-toml-value-changed")[0].contains("where TOML reads it as"),
        "{:?}",
        found(&r)
    );
    // \x41 is refused by containerd's go-toml.
    let r = rw(r"^\x41(.*)");
    assert!(
        messages(&r, "hosts-toml-invalid")[0].contains("invalid escaped character U+0078 'x'"),
        "{:?}",
        messages(&r, "hosts-toml-invalid")
    );
}

/// Regression (issue 10): `\e` in a rewrite is an escape for containerd 2.x's go-toml, so the
/// file is readable and the mirror used; the regex containerd compiles holds ESC, which Go
/// accepts. Only the changed pattern is reported.
#[test]
fn backslash_e_in_a_rewrite_keeps_the_file_readable() {
    let r = audit("mirrors:\n  docker.io:\n    endpoint: [\"https://m.example.com\"]\n    rewrite:\n      '^team/app\\e1$': 'x/$1'\n");
    assert!(!has(&r, "hosts-toml-invalid"), "{:?}", found(&r));
    assert!(!has(&r, "rewrite-invalid-regex"), "{:?}", found(&r));
    assert!(
        messages(&r, "hosts-toml-value-changed")[0].contains("\\u{1b}"),
        "{:?}",
        messages(&r, "hosts-toml-value-changed")
    );
}

#[test]
fn auth_keys_that_are_and_are_not_contacted() {
    let r = audit("mirrors:\n  docker.io:\n    endpoint: [\"https://index.docker.io\"]\nconfigs:\n  index.docker.io:\n    auth: {username: u, password: p}\n");
    assert!(
        !has(&r, "auth-never-used"),
        "an endpoint is contacted as index.docker.io: {:?}",
        found(&r)
    );
    let r = audit("configs:\n  index.docker.io:\n    auth: {username: u, password: p}\n");
    assert!(has(&r, "auth-never-used"));
    let r = audit("configs:\n  \"https://r.example.com\":\n    auth: {username: u, password: p}\n");
    assert!(
        messages(&r, "auth-never-used")[0].contains("\"r.example.com\""),
        "{:?}",
        found(&r)
    );
    let r = audit("configs:\n  ghcr.io:\n    auth: {username: u, password: p}\n");
    assert!(
        !has(&r, "auth-never-used"),
        "images named ghcr.io/... use it"
    );
}

#[test]
fn config_keyed_by_another_port() {
    let r = audit("mirrors:\n  docker.io:\n    endpoint: [\"https://h.example.com:5000\"]\nconfigs:\n  h.example.com:\n    auth: {username: u, password: p}\n");
    assert!(
        messages(&r, "config-not-for-endpoint")[0].contains("the ports differ"),
        "{:?}",
        found(&r)
    );
}

#[test]
fn secrets_are_masked_in_source_lines() {
    let yaml = "x: &creds {username: u, password: hunter2}\nconfigs:\n  r.example.com:\n    auth: *creds\n  s.example.com:\n    auth:\n      password: 0123\n      identity_token: |\n        tok3n\n";
    let r = audit(yaml);
    for n in 1..=9 {
        let line = shown_line(&r, "registries.yaml", n).expect("line");
        assert!(
            !line.contains("hunter2") && !line.contains("0123") && !line.contains("tok3n"),
            "line {n}: {line}"
        );
    }
    assert_eq!(
        shown_line(&r, "registries.yaml", 4).as_deref(),
        Some("    auth: *creds"),
        "aliases are not secrets"
    );
    for f in &r.findings {
        assert!(
            !f.message.contains("0123") && !f.message.contains("hunter2"),
            "{}",
            f.message
        );
    }
}

#[test]
fn load_errors_mask_quoted_values_of_credential_keys() {
    let r = audit("configs:\n  r.example.com:\n    auth: dXNlcjpwYXNz\n");
    assert!(r.refused);
    assert!(r.refused);
    assert_eq!(found(&r), vec![("yaml-type-mismatch", Severity::Error, 3)]);
    assert!(
        !r.findings[0].message.contains("dXNlcjp"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn allow_is_counted_and_status_follows_deny() {
    let input = Input {
        name: "registries.yaml".to_string(),
        path: None,
        bytes: b"configs:\n  r.example.com:\n    tls: {insecure_skip_verify: true, cafile: /x}\n"
            .to_vec(),
    };
    let opts = Options {
        allow: vec![Code::UnknownKey],
        ..Options::default()
    };
    let r = check(
        &input,
        &NodeOptions::default(),
        &opts,
        &NodeFiles::default(),
    )
    .expect("audit");
    assert_eq!(r.allowed, 1);
    assert_eq!(
        found(&r),
        vec![("insecure-skip-verify", Severity::Warning, 3)]
    );
    assert!(!r.reaches(Severity::Error));
    assert!(r.reaches(Severity::Warning));
}

#[test]
fn findings_are_sorted_by_position() {
    let r = audit("configs:\n  b.example.com:\n    tls: {cafile: /x}\n  a.example.com:\n    tls: {keyfile: /y}\n");
    let lines: Vec<u32> = r.findings.iter().map(line).collect();
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
}

#[test]
fn multiple_documents_need_content_before_the_separator() {
    assert!(!has(
        &audit("# c\n---\nmirrors: {}\n"),
        "multiple-documents"
    ));
    assert!(!has(
        &audit("mirrors: {}\n...\n# trailing comment\n"),
        "multiple-documents"
    ));
    let r = audit("mirrors: {}\n---\nconfigs: {}\n---\nauths: {}\n");
    assert_eq!(messages(&r, "multiple-documents"), vec!["registries.yaml holds 3 YAML documents; K3s reads only the first, so lines 2-5 are ignored".to_string()]);
}

#[test]
fn every_rule_is_documented() {
    for rule in RULES {
        assert!(
            !rule.summary.is_empty() && rule.summary.ends_with('.'),
            "{}",
            rule.code
        );
        assert!(rule.description.contains("Fix:"), "{}", rule.code);
    }
}
