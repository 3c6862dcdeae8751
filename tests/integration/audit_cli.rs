//! `audit` as a user meets it: one fixture pair per rule under tests/fixtures/audit/<code>/
//! (`triggers.yaml` must report the code, `clean.yaml` must not), the seed's examples, the
//! literal production example, the three output formats (SARIF checked against the vendored
//! SARIF 2.1.0 schema), exit codes, `--allow`, `--explain-code`, and secrets never printed.
//!
//! A fixture directory may hold `args` (for both files), `triggers.args` / `clean.args`, extra
//! files, and `<file>.mode` (octal). It is copied into a temporary directory and run there;
//! `@DIR@` in any file or argument is that directory, `@CASE@` is `triggers` or `clean`.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use k3s_registries::diag::{Needs, RULES};
use serde_json::Value;

use crate::harness::{root, run, run_in, scrub, shell_words, snapshot_settings, Run};

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/audit")
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for ent in fs::read_dir(from).expect("read_dir") {
        let ent = ent.expect("entry");
        let (src, dst) = (ent.path(), to.join(ent.file_name()));
        if src.is_dir() {
            copy_dir(&src, &dst);
        } else {
            let text = fs::read(&src).expect("read");
            fs::write(&dst, text).expect("write");
        }
    }
}

fn substitute_dir(dir: &Path, with: &str) {
    for ent in fs::read_dir(dir).expect("read_dir") {
        let p = ent.expect("entry").path();
        if p.is_dir() {
            substitute_dir(&p, with);
        } else if let Ok(text) = fs::read_to_string(&p) {
            if text.contains("@DIR@") {
                fs::write(&p, text.replace("@DIR@", with)).expect("write");
            }
        }
    }
}

/// A fixture case, ready to run in its own temporary directory.
struct Case {
    tmp: tempfile::TempDir,
    file: String,
    args: Vec<String>,
}

impl Case {
    fn new(code: &str, case: &str) -> Case {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().to_str().expect("utf-8").to_string();
        copy_dir(&fixtures().join(code), tmp.path());
        substitute_dir(tmp.path(), &dir);
        let file = format!("{case}.yaml");
        if let Ok(mode) = fs::read_to_string(tmp.path().join(format!("{file}.mode"))) {
            let mode = u32::from_str_radix(mode.trim(), 8).expect("octal mode");
            fs::set_permissions(tmp.path().join(&file), fs::Permissions::from_mode(mode))
                .expect("chmod");
        }
        let mut words = String::new();
        for name in ["args".to_string(), format!("{case}.args")] {
            words += &fs::read_to_string(tmp.path().join(name)).unwrap_or_default();
            words.push(' ');
        }
        let args = shell_words(&words)
            .into_iter()
            .map(|w| w.replace("@DIR@", &dir).replace("@CASE@", case))
            .collect();
        Case { tmp, file, args }
    }

    fn run(&self, extra: &[&str]) -> Run {
        let mut argv: Vec<&str> = vec!["audit", "--registries", &self.file];
        argv.extend(self.args.iter().map(String::as_str));
        argv.extend(extra);
        let r = run_in(self.tmp.path(), &argv, None);
        Run {
            code: r.code,
            stdout: scrub(&r.stdout, self.tmp.path()),
            stderr: scrub(&r.stderr, self.tmp.path()),
        }
    }
}

fn json(r: &Run) -> Value {
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", r.stdout, r.stderr))
}

fn codes(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("code").to_string())
        .collect()
}

/// The exit status the findings call for (default --deny error).
fn expected_status(doc: &Value) -> i32 {
    if doc["refused"].as_bool().expect("refused") {
        2
    } else if doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["severity"] == "error")
    {
        1
    } else {
        0
    }
}

