//! Differential tests against K3s's own code: generated registries files ([`gen`]) rendered by
//! us and by the oracle in `tools/oracle/` (K3s's registry code, compiled from a K3s commit),
//! compared byte for byte and for refusals.
//!
//! - [`corpus_matches_k3s`] runs in every `cargo test`, offline and without Go: it renders the
//!   committed corpus (`tests/fixtures/differential/corpus.txt`: generated cases with what the
//!   oracle wrote for them) and compares.
//! - [`against_the_oracle`] is ignored: `tools/differential.sh` builds the oracle and runs it
//!   over as many fresh cases as asked (15,000+ is the usual run), and can rewrite the corpus.
//!
//! Rendering here is in-process (load, translate, render), which is the binary's pipeline
//! without the writer; the generator keeps registry names that are directory names (no `/` that
//! leaves certs.d), and the cases the oracle cannot lay out as files are skipped.

mod corpus;
mod gen;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::go::filepath;
use crate::k3s::node::{ConfigVersion, NodeOptions};
use crate::k3s::render::Renderer;
use crate::k3s::translate::translate;
use crate::k3s::versions;
use crate::registries::load_str_without_positions;
use corpus::{Corpus, Entry, Outcome};

/// The repository's root.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A unified diff of two files, whitespace made visible.
fn bytes_diff(expected: &[u8], actual: &[u8]) -> String {
    let show = |b: &[u8]| {
        String::from_utf8_lossy(b)
            .replace('\t', "⇥")
            .replace('\r', "␍")
            .lines()
            .map(|l| {
                let trimmed = l.trim_end_matches(' ');
                format!("{trimmed}{}⏎\n", "·".repeat(l.len() - trimmed.len()))
            })
            .collect::<String>()
    };
    let (e, a) = (show(expected), show(actual));
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .header("expected", "actual")
        .to_string()
}

/// The corpus's place in the repository.
const CORPUS: &str = "tests/fixtures/differential/corpus.txt";

/// The node for `args` (`--embedded-registry`, `--disable-default-registry-endpoint`) on K3s
/// `version`.
fn node(args: &[String], version: &str) -> NodeOptions {
    let k3s = versions::resolve(version).expect("a modelled K3s version");
    NodeOptions {
        k3s,
        pause_image: k3s.era.pause_image.to_string(),
        embedded_registry: args.iter().any(|a| a == "--embedded-registry"),
        disable_default_registry_endpoint: args
            .iter()
            .any(|a| a == "--disable-default-registry-endpoint"),
        ..NodeOptions::default()
    }
}

/// What we do with a case: refuse it, or write these files.
fn ours(renderer: &Renderer, input: &[u8], args: &[String], version: &str) -> Outcome {
    let Ok(loaded) = load_str_without_positions(input, "registries.yaml") else {
        return Outcome::Refused;
    };
    let mut n = node(args, version);
    let model = translate(&loaded.registry, &n);
    let Ok(r) = renderer.render(&model) else {
        return Outcome::Refused;
    };
    let mut tree = BTreeMap::new();
    tree.insert(b"config.toml".to_vec(), r.config_toml);
    for h in r.hosts {
        // Where K3s's filepath.Join puts it.
        let mut path = filepath::join_bytes(&[b"certs.d", h.dir.as_bytes()]);
        path.extend_from_slice(b"/hosts.toml");
        tree.insert(path, h.contents);
    }
    n.config_version = ConfigVersion::V2;
    let model = translate(&loaded.registry, &n);
    let v2 = renderer.render(&model).ok().map(|r| r.config_toml);
    Outcome::Files { tree, v2 }
}

/// How `got` differs from `want`, for people.
fn difference(want: &Outcome, got: &Outcome) -> Option<String> {
    match (want, got) {
        (Outcome::Refused, Outcome::Refused) => None,
        (Outcome::Refused, Outcome::Files { .. }) => Some("K3s refuses it; we accept it".into()),
        (Outcome::Files { .. }, Outcome::Refused) => Some("K3s accepts it; we refuse it".into()),
        (Outcome::Files { tree: wt, v2: wv2 }, Outcome::Files { tree: gt, v2: gv2 }) => {
            let mut out = String::new();
            for (p, w) in wt {
                let name = String::from_utf8_lossy(p);
                match gt.get(p) {
                    None => out += &format!("missing {name}\n"),
                    Some(g) if g != w => out += &format!("{name} differs:\n{}", bytes_diff(w, g)),
                    Some(_) => {}
                }
            }
            for p in gt.keys().filter(|p| !wt.contains_key(*p)) {
                out += &format!("unexpected {}\n", String::from_utf8_lossy(p));
            }
            if let (Some(w), Some(g)) = (wv2, gv2) {
                if w != g {
                    out += &format!("config.toml (v2) differs:\n{}", bytes_diff(w, g));
                }
            }
            (!out.is_empty()).then_some(out)
        }
    }
}

