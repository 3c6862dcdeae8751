//! Invariants of the pipeline, checked on generated registries files.

use proptest::prelude::*;

use crate::k3s::node::NodeOptions;
use crate::k3s::render::Renderer;
use crate::k3s::translate::translate;
use crate::registries::load_str;

/// One registry entry: its name, its mirror endpoints (if mirrored), its config (if any).
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    endpoints: Option<Vec<String>>,
    rewrite: Option<(String, String)>,
    user: Option<String>,
    ca: Option<String>,
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("docker.io".to_string()),
        Just("*".to_string()),
        Just("localhost:5000".to_string()),
        "[a-c]{1,3}\\.example\\.com(:50[0-9]{2})?",
    ]
}

fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![
        "(https?://)?[a-c]{1,3}\\.example\\.com(:50[0-9]{2})?(/v2|/|/cache)?",
        Just("docker.io".to_string()),
        Just("localhost:5000".to_string()),
        Just("https://ho st".to_string()),
    ]
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        name(),
        proptest::option::of(proptest::collection::vec(endpoint(), 0..4)),
        proptest::option::of(("\\^[a-z]{1,4}/\\(\\.\\*\\)", "[a-z]{1,4}/\\$1")),
        proptest::option::of("[a-z]{1,6}"),
        proptest::option::of("/etc/[a-z]{1,6}\\.crt"),
    )
        .prop_map(|(name, endpoints, rewrite, user, ca)| Entry {
            name,
            endpoints,
            rewrite,
            user,
            ca,
        })
}

/// The YAML for the entries, in the order given.
fn yaml(entries: &[Entry]) -> String {
    let mut y = String::from("mirrors:\n");
    for e in entries {
        if let Some(eps) = &e.endpoints {
            y += &format!("  {:?}:\n    endpoint:\n", e.name);
            for ep in eps {
                y += &format!("      - {ep:?}\n");
            }
            if let Some((p, r)) = &e.rewrite {
                y += &format!("    rewrite:\n      {p:?}: {r:?}\n");
            }
        }
    }
    y += "configs:\n";
    for e in entries {
        if e.user.is_some() || e.ca.is_some() {
            y += &format!("  {:?}:\n", e.name);
            if let Some(u) = &e.user {
                y += &format!("    auth:\n      username: {u:?}\n      password: pw\n");
            }
            if let Some(ca) = &e.ca {
                y += &format!("    tls:\n      ca_file: {ca:?}\n");
            }
        }
    }
    y
}

fn render(text: &str, node: &NodeOptions) -> Vec<(String, Vec<u8>)> {
    let loaded = load_str(text.as_bytes(), "gen.yaml").expect("generated YAML loads");
    let model = translate(&loaded.registry, node);
    let r = Renderer::new()
        .expect("templates")
        .render(&model)
        .expect("renders");
    let mut files = vec![("config.toml".to_string(), r.config_toml)];
    files.extend(r.hosts.into_iter().map(|h| (h.dir.to_string(), h.contents)));
    files
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Go ranges over maps in random order and K3s's output does not depend on it; ours must not
    /// depend on the order of keys in the file.
    #[test]
    fn key_order_never_changes_the_output(
        entries in proptest::collection::vec(entry(), 0..6)
            // Distinct names: a repeated key is yaml.v2's last-wins, where order does matter.
            .prop_map(|mut v| { let mut seen = std::collections::HashSet::new(); v.retain(|e| seen.insert(e.name.clone())); v }),
        seed in any::<u64>(),
        embedded in any::<bool>(),
        no_default in any::<bool>(),
    ) {
        let mut shuffled = entries.clone();
        // A deterministic shuffle from the seed.
        let mut s = seed;
        for i in (1..shuffled.len()).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        let node = NodeOptions::with_flags(no_default, embedded);
        prop_assert_eq!(render(&yaml(&entries), &node), render(&yaml(&shuffled), &node));
    }
}