/// Runs a rule's fixture pair: the code is reported for triggers.yaml (text and JSON
/// snapshotted) and not for clean.yaml.
fn check_rule(code: &str) {
    let trig = Case::new(code, "triggers");
    let r = trig.run(&["--format", "json"]);
    let doc = json(&r);
    assert_eq!(doc["schema_version"], 1);
    assert!(
        codes(&doc).iter().any(|c| c == code),
        "{code} not reported for triggers.yaml:\n{}",
        r.stdout
    );
    assert_eq!(
        r.code,
        expected_status(&doc),
        "exit status for {code}: {}",
        r.stderr
    );
    for f in doc["findings"].as_array().expect("findings") {
        for field in ["code", "severity", "file", "message", "help"] {
            assert!(
                f[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field} missing in {f}"
            );
        }
        assert!(
            f["line"].as_u64().is_some_and(|l| l >= 1)
                && f["column"].as_u64().is_some_and(|c| c >= 1),
            "{f}"
        );
    }
    let text = trig.run(&[]);
    assert_eq!(text.code, r.code, "text and JSON exit alike");
    assert!(
        text.stdout.contains(&format!("[{code}]: ")),
        "{}",
        text.stdout
    );
    snapshot_settings().bind(|| {
        insta::assert_snapshot!(format!("audit_{code}_json"), r.stdout);
        insta::assert_snapshot!(format!("audit_{code}_text"), text.stdout);
    });

    let clean = Case::new(code, "clean");
    let r = clean.run(&["--format", "json"]);
    let doc = json(&r);
    assert!(
        !codes(&doc).iter().any(|c| c == code),
        "{code} reported for clean.yaml:\n{}",
        r.stdout
    );
    assert_eq!(
        r.code,
        expected_status(&doc),
        "exit status for clean {code}: {}",
        r.stderr
    );
}

macro_rules! rule_tests {
    ($($name:ident => $code:literal,)*) => {
        $(
            #[test]
            fn $name() {
                check_rule($code);
            }
        )*

        /// Every rule of the catalogue that audit can report has a fixture pair and a test, and
        /// nothing else does (the codes only explain prints are tested in explain_cli).
        #[test]
        fn every_rule_has_a_fixture_pair() {
            let tested: Vec<&str> = vec![$($code),*];
            let catalogue: Vec<&str> = RULES
                .iter()
                .filter(|r| r.needs != Needs::Image)
                .map(|r| r.code.as_str())
                .collect();
            assert_eq!(tested, catalogue);
            let mut dirs: Vec<String> = fs::read_dir(fixtures())
                .expect("fixtures")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            dirs.sort();
            let mut sorted = catalogue.clone();
            sorted.sort();
            assert_eq!(dirs, sorted);
            for d in &dirs {
                for f in ["triggers.yaml", "clean.yaml"] {
                    assert!(fixtures().join(d).join(f).is_file(), "{d}/{f}");
                }
            }
        }
    };
}