/// The K3s version a corpus header names (`v1.36.3 ...`).
fn version_of(k3s: &str) -> &str {
    k3s.split_whitespace().next().unwrap_or("latest")
}

/// The committed corpus renders exactly as K3s's code rendered it.
#[test]
fn corpus_matches_k3s() {
    let text = std::fs::read_to_string(root().join(CORPUS)).expect("read the corpus");
    let c = Corpus::parse(&text).expect("parse the corpus");
    assert!(
        c.entries.len() >= 500,
        "corpus has {} cases",
        c.entries.len()
    );
    let version = version_of(&c.k3s);
    let renderer = Renderer::new().expect("templates");
    let mut failures = Vec::new();
    for e in &c.entries {
        if let Some(d) = difference(&e.outcome, &ours(&renderer, &e.input, &e.args, version)) {
            failures.push(format!(
                "case {} (args {:?}): {d}\ninput: {:?}",
                e.index,
                e.args,
                String::from_utf8_lossy(&e.input)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} generated cases differ from K3s:\n\n{}",
        failures.len(),
        c.entries.len(),
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The corpus is what the generator makes for its seed, so a larger run with the same seed
/// extends it: a changed generator needs a regenerated corpus (`tools/differential.sh`).
#[test]
fn corpus_is_the_generators_output() {
    let text = std::fs::read_to_string(root().join(CORPUS)).expect("read the corpus");
    let c = Corpus::parse(&text).expect("parse the corpus");
    for e in c.entries.iter().take(200) {
        let g = gen::generate(c.seed, e.index);
        assert_eq!(
            (&g.input, g.args.join(" ")),
            (&e.input, e.args.join(" ")),
            "case {}",
            e.index
        );
    }
}

/// The generator reaches the corners it is for.
#[test]
fn generator_reaches_the_corners() {
    let cases: Vec<gen::Case> = (0..3000).map(|i| gen::generate(7, i)).collect();
    let has = |needle: &[u8]| {
        cases
            .iter()
            .filter(|c| c.input.windows(needle.len()).any(|w| w == needle))
            .count()
    };
    for (what, needle) in [
        ("LS", "\u{2028}".as_bytes()),
        ("PS", "\u{2029}".as_bytes()),
        ("NEL", "\u{85}".as_bytes()),
        ("U+10FFFF", "\u{10ffff}".as_bytes()),
        ("U+10FF41", "\u{10ff41}".as_bytes()),
        ("\\U0010ff escape", b"\\U0010ff"),
        ("tab", b"\t"),
        ("comment", b" #"),
        ("flow mapping", b"{"),
        ("flow sequence", b"["),
        ("x: before ,", b":,"),
        ("document start", b"---"),
        ("document end", b"..."),
        ("BOM", "\u{feff}".as_bytes()),
        ("!!binary", b"!!binary"),
        ("alias", b"*a"),
        ("merge key", b"<<"),
        ("CRLF", b"\r\n"),
        ("single quote", b"'"),
        ("block scalar", b": |"),
    ] {
        assert!(
            has(needle) >= 10,
            "only {} of 3000 cases have {what}",
            has(needle)
        );
    }
    assert!(
        cases.iter().any(|c| c.input.len() > 1536),
        "no case past 1,536 bytes"
    );
    assert!(cases
        .iter()
        .any(|c| c.args.contains(&"--embedded-registry")));
    // Determinism: the same case twice.
    assert_eq!(gen::generate(7, 42), gen::generate(7, 42));
}

/// The corpus format round-trips.
#[test]
fn corpus_format_round_trips() {
    let mut tree = BTreeMap::new();
    tree.insert(b"config.toml".to_vec(), b"a\n\nb \n".to_vec());
    tree.insert(
        b"certs.d/\xff x/hosts.toml".to_vec(),
        b"\r\n\xff\n".to_vec(),
    );
    let c = Corpus {
        seed: 9,
        k3s: "v1.36.3 test".into(),
        entries: vec![
            Entry {
                index: 3,
                args: vec!["--embedded-registry".into()],
                input: b"a: b".to_vec(),
                outcome: Outcome::Refused,
            },
            Entry {
                index: 4,
                args: vec![],
                input: Vec::new(),
                outcome: Outcome::Files {
                    tree,
                    v2: Some(b"x".to_vec()),
                },
            },
        ],
    };
    let back = Corpus::parse(&c.write()).expect("parses");
    assert_eq!(back.entries, c.entries);
    assert_eq!((back.seed, back.k3s.as_str()), (9, "v1.36.3 test"));
}

/// Reads what the oracle wrote for one case directory; `None` when it skipped the case.
fn read_outcome(dir: &Path) -> Option<Outcome> {
    if dir.join("oracle-skipped").exists() {
        return None;
    }
    if dir.join("expected-error").exists() {
        return Some(Outcome::Refused);
    }
    let mut tree = BTreeMap::new();
    read_tree(&dir.join("expected"), Vec::new(), &mut tree);
    let v2 = std::fs::read(dir.join("expected-v2/config.toml")).ok();
    Some(Outcome::Files { tree, v2 })
}

fn read_tree(dir: &Path, prefix: Vec<u8>, out: &mut BTreeMap<Vec<u8>, Vec<u8>>) {
    use std::os::unix::ffi::OsStrExt;
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let mut rel = prefix.clone();
        if !rel.is_empty() {
            rel.push(b'/');
        }
        rel.extend_from_slice(e.file_name().as_bytes());
        let p = e.path();
        if p.is_dir() {
            read_tree(&p, rel, out);
        } else if let Ok(b) = std::fs::read(&p) {
            out.insert(rel, b);
        }
    }
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Fresh cases against the oracle, at scale. Run by `tools/differential.sh`, which sets
/// `K3S_ORACLE` (the oracle binary) and `K3S_VERSION` (the release it was built from); also
/// read: `DIFF_SEED`, `DIFF_START`, `DIFF_COUNT`, `DIFF_WORK` (a scratch directory) and
/// `DIFF_WRITE_CORPUS` (write the first `DIFF_CORPUS_SIZE` compared cases as the corpus).
#[test]
#[ignore]
#[allow(clippy::print_stderr)]
fn against_the_oracle() {
    let oracle = std::env::var("K3S_ORACLE")
        .expect("K3S_ORACLE: the oracle binary (tools/differential.sh builds and sets it)");
    let version = std::env::var("K3S_VERSION").unwrap_or_else(|_| "latest".into());
    let k3s = std::env::var("K3S_SOURCE").unwrap_or_default();
    let seed = env_u64("DIFF_SEED", 2026);
    let start = env_u64("DIFF_START", 0);
    let count = env_u64("DIFF_COUNT", 15_000);
    let work = std::env::var("DIFF_WORK")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            let base = if Path::new("/dev/shm").is_dir() {
                PathBuf::from("/dev/shm")
            } else {
                std::env::temp_dir()
            };
            base.join(format!(
                "k3s-registries-differential-{}",
                std::process::id()
            ))
        });
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("scratch directory");
    for i in start..start + count {
        let c = gen::generate(seed, i);
        let dir = work.join(format!("{i:08}"));
        std::fs::create_dir(&dir).expect("case directory");
        std::fs::write(dir.join("registries.yaml"), &c.input).expect("write input");
        std::fs::write(dir.join("args"), c.args.join(" ") + "\n").expect("write args");
    }
    let status = std::process::Command::new(&oracle)
        .arg("-q")
        .arg(&work)
        .status()
        .expect("run the oracle");
    eprintln!("oracle exit status: {status}");

    let renderer = Renderer::new().expect("templates");
    let (mut compared, mut skipped, mut refused) = (0u64, 0u64, 0u64);
    let mut failures = Vec::new();
    let mut entries = Vec::new();
    for i in start..start + count {
        let dir = work.join(format!("{i:08}"));
        let Some(want) = read_outcome(&dir) else {
            skipped += 1;
            continue;
        };
        let c = gen::generate(seed, i);
        let args: Vec<String> = c.args.iter().map(|s| s.to_string()).collect();
        compared += 1;
        refused += u64::from(want == Outcome::Refused);
        if let Some(d) = difference(&want, &ours(&renderer, &c.input, &args, &version)) {
            failures.push(format!(
                "case {i} (args {args:?}): {d}\ninput: {:?}\nK3s: {}",
                String::from_utf8_lossy(&c.input),
                std::fs::read_to_string(dir.join("expected-error")).unwrap_or_default()
            ));
        }
        entries.push(Entry {
            index: i,
            args,
            input: c.input,
            outcome: want,
        });
    }
    eprintln!(
        "seed {seed}, cases {start}..{}: {compared} compared ({refused} refused by K3s), {skipped} skipped by the oracle, {} differences",
        start + count,
        failures.len()
    );
    for f in failures.iter().take(25) {
        eprintln!("\n{f}");
    }
    if let Ok(path) = std::env::var("DIFF_WRITE_CORPUS") {
        let size = env_u64("DIFF_CORPUS_SIZE", 1500) as usize;
        entries.truncate(size);
        let corpus = Corpus {
            seed,
            k3s: format!("{version} {k3s}").trim().to_string(),
            entries,
        };
        std::fs::write(&path, corpus.write()).expect("write the corpus");
        eprintln!("wrote {path}");
    }
    if std::env::var("DIFF_KEEP").is_err() {
        let _ = std::fs::remove_dir_all(&work);
    }
    assert!(failures.is_empty(), "{} differences", failures.len());
}

#[test]
#[ignore]
#[allow(clippy::print_stderr)]
fn show_cases() {
    let n = env_u64("SHOW", 10);
    for i in 0..n {
        let c = gen::generate(env_u64("DIFF_SEED", 2026), i);
        eprintln!(
            "=== {i} {:?}\n{}",
            c.args,
            String::from_utf8_lossy(&c.input)
        );
    }
}
