//! explain and audit stand on one model of containerd, so they must never disagree, whichever
//! containerd build they model (`--containerd`). Checked over generated registries files and over
//! every fixture tree (the registries files of examples/
//! and tests/fixtures/, and the trees K3s's own code wrote for them, read as a node's
//! `--hosts-dir`):
//!
//! - audit reports a hosts.toml problem (`hosts-toml-invalid`) for a directory if and only if
//!   explain, for an image whose registry containerd looks up there, says containerd cannot use
//!   the file;
//! - audit and explain agree on which credentials reach which host: a configs key is
//!   `auth-never-used` for audit exactly when no request explain lists goes to that host with
//!   credentials from config.toml, and `credentials-over-http` names exactly the hosts explain
//!   sends credentials to over plain HTTP (always or after the HTTPS attempt).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::audit::{check, ConfigToml, Input, NodeFiles, Options, Report};
use crate::containerd::cri::parse_config_toml;
use crate::containerd::docker::is_localhost;
use crate::containerd::hosts_dir::{
    host_directory, CertFilesReason, CertsTree, Source, DEFAULT_DIR,
};
use crate::containerd::image_ref::parse_docker_ref;
use crate::containerd::Flavor;
use crate::diag::{Code, Diagnostic};
use crate::explain::{explain, Explanation, Files, TlsMode};
use crate::k3s::node::NodeOptions;
use crate::k3s::render::Renderer;
use crate::k3s::translate::translate;
use crate::registries::{self, Registry};

/// What explain and audit disagree on.
#[derive(Debug)]
struct Disagreement(String);

impl std::fmt::Display for Disagreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registry name no file mentions: it stands for every registry without a directory.
const OTHER: &str = "other-registry.invalid";

/// The registries images can name that a file configures, plus Docker Hub and one it does not.
fn image_registries(reg: &Registry) -> Vec<String> {
    let mut names: Vec<String> = reg
        .mirrors
        .keys()
        .chain(reg.configs.keys())
        .filter_map(|k| k.to_str())
        .filter(|k| parse_docker_ref(&format!("{k}/x")).is_ok_and(|r| r.domain == *k))
        .map(str::to_string)
        .collect();
    names.push("docker.io".to_string());
    names.push(OTHER.to_string());
    names.sort();
    names.dedup();
    names
}

fn explain_for(registry: &str, files: &Files, flavor: Flavor) -> Explanation {
    let input = format!("{registry}/team/app:1");
    let image = parse_docker_ref(&input).expect("valid reference");
    explain(&input, &image, files, flavor)
}

/// The builds explain and audit model.
const FLAVORS: [Flavor; 3] = [Flavor::K3sFork, Flavor::Upstream, Flavor::Containerd16];

/// The builds a fixture case is checked for: all of them for the examples and the corners (the
/// K3s unit cases and the eras add no hosts.toml the corners lack; checking them once keeps the
/// test fast), K3s's fork for the rest.
fn flavors_for(case: &Path) -> &'static [Flavor] {
    let group = case.parent().and_then(Path::file_name);
    if group.is_some_and(|g| g == "examples" || g == "corners") {
        &FLAVORS
    } else {
        &FLAVORS[..1]
    }
}

fn audit_options(flavor: Flavor) -> Options {
    Options {
        flavor,
        ..Options::default()
    }
}

/// The directory a finding about registries.yaml is about (its mirrors/configs key's), or the
/// node directory a finding about a node's file is in.
fn finding_dir(f: &Diagnostic, tree_root: Option<&str>) -> Option<String> {
    let l = f.location.as_ref()?;
    if let Some(root) = tree_root {
        let rel = l.file.strip_prefix(root)?.strip_prefix('/')?;
        return rel.split('/').next().map(str::to_string);
    }
    match l.path.first().map(String::as_str) {
        Some("mirrors" | "configs") => l.path.get(1).map(|k| {
            if k == "*" {
                DEFAULT_DIR.to_string()
            } else {
                k.clone()
            }
        }),
        _ => None,
    }
}

fn dirs_with(report: &Report, code: Code, tree_root: Option<&str>) -> BTreeSet<String> {
    report
        .findings
        .iter()
        .filter(|f| f.code == code)
        .filter_map(|f| finding_dir(f, tree_root))
        .collect()
}

/// The directories explain says containerd cannot use, and every directory it visits.
fn explained_dirs(
    explanations: &[Explanation],
    tree: &CertsTree,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut invalid = BTreeSet::new();
    let mut visited = BTreeSet::new();
    for e in explanations {
        let Some(shown) = &e.hosts_dir else { continue };
        let Some(dir) = shown.strip_prefix(&format!("{}/", tree.display_root)) else {
            continue;
        };
        visited.insert(dir.to_string());
        if matches!(e.source, Source::CertFiles(CertFilesReason::Invalid(_))) {
            invalid.insert(dir.to_string());
        }
    }
    (invalid, visited)
}