rule_tests! {
    rule_yaml_syntax_error => "yaml-syntax-error",
    rule_yaml_type_mismatch => "yaml-type-mismatch",
    rule_config_toml_invalid => "config-toml-invalid",
    rule_registry_key_unsafe_path => "registry-key-unsafe-path",
    rule_registry_dir_collision => "registry-dir-collision",
    rule_unknown_key => "unknown-key",
    rule_multiple_documents => "multiple-documents",
    rule_duplicate_key => "duplicate-key",
    rule_null_value => "null-value",
    rule_auth_never_used => "auth-never-used",
    rule_wildcard_config_ignored => "wildcard-config-ignored",
    rule_config_not_for_endpoint => "config-not-for-endpoint",
    rule_hosts_toml_invalid => "hosts-toml-invalid",
    rule_hosts_toml_value_changed => "hosts-toml-value-changed",
    rule_hosts_dir_unreadable => "hosts-dir-unreadable",
    rule_header_invalid => "header-invalid",
    rule_no_resolve_hosts => "no-resolve-hosts",
    rule_config_path_unset => "config-path-unset",
    rule_rewrite_invalid_regex => "rewrite-invalid-regex",
    rule_rewrite_ignored => "rewrite-ignored",
    rule_tls_key_without_cert => "tls-key-without-cert",
    rule_tls_cert_without_key => "tls-cert-without-key",
    rule_tls_relative_path => "tls-relative-path",
    rule_tls_file_unusable => "tls-file-unusable",
    rule_registry_key_invalid => "registry-key-invalid",
    rule_endpoint_invalid => "endpoint-invalid",
    rule_endpoint_userinfo => "endpoint-userinfo",
    rule_auths_ignored => "auths-ignored",
    rule_auth_incomplete => "auth-incomplete",
    rule_auth_invalid_base64 => "auth-invalid-base64",
    rule_auth_fields_conflict => "auth-fields-conflict",
    rule_identity_token_semantics => "identity-token-semantics",
    rule_default_endpoint_kept => "default-endpoint-kept",
    rule_disable_default_no_effect => "disable-default-no-effect",
    rule_wildcard_no_fallback => "wildcard-no-fallback",
    rule_disable_default_ignored => "disable-default-ignored",
    rule_wildcard_shadowed => "wildcard-shadowed",
    rule_credentials_over_http => "credentials-over-http",
    rule_insecure_skip_verify => "insecure-skip-verify",
    rule_endpoint_self_reference => "endpoint-self-reference",
    rule_endpoint_path_override => "endpoint-path-override",
    rule_endpoint_duplicate => "endpoint-duplicate",
    rule_rewrite_unused => "rewrite-unused",
    rule_rewrite_replacement_suspicious => "rewrite-replacement-suspicious",
    rule_rewrite_order_nondeterministic => "rewrite-order-nondeterministic",
    rule_merge_key_order => "merge-key-order",
    rule_cluster_dns_endpoint => "cluster-dns-endpoint",
    rule_secrets_file_permissions => "secrets-file-permissions",
    rule_unmanaged_hosts_dir => "unmanaged-hosts-dir",
    rule_plain_http_endpoint => "plain-http-endpoint",
    rule_endpoint_scheme_defaulted => "endpoint-scheme-defaulted",
    rule_mirror_without_endpoints => "mirror-without-endpoints",
    rule_airgap_default_fallback => "airgap-default-fallback",
    rule_rewrite_dockerhub_library => "rewrite-dockerhub-library",
    rule_yaml_1_1_boolean => "yaml-1.1-boolean",
    rule_non_string_scalar => "non-string-scalar",
    rule_k3s_refuses_config => "k3s-refuses-config",
    rule_external_container_runtime => "external-container-runtime",
    rule_user_template => "user-template",
    rule_template_parse_error => "template-parse-error",
    rule_template_drops_config_path => "template-drops-config-path",
    rule_template_drops_registry_auth => "template-drops-registry-auth",
    rule_template_wrong_plugin_namespace => "template-wrong-plugin-namespace",
    rule_template_duplicate_table => "template-duplicate-table",
    rule_template_drops_imports => "template-drops-imports",
    rule_dropin_registry_settings => "dropin-registry-settings",
    rule_dropin_ignored_registry => "dropin-ignored-registry",
    rule_dropin_replaces_registry => "dropin-replaces-registry",
    rule_cri_mirrors_with_config_path => "cri-mirrors-with-config-path",
}

/// The example directories with the node flags each is rendered with.
fn examples() -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = fs::read_dir(root().join("examples"))
        .expect("examples")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.join("registries.yaml").is_file())
        .map(|p| {
            let name = p.file_name().expect("name").to_string_lossy().into_owned();
            let args = shell_words(&fs::read_to_string(p.join("args")).unwrap_or_default());
            (name, args)
        })
        .collect();
    out.sort();
    out
}

fn audit_example(name: &str, args: &[String], format: &[&str]) -> Run {
    let file = format!("examples/{name}/registries.yaml");
    let mut argv: Vec<&str> = vec!["audit", "--registries", &file];
    argv.extend(args.iter().map(String::as_str));
    argv.extend(format);
    run(&argv)
}

