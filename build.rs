//! Generates one integration test per render fixture, so that a failing case is named by its
//! test: `fixtures::corners::yaml_crlf`, `fixtures::eras::v1_34_3::production`. The cases are
//! the directories holding a `registries.yaml` under `examples/`, `tests/fixtures/k3s-unit/`,
//! `tests/fixtures/corners/` and `tests/fixtures/eras/<K3s version>/` (rendered with
//! `--k3s-version <that version>`). The tests are included by `tests/integration/fixtures.rs`.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    for dir in ["examples", "tests/fixtures"] {
        println!("cargo:rerun-if-changed={dir}");
    }
    let mut code = String::new();
    group(&mut code, &root, "examples", "examples", None);
    group(
        &mut code,
        &root,
        "k3s_unit",
        "tests/fixtures/k3s-unit",
        None,
    );
    group(&mut code, &root, "corners", "tests/fixtures/corners", None);
    code.push_str("mod eras {\n");
    for version in subdirs(&root.join("tests/fixtures/eras")) {
        let dir = format!("tests/fixtures/eras/{version}");
        group(&mut code, &root, &ident(&version), &dir, Some(&version));
    }
    code.push_str("}\n");
    fs::write(out.join("fixture_tests.rs"), code).expect("write fixture_tests.rs");
}

/// One module of tests, one per case directory below `dir`.
fn group(code: &mut String, root: &Path, module: &str, dir: &str, version: Option<&str>) {
    let _ = writeln!(code, "mod {module} {{");
    for case in subdirs(&root.join(dir)) {
        if !root.join(dir).join(&case).join("registries.yaml").is_file() {
            continue;
        }
        let _ = writeln!(
            code,
            "    #[test]\n    fn {}() {{\n        crate::fixtures::check({:?}, {:?});\n    }}",
            ident(&case),
            format!("{dir}/{case}"),
            version
        );
    }
    code.push_str("}\n");
}

/// The directory names below `dir`, sorted.
fn subdirs(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// A Rust identifier for a directory name: `-` and `.` become `_`; a leading digit gets `_`.
fn ident(name: &str) -> String {
    let mut s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}