/// The first property: the directories with a `hosts-toml-invalid` finding are exactly those
/// explain says containerd cannot use, among the directories explain visits (audit also looks
/// at directories no image's registry leads to). `tree_root` locates findings about a node's
/// files; without it, findings are about registries.yaml keys.
fn same_hosts_toml_problems(
    report: &Report,
    explanations: &[Explanation],
    tree: &CertsTree,
    tree_root: Option<&str>,
) -> Result<(), Disagreement> {
    let (invalid, visited) = explained_dirs(explanations, tree);
    let audited: BTreeSet<String> = dirs_with(report, Code::HostsTomlInvalid, tree_root)
        .into_iter()
        .filter(|d| visited.contains(d))
        .collect();
    if audited != invalid {
        return Err(Disagreement(format!(
            "hosts.toml problems under {}: audit {audited:?}, explain {invalid:?}",
            tree.display_root
        )));
    }
    Ok(())
}

/// Checks both properties for one registries file (as text) on one node. Returns a description
/// of the first disagreement.
fn agree(yaml: &[u8], node: &NodeOptions, flavor: Flavor) -> Result<(), Disagreement> {
    let Ok(loaded) = registries::load_str(yaml, "r.yaml") else {
        return Ok(()); // K3s refuses the file: nothing to explain
    };
    let model = translate(&loaded.registry, node);
    let Ok(rendered) = Renderer::new().expect("templates").render(&model) else {
        return Ok(()); // K3s fails to render: explain exits 2
    };
    let files = Files::rendered("r.yaml", &model, &rendered);
    let input = Input {
        name: "r.yaml".to_string(),
        path: None,
        bytes: yaml.to_vec(),
    };
    let report =
        check(&input, node, &audit_options(flavor), &NodeFiles::default()).expect("audit runs");
    let explanations: Vec<Explanation> = image_registries(&loaded.registry)
        .iter()
        .map(|r| explain_for(r, &files, flavor))
        .collect();

    // hosts.toml problems, per directory containerd looks up.
    same_hosts_toml_problems(&report, &explanations, &files.node.tree, None)?;

    // Credentials: which configs keys reach a host, and which go over plain HTTP.
    let Some(Ok(cri)) = &files.node.config else {
        return Ok(());
    };
    let reached: BTreeSet<&str> = explanations
        .iter()
        .flat_map(|e| e.attempts.iter())
        .filter(|a| a.refused.is_none() && cri.auths.contains_key(&a.host))
        .map(|a| a.host.as_str())
        .collect();
    let never_used: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::AuthNeverUsed)
        .filter_map(|f| f.location.as_ref()?.path.get(1).cloned())
        .collect();
    for key in loaded
        .registry
        .configs
        .iter()
        .filter(|(k, c)| c.auth.is_some() && **k != "*")
        .map(|(k, _)| k)
    {
        let key = key.to_display();
        let explain_says = reached.contains(key.as_ref());
        let audit_says = !never_used.contains(key.as_ref());
        if explain_says != audit_says {
            return Err(Disagreement(format!(
                "credentials under {key:?}: explain {}, audit {}",
                if explain_says {
                    "sends them"
                } else {
                    "never sends them"
                },
                if audit_says {
                    "has them used"
                } else {
                    "says auth-never-used"
                }
            )));
        }
    }
    let explain_http: BTreeSet<&str> = explanations
        .iter()
        .flat_map(|e| e.attempts.iter())
        .filter(|a| {
            a.credentials.is_some() && a.tls.mode != TlsMode::Https && !is_localhost(&a.host)
        })
        .map(|a| a.host.as_str())
        .collect();
    let audit_http: BTreeSet<String> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::CredentialsOverHttp)
        .filter_map(|f| f.related.first()?.location.path.get(1).cloned())
        .collect();
    let audit_http: BTreeSet<&str> = audit_http.iter().map(String::as_str).collect();
    // audit looks at every directory K3s writes; explain at those an image's registry uses.
    let visited_hosts: BTreeSet<&str> = explanations
        .iter()
        .flat_map(|e| e.attempts.iter())
        .map(|a| a.host.as_str())
        .collect();
    let audit_http: BTreeSet<&str> = audit_http
        .into_iter()
        .filter(|h| visited_hosts.contains(h))
        .collect();
    if audit_http != explain_http {
        return Err(Disagreement(format!(
            "credentials over plain HTTP: audit {audit_http:?}, explain {explain_http:?}"
        )));
    }
    Ok(())
}