/// The repaired examples have no errors (only what they really have: plain HTTP, skip_verify,
/// the upstream fallback...); the literal production example has exactly its three.
#[test]
fn examples_have_only_the_findings_they_really_have() {
    let list = examples();
    assert!(list.len() >= 9, "{list:?}");
    for (name, args) in &list {
        let r = audit_example(name, args, &["--format", "json"]);
        let doc = json(&r);
        let errors: Vec<&Value> = doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| f["severity"] == "error")
            .collect();
        if name == "production-literal-typo-keys" {
            let mut codes: Vec<&str> = errors
                .iter()
                .map(|f| f["code"].as_str().expect("code"))
                .collect();
            codes.sort();
            assert_eq!(
                codes,
                ["tls-key-without-cert", "unknown-key", "unknown-key"],
                "{}",
                r.stdout
            );
            assert_eq!(r.code, 1);
        } else {
            assert!(
                errors.is_empty(),
                "{name}: unexpected errors:\n{}",
                r.stdout
            );
            assert_eq!(r.code, 0, "{name}: {}", r.stderr);
        }
        let text = audit_example(name, args, &[]);
        snapshot_settings().bind(|| {
            insta::assert_snapshot!(
                format!("audit_example_{}", name.replace('-', "_")),
                text.stdout
            )
        });
    }
}

/// The seed's production example, taken literally: `cafile` and `certfile` are typos K3s drops
/// without a word, leaving key_file alone, which breaks every pull from the registry.
#[test]
fn literal_production_example_says_what_is_wrong_and_how_to_fix_it() {
    let r = run(&[
        "audit",
        "--registries",
        "examples/production-literal-typo-keys/registries.yaml",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = &r.stdout;
    assert!(out.contains(
        "error[unknown-key]: examples/production-literal-typo-keys/registries.yaml:20:7: \"cafile\" is not a key K3s reads, so no CA is configured; did you mean \"ca_file\"?"
    ), "{out}");
    assert!(out.contains("rename it to \"ca_file\""), "{out}");
    assert!(out.contains(":21:7: \"certfile\" is not a key K3s reads, so no client certificate is configured; did you mean \"cert_file\"?"), "{out}");
    assert!(out.contains("error[tls-key-without-cert]"), "{out}");
    assert!(
        out.contains("the \"certfile\" on line 21 was meant to be cert_file"),
        "{out}"
    );
    assert!(
        out.contains(
            "20 |       cafile: \"/etc/rancher/k3s/internal-ca.crt\"\n   |       ^^^^^^\n"
        ),
        "caret under the key:\n{out}"
    );
    assert!(
        !out.contains("SecurePullPassword"),
        "password leaked:\n{out}"
    );
    assert!(out.ends_with("3 errors, 0 warnings, 2 infos\n"), "{out}");
    let j = run(&[
        "audit",
        "--registries",
        "examples/production-literal-typo-keys/registries.yaml",
        "--format",
        "json",
    ]);
    snapshot_settings().bind(|| {
        insta::assert_snapshot!("audit_production_literal_text", r.stdout);
        insta::assert_snapshot!("audit_production_literal_json", j.stdout);
    });
}

/// A file K3s refuses: the finding keeps the loader's position, and audit exits 2 in every
/// format.
#[test]
fn a_file_k3s_refuses_exits_2_with_its_position() {
    let tmp = tempfile::tempdir().expect("tmp");
    fs::write(
        tmp.path().join("r.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: https://mirror.example.com\n",
    )
    .expect("write");
    let r = run_in(tmp.path(), &["audit", "--registries", "r.yaml"], None);
    assert_eq!(r.code, 2, "{}", r.stdout);
    assert!(r.stdout.starts_with("error[yaml-type-mismatch]: r.yaml:3:15: yaml.v2 cannot unmarshal !!str `https:/...` into []string"), "{}", r.stdout);
    assert!(
        r.stdout.contains("K3s would refuse this file"),
        "{}",
        r.stdout
    );
    for format in ["json", "sarif"] {
        let r = run_in(
            tmp.path(),
            &["audit", "--registries", "r.yaml", "--format", format],
            None,
        );
        assert_eq!(r.code, 2, "{format}");
        serde_json::from_str::<Value>(&r.stdout).expect("valid JSON");
    }
    // Even --deny warning does not turn a refused file into 1.
    let r = run_in(
        tmp.path(),
        &["audit", "--registries", "r.yaml", "--deny", "warning"],
        None,
    );
    assert_eq!(r.code, 2);
}

#[test]
fn a_missing_file_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let r = run_in(tmp.path(), &["audit", "--registries", "nope.yaml"], None);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("--registries nope.yaml: no such file"),
        "{}",
        r.stderr
    );
}

#[test]
fn deny_level_decides_the_exit_status() {
    let file = "examples/insecure-skip-verify/registries.yaml";
    assert_eq!(
        run(&["audit", "--registries", file]).code,
        0,
        "warnings do not fail by default"
    );
    assert_eq!(
        run(&["audit", "--registries", file, "--deny", "warning"]).code,
        1
    );
    // Infos never fail.
    assert_eq!(
        run(&[
            "audit",
            "--registries",
            "examples/pull-through-cache/registries.yaml",
            "--deny",
            "warning"
        ])
        .code,
        0
    );
}

#[test]
fn allow_silences_a_code_and_rejects_unknown_ones() {
    let file = "examples/production-literal-typo-keys/registries.yaml";
    let r = run(&[
        "audit",
        "--registries",
        file,
        "--allow",
        "unknown-key",
        "--allow",
        "tls-key-without-cert",
        "--format",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let doc = json(&r);
    assert!(!codes(&doc)
        .iter()
        .any(|c| c == "unknown-key" || c == "tls-key-without-cert"));
    assert_eq!(doc["summary"]["allowed"], 3);
    let r = run(&["audit", "--registries", file, "--allow", "no-such-code"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("unknown finding code \"no-such-code\"")
            && r.stderr.contains("unknown-key, multiple-documents"),
        "{}",
        r.stderr
    );
}

#[test]
fn explain_code_prints_the_long_description() {
    for rule in RULES {
        let r = run(&["audit", "--explain-code", rule.code.as_str()]);
        assert_eq!(r.code, 0, "{}", rule.code);
        assert!(
            r.stdout
                .starts_with(&format!("{} ({}, ", rule.code, rule.severity.as_str())),
            "{}",
            r.stdout
        );
        assert!(
            r.stdout.contains(rule.summary) && r.stdout.contains("Fix:"),
            "{}",
            r.stdout
        );
    }
    let r = run(&["audit", "--explain-code", "unknown-key"]);
    snapshot_settings().bind(|| insta::assert_snapshot!("audit_explain_unknown_key", r.stdout));
    let r = run(&["audit", "--explain-code", "nope"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("the codes are: yaml-syntax-error, yaml-type-mismatch"),
        "{}",
        r.stderr
    );
}

/// Secrets from the fixtures never reach any output.
#[test]
fn secrets_are_never_printed() {
    let secrets = [
        "pull-secret",
        "base-secret",
        "s3cret",
        "dckr_pat",
        "eDp5",
        "dTpw",
        "0123",
        "SecurePullPassword",
        "RegistryPassword",
    ];
    let mut runs = Vec::new();
    for ent in fs::read_dir(fixtures()).expect("fixtures") {
        let code = ent
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        for case in ["triggers", "clean"] {
            let c = Case::new(&code, case);
            for format in ["text", "json", "sarif"] {
                let mut r = c.run(&["--format", format]);
                if format == "sarif" {
                    // The rule catalogue's own examples (`password: #s3cret`) are not user data.
                    let mut log = json(&r);
                    log["runs"][0]["tool"] = Value::Null;
                    r.stdout = log.to_string();
                }
                runs.push((format!("{code}/{case} ({format})"), r));
            }
        }
    }
    for (name, args) in examples() {
        runs.push((name.clone(), audit_example(&name, &args, &[])));
    }
    for (name, r) in runs {
        for s in secrets {
            assert!(
                !r.stdout.contains(s) && !r.stderr.contains(s),
                "{name} prints {s:?}:\n{}{}",
                r.stdout,
                r.stderr
            );
        }
    }
}

/// SARIF output is valid SARIF 2.1.0 (the OASIS schema, vendored under tests/sarif/), also
/// with related locations and for a refused file.
#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json")).expect("schema"),
    )
    .expect("schema JSON");
    let mut logs = vec![(
        "production-literal".to_string(),
        run(&[
            "audit",
            "--registries",
            "examples/production-literal-typo-keys/registries.yaml",
            "--format",
            "sarif",
        ]),
    )];
    for code in [
        "duplicate-key",
        "yaml-syntax-error",
        "rewrite-order-nondeterministic",
        "unmanaged-hosts-dir",
    ] {
        logs.push((
            code.to_string(),
            Case::new(code, "triggers").run(&["--format", "sarif"]),
        ));
    }
    for (name, r) in logs {
        let log = json(&r);
        let errors = schema::validate(&schema, &log);
        assert!(
            errors.is_empty(),
            "{name}: SARIF does not validate:\n{}",
            errors.join("\n")
        );
        let run0 = &log["runs"][0];
        let rules = run0["tool"]["driver"]["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), RULES.len());
        let results = run0["results"].as_array().expect("results");
        assert!(!results.is_empty(), "{name}");
        for res in results {
            let i = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[i]["id"], res["ruleId"]);
            assert!(["error", "warning", "note"].contains(&res["level"].as_str().expect("level")));
            let region = &res["locations"][0]["physicalLocation"]["region"];
            assert!(
                region["startLine"].as_u64().is_some_and(|l| l >= 1)
                    && region["startColumn"].as_u64().is_some_and(|c| c >= 1)
            );
        }
    }
    // The validator is not a rubber stamp.
    let mut bad: Value = json(&run(&[
        "audit",
        "--registries",
        "examples/production-literal-typo-keys/registries.yaml",
        "--format",
        "sarif",
    ]));
    bad["runs"][0]["results"][0]["level"] = Value::from("fatal");
    bad["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    bad["version"] = Value::from("2.0.0");
    assert_eq!(
        schema::validate(&schema, &bad).len(),
        3,
        "{:?}",
        schema::validate(&schema, &bad)
    );
}

/// A JSON Schema (draft-04) validator covering every keyword the SARIF 2.1.0 schema uses:
/// `$ref` (local), `type`, `enum`, `properties`, `additionalProperties`, `required`, `items`,
/// `minItems`, `uniqueItems`, `minimum`, `maximum`, `pattern`, `format` (uri, uri-reference,
/// date-time), `anyOf`, `oneOf`, `allOf`. (No crate for it: this is all the schema needs.)
mod schema {
    use serde_json::Value;

    pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        check(schema, schema, doc, "$", &mut errors);
        errors
    }

    fn resolve<'a>(root: &'a Value, r: &str) -> &'a Value {
        let path = r
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("non-local $ref {r}"));
        path.split('/').fold(root, |v, seg| &v[seg])
    }

    fn type_ok(t: &str, v: &Value) -> bool {
        match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            "number" => v.is_number(),
            "integer" => {
                v.as_i64().is_some()
                    || v.as_u64().is_some()
                    || v.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            other => panic!("unknown type {other}"),
        }
    }

    fn check(root: &Value, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            check(root, resolve(root, r), v, at, errors);
            return;
        }
        if let Some(t) = s.get("type") {
            let ok = match t {
                Value::String(t) => type_ok(t, v),
                Value::Array(ts) => ts.iter().any(|t| type_ok(t.as_str().expect("type"), v)),
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: {v} is not of type {t}"));
                return;
            }
        }
        if let Some(e) = s.get("enum").and_then(Value::as_array) {
            if !e.contains(v) {
                errors.push(format!(
                    "{at}: {v} is not one of {}",
                    Value::Array(e.clone())
                ));
            }
        }
        if let (Some(min), Some(n)) = (s.get("minimum").and_then(Value::as_f64), v.as_f64()) {
            if n < min {
                errors.push(format!("{at}: {n} < minimum {min}"));
            }
        }
        if let (Some(max), Some(n)) = (s.get("maximum").and_then(Value::as_f64), v.as_f64()) {
            if n > max {
                errors.push(format!("{at}: {n} > maximum {max}"));
            }
        }
        if let (Some(p), Some(text)) = (s.get("pattern").and_then(Value::as_str), v.as_str()) {
            if !regex::Regex::new(p).expect("schema pattern").is_match(text) {
                errors.push(format!("{at}: {text:?} does not match {p}"));
            }
        }
        if let (Some(f), Some(text)) = (s.get("format").and_then(Value::as_str), v.as_str()) {
            let ok = match f {
                "uri" => {
                    text.split_once(':').is_some_and(|(scheme, _)| {
                        !scheme.is_empty()
                            && scheme
                                .chars()
                                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
                    }) && !text.contains(char::is_whitespace)
                }
                "uri-reference" => !text.contains(char::is_whitespace),
                "date-time" => {
                    regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
                        .expect("re")
                        .is_match(text)
                }
                _ => true,
            };
            if !ok {
                errors.push(format!("{at}: {text:?} is not a valid {f}"));
            }
        }
        if let Some(obj) = v.as_object() {
            for r in s
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let r = r.as_str().expect("required name");
                if !obj.contains_key(r) {
                    errors.push(format!("{at}: missing required {r:?}"));
                }
            }
            let props = s.get("properties").and_then(Value::as_object);
            for (k, val) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(ps) => check(root, ps, val, &format!("{at}.{k}"), errors),
                    None => match s.get("additionalProperties") {
                        Some(Value::Bool(false)) => {
                            errors.push(format!("{at}: unexpected property {k:?}"))
                        }
                        Some(ap @ Value::Object(_)) => {
                            check(root, ap, val, &format!("{at}.{k}"), errors)
                        }
                        _ => {}
                    },
                }
            }
        }
        if let Some(arr) = v.as_array() {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
                if (arr.len() as u64) < min {
                    errors.push(format!("{at}: fewer than {min} items"));
                }
            }
            if s.get("uniqueItems") == Some(&Value::Bool(true)) {
                for (i, a) in arr.iter().enumerate() {
                    if arr[..i].contains(a) {
                        errors.push(format!("{at}[{i}]: duplicate item"));
                    }
                }
            }
            if let Some(items) = s.get("items") {
                for (i, item) in arr.iter().enumerate() {
                    check(root, items, item, &format!("{at}[{i}]"), errors);
                }
            }
        }
        let passes = |sub: &Value| {
            let mut e = Vec::new();
            check(root, sub, v, at, &mut e);
            e.is_empty()
        };
        if let Some(all) = s.get("allOf").and_then(Value::as_array) {
            for sub in all {
                check(root, sub, v, at, errors);
            }
        }
        if let Some(any) = s.get("anyOf").and_then(Value::as_array) {
            if !any.iter().any(passes) {
                errors.push(format!("{at}: matches none of anyOf"));
            }
        }
        if let Some(one) = s.get("oneOf").and_then(Value::as_array) {
            let n = one.iter().filter(|sub| passes(sub)).count();
            if n != 1 {
                errors.push(format!("{at}: matches {n} of oneOf, not exactly one"));
            }
        }
    }
}