/// The hosts.toml property for a node's tree (`--hosts-dir`), e.g. what K3s's own code wrote.
fn agree_on_node(
    tree_dir: &Path,
    config: Option<&Path>,
    flavor: Flavor,
) -> Result<(), Disagreement> {
    let tree = CertsTree::read(tree_dir).map_err(|e| Disagreement(e.to_string()))?;
    let config_file = config.map(|p| {
        let bytes = std::fs::read(p).expect("config.toml");
        ConfigToml {
            name: p.display().to_string(),
            parsed: parse_config_toml(&bytes),
            bytes,
        }
    });
    let files = Files::node(
        &tree_dir.display().to_string(),
        tree.clone(),
        config_file
            .as_ref()
            .map(|c| (c.name.as_str(), c.parsed.clone())),
    );
    let node_files = NodeFiles {
        hosts_dir: Some(tree.clone()),
        config: config_file,
        k3s: None,
    };
    let input = Input {
        name: "r.yaml".to_string(),
        path: None,
        bytes: Vec::new(),
    };
    let report = check(
        &input,
        &NodeOptions::default(),
        &audit_options(flavor),
        &node_files,
    )
    .expect("audit runs");
    // The registry each directory stands for.
    let registries: Vec<String> = tree
        .names()
        .map(|d| {
            if d == DEFAULT_DIR {
                return OTHER.to_string();
            }
            match d.strip_suffix('_').and_then(|s| s.rsplit_once('_')) {
                Some((h, p)) if host_directory(&format!("{h}:{p}")) == d => format!("{h}:{p}"),
                _ => d.to_string(),
            }
        })
        .filter(|r| parse_docker_ref(&format!("{r}/x")).is_ok_and(|i| i.domain == *r))
        .collect();
    let explanations: Vec<Explanation> = registries
        .iter()
        .map(|r| explain_for(r, &files, flavor))
        .collect();
    same_hosts_toml_problems(&report, &explanations, &tree, Some(&tree.display_root))
}

/// The node flags of a fixture's `args` that change what K3s writes.
fn fixture_node(args: &str) -> NodeOptions {
    let words: Vec<&str> = args.split_whitespace().collect();
    let mut node = NodeOptions::default();
    for (i, w) in words.iter().enumerate() {
        match *w {
            "--disable-default-registry-endpoint" => node.disable_default_registry_endpoint = true,
            "--embedded-registry" => node.embedded_registry = true,
            "--k3s-version" => {
                if let Some(v) = words.get(i + 1) {
                    node.k3s = crate::k3s::versions::resolve(v).expect("fixture version");
                }
            }
            _ => {}
        }
    }
    node
}

fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// Every case directory (holding registries.yaml) of the render fixtures.
fn fixture_cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut groups = vec![
        root.join("examples"),
        root.join("tests/fixtures/k3s-unit"),
        root.join("tests/fixtures/corners"),
    ];
    groups.extend(subdirs(&root.join("tests/fixtures/eras")));
    groups
        .iter()
        .flat_map(|g| subdirs(g))
        .filter(|c| c.join("registries.yaml").is_file())
        .collect()
}

#[test]
fn every_fixture_registries_file() {
    let cases = fixture_cases();
    assert!(cases.len() > 100, "{} cases", cases.len());
    for case in cases {
        let yaml = std::fs::read(case.join("registries.yaml")).expect("registries.yaml");
        let args = std::fs::read_to_string(case.join("args")).unwrap_or_default();
        for &flavor in flavors_for(&case) {
            if let Err(e) = agree(&yaml, &fixture_node(&args), flavor) {
                panic!("{} ({flavor:?}): {e}", case.display());
            }
        }
    }
    let audit = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit");
    for rule in subdirs(&audit) {
        let args = std::fs::read_to_string(rule.join("args")).unwrap_or_default();
        for f in ["triggers.yaml", "clean.yaml"] {
            let yaml = std::fs::read(rule.join(f)).expect("fixture");
            for flavor in FLAVORS {
                if let Err(e) = agree(&yaml, &fixture_node(&args), flavor) {
                    panic!("{}/{f} ({flavor:?}): {e}", rule.display());
                }
            }
        }
    }
}

#[test]
fn every_fixture_tree_as_a_node() {
    let mut n = 0;
    for case in fixture_cases() {
        let expected = case.join("expected");
        if !expected.join("certs.d").is_dir() {
            continue;
        }
        let config = expected.join("config.toml");
        let config = config.is_file().then_some(config.as_path());
        for &flavor in flavors_for(&case) {
            if let Err(e) = agree_on_node(&expected.join("certs.d"), config, flavor) {
                panic!("{flavor:?}: {e}");
            }
        }
        n += 1;
    }
    assert!(n > 50, "{n} trees");
    let audit = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/audit");
    for rule in subdirs(&audit) {
        for tree in subdirs(&rule)
            .into_iter()
            .filter(|d| d.ends_with("certs.d") || d.to_string_lossy().ends_with("-certs.d"))
        {
            for flavor in FLAVORS {
                if let Err(e) = agree_on_node(&tree, None, flavor) {
                    panic!("{flavor:?}: {e}");
                }
            }
        }
    }
}

/// Registry names for the generated files: valid reference domains, Docker Hub's two names,
/// localhost, and `*`.
fn registry_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => ("[a-c]{1,2}", proptest::option::of(5000u16..5003)).prop_map(|(n, port)| match port {
            Some(p) => format!("{n}.example.com:{p}"),
            None => format!("{n}.example.com"),
        }),
        1 => Just("docker.io".to_string()),
        1 => Just("registry-1.docker.io".to_string()),
        1 => Just("localhost:5000".to_string()),
        1 => Just("*".to_string()),
    ]
}

fn endpoint() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("https://"), Just("http://"), Just("")],
        prop_oneof![
            4 => ("[a-c]{1,2}", proptest::option::of(5000u16..5003)).prop_map(|(n, port)| match port {
                Some(p) => format!("{n}.example.com:{p}"),
                None => format!("{n}.example.com"),
            }),
            1 => Just("localhost:5000".to_string()),
        ],
        prop_oneof![Just(""), Just("/v2"), Just("/cache")],
    )
        .prop_map(|(s, h, p)| format!("{s}{h}{p}"))
}

/// Rewrite patterns, some with the backslashes K3s writes unescaped into hosts.toml.
fn rewrite() -> impl Strategy<Value = (String, String)> {
    (
        prop_oneof![
            Just(r"^library/(.*)"),
            Just(r"^team/(.*)\.x$"),
            Just(r"^team/(.*)\\.x$"),
            Just(r"^team/app\e1$"),
            Just(r"^a\b(.*)"),
            Just(r"(.*)"),
        ],
        prop_oneof![Just("mirrored/$1"), Just(r"x\y/$1")],
    )
        .prop_map(|(p, r)| (p.to_string(), r.to_string()))
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    endpoints: Option<Vec<String>>,
    rewrite: Option<(String, String)>,
    auth: Option<u8>,
    tls: Option<u8>,
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        registry_name(),
        proptest::option::of(proptest::collection::vec(endpoint(), 0..3)),
        proptest::option::of(rewrite()),
        proptest::option::of(0u8..4),
        proptest::option::of(0u8..3),
    )
        .prop_map(|(name, endpoints, rewrite, auth, tls)| Entry {
            name,
            endpoints,
            rewrite,
            auth,
            tls,
        })
}

fn yaml(entries: &[Entry]) -> String {
    let q = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut y = String::from("mirrors:\n");
    for e in entries {
        if let Some(eps) = &e.endpoints {
            y += &format!(
                "  {}:\n    endpoint: [{}]\n",
                q(&e.name),
                eps.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
            );
            if let Some((p, r)) = &e.rewrite {
                y += &format!("    rewrite:\n      {}: {}\n", q(p), q(r));
            }
        }
    }
    y += "configs:\n";
    for e in entries
        .iter()
        .filter(|e| e.auth.is_some() || e.tls.is_some())
    {
        y += &format!("  {}:\n", q(&e.name));
        match e.auth {
            Some(0) => y += "    auth: {username: u, password: p}\n",
            Some(1) => y += "    auth: {auth: dTpw}\n",
            Some(2) => y += "    auth: {auth: not-base64}\n",
            Some(_) => y += "    auth: {}\n",
            None => {}
        }
        match e.tls {
            Some(0) => y += "    tls: {ca_file: /etc/ca.crt}\n",
            Some(1) => y += "    tls: {insecure_skip_verify: true}\n",
            Some(_) => y += "    tls: {key_file: /etc/k.key}\n",
            None => {}
        }
    }
    y
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn explain_and_audit_agree_on_generated_files(
        entries in proptest::collection::vec(entry(), 0..5)
            .prop_map(|mut v| { let mut seen = BTreeSet::new(); v.retain(|e| seen.insert(e.name.clone())); v }),
        disable_default in any::<bool>(),
        embedded in any::<bool>(),
        flavor in proptest::sample::select(FLAVORS.to_vec()),
    ) {
        let node = NodeOptions::with_flags(disable_default, embedded);
        let text = yaml(&entries);
        if let Err(e) = agree(text.as_bytes(), &node, flavor) {
            prop_assert!(false, "{} ({:?})\n---\n{}", e, flavor, text);
        }
    }
}