/// `--hosts-dir` and `--containerd-config`: the node's own files are parsed as containerd
/// parses them, and directories K3s is about to delete are named.
#[test]
fn node_files_are_checked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let certs = tmp.path().join("certs.d");
    // K3s writes docker.io/ for this file, so the certificate a user put there is lost.
    fs::create_dir_all(certs.join("docker.io")).expect("mkdir");
    fs::write(certs.join("docker.io/ca.crt"), "x").expect("write");
    fs::write(
        certs.join("docker.io/hosts.toml"),
        "# File generated by k3s. DO NOT EDIT.\nserver = \"https://registry-1.docker.io/v2\"\n",
    )
    .expect("write");
    // A hand-written file containerd cannot parse.
    fs::create_dir_all(certs.join("quay.io")).expect("mkdir");
    fs::write(
        certs.join("quay.io/hosts.toml"),
        "[host.\"https://q.example.com\"]\n  capabilities = [\"pull\"\n",
    )
    .expect("write");
    // containerd's host_port_ form is looked up before K3s's registry.example.com:5000.
    fs::create_dir_all(certs.join("registry.example.com_5000_")).expect("mkdir");
    fs::write(
        certs.join("registry.example.com_5000_/hosts.toml"),
        "server = \"https://registry.example.com:5000\"\n",
    )
    .expect("write");
    fs::write(
        tmp.path().join("config.toml"),
        "version = 3\n[plugins.'x'.registry.configs.'a'b'.auth]\n  password = \"p\"\n",
    )
    .expect("write");
    fs::write(
        tmp.path().join("registries.yaml"),
        "mirrors:\n  docker.io:\n    endpoint: [\"https://mirror.example.com\"]\n  registry.example.com:5000:\n    endpoint: [\"https://mirror.example.com\"]\n",
    )
    .expect("write");
    let r = run_in(
        tmp.path(),
        &[
            "audit",
            "--registries",
            "registries.yaml",
            "--hosts-dir",
            "certs.d",
            "--containerd-config",
            "config.toml",
            "--format",
            "json",
        ],
        None,
    );
    let doc = json(&r);
    let find = |code: &str, file: &str| {
        doc["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["code"] == code && f["file"].as_str().is_some_and(|f| f.ends_with(file)))
            .cloned()
            .unwrap_or_else(|| panic!("no {code} for {file}:\n{}", r.stdout))
    };
    let deleted = find("unmanaged-hosts-dir", "docker.io/hosts.toml");
    assert!(
        deleted["message"]
            .as_str()
            .expect("message")
            .contains("will be deleted by K3s at its next start")
            && deleted["message"].as_str().expect("m").contains("ca.crt"),
        "{deleted}"
    );
    let invalid = find("hosts-toml-invalid", "quay.io/hosts.toml");
    // go-toml: "expected character ] but the document ended here", at the end.
    assert_eq!(invalid["line"], 3, "{invalid}");
    let port = find(
        "unmanaged-hosts-dir",
        "registry.example.com_5000_/hosts.toml",
    );
    assert!(
        port["message"]
            .as_str()
            .expect("m")
            .contains("before K3s's certs.d/registry.example.com:5000"),
        "{port}"
    );
    let config = find("config-toml-invalid", "config.toml");
    assert_eq!(config["line"], 2, "{config}");
    assert_eq!(r.code, 1);
    // The config.toml line shown under the finding has its password masked.
    let t = run_in(
        tmp.path(),
        &[
            "audit",
            "--registries",
            "registries.yaml",
            "--hosts-dir",
            "certs.d",
            "--containerd-config",
            "config.toml",
        ],
        None,
    );
    assert!(!t.stdout.contains("password = \"p\""), "{}", t.stdout);
    // A registries file named on the command line must exist, --hosts-dir or not.
    let r = run_in(
        tmp.path(),
        &[
            "audit",
            "--registries",
            "missing.yaml",
            "--hosts-dir",
            "certs.d",
        ],
        None,
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("must exist"), "{}", r.stderr);
    // K3s's default file missing, with --hosts-dir: K3s runs without one; the files still count
    // (checked where this machine has no /etc/rancher/k3s/registries.yaml, as CI's).
    if !std::path::Path::new("/etc/rancher/k3s/registries.yaml").exists() {
        let r = run_in(tmp.path(), &["audit", "--hosts-dir", "certs.d"], None);
        assert!(r.stderr.contains("does not exist"), "{}", r.stderr);
        assert!(
            r.stdout.contains("error[hosts-toml-invalid]"),
            "{}",
            r.stdout
        );
    }
}
