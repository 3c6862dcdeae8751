//! A small harness: run the binary, read trees, compare bytes with a readable diff.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The binary under test.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_k3s-registries"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What a run left.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// An empty directory standing for the machine's root: the tests never look at a real node's
/// K3s (a `--root` on the command line wins).
pub fn empty_root() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("empty-node-root");
    std::fs::create_dir_all(&dir).expect("mkdir empty root");
    dir
}

/// Run the binary with `args` in `cwd`, feeding `stdin`.
pub fn run_in(cwd: &Path, args: &[&str], stdin: Option<&[u8]>) -> Run {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("K3S_REGISTRIES_ROOT", empty_root())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn k3s-registries");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Run in the repository root.
pub fn run(args: &[&str]) -> Run {
    run_in(&root(), args, None)
}

/// Every file under `dir`, by path relative to it (`/`-separated).
pub fn read_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    if dir.is_dir() {
        walk(dir, dir, &mut files);
    }
    files
}

fn walk(base: &Path, dir: &Path, files: &mut BTreeMap<String, Vec<u8>>) {
    for ent in std::fs::read_dir(dir).expect("read_dir") {
        let path = ent.expect("entry").path();
        if path.is_dir() {
            walk(base, &path, files);
        } else {
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(rel, std::fs::read(&path).expect("read"));
        }
    }
}

/// The differences between two trees, as text; empty when they are byte-identical.
pub fn tree_diff(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut out = String::new();
    for name in expected.keys().filter(|k| !actual.contains_key(*k)) {
        out += &format!("missing file {name}\n");
    }
    for name in actual.keys().filter(|k| !expected.contains_key(*k)) {
        out += &format!("unexpected file {name}\n");
    }
    for (name, exp) in expected {
        if let Some(act) = actual.get(name) {
            if exp != act {
                out += &format!("{name} differs:\n{}", bytes_diff(exp, act));
            }
        }
    }
    out
}

/// A unified diff with white space made visible (`·` for spaces at line ends, `⇥` tabs, `␍` CRs).
pub fn bytes_diff(expected: &[u8], actual: &[u8]) -> String {
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

/// A case directory in the layout of shared/k3s-samples: registries.yaml, args, expected/,
/// expected-v2/config.toml, or expected-error.
#[derive(Debug)]
pub struct Case {
    pub dir: PathBuf,
    pub name: String,
}

impl Case {
    pub fn args(&self) -> Vec<String> {
        shell_words(&std::fs::read_to_string(self.dir.join("args")).unwrap_or_default())
    }

    pub fn refused(&self) -> bool {
        self.dir.join("expected-error").exists()
    }
}

/// Every case directory (one holding registries.yaml) below `dir`, sorted.
pub fn cases(dir: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    collect_cases(dir, dir, &mut out);
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn collect_cases(base: &Path, dir: &Path, out: &mut Vec<Case>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for ent in entries.flatten() {
        let path = ent.path();
        if !path.is_dir() {
            continue;
        }
        if path.join("registries.yaml").is_file() {
            let name = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .into_owned();
            out.push(Case { dir: path, name });
        } else {
            collect_cases(base, &path, out);
        }
    }
}

/// Render a case into a fresh directory; returns the run and the tree it wrote.
pub fn render_case(case: &Case, extra: &[&str]) -> (Run, BTreeMap<String, Vec<u8>>) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).expect("mkdir");
    let reg = case.dir.join("registries.yaml");
    let mut args: Vec<String> = vec![
        "render".into(),
        "--registries".into(),
        reg.to_string_lossy().into_owned(),
        "--output".into(),
        out.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(case.args());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_in(tmp.path(), &argv, None);
    let tree = read_tree(&out);
    (run, tree)
}

/// Check one case against the files K3s writes, rendering with `extra` arguments; `Err` holds
/// what differs.
pub fn check_case(case: &Case, extra: &[&str]) -> Result<(), String> {
    let (run, tree) = render_case(case, extra);
    if case.refused() {
        return if run.code == 0 {
            Err(format!(
                "{}: K3s refuses this input, but render exited 0",
                case.name
            ))
        } else {
            Ok(())
        };
    }
    if run.code != 0 {
        return Err(format!("{}: exit {}: {}", case.name, run.code, run.stderr));
    }
    let mut failures = Vec::new();
    let diff = tree_diff(&read_tree(&case.dir.join("expected")), &tree);
    if !diff.is_empty() {
        failures.push(format!("{}:\n{diff}", case.name));
    }
    let v2 = case.dir.join("expected-v2/config.toml");
    if v2.is_file() {
        let mut args = extra.to_vec();
        args.extend(["--config-version", "2"]);
        let (run, tree) = render_case(case, &args);
        let expected = std::fs::read(&v2).expect("read expected-v2");
        match tree.get("config.toml") {
            Some(actual) if run.code == 0 && *actual == expected => {}
            Some(actual) => failures.push(format!(
                "{} (v2):\n{}",
                case.name,
                bytes_diff(&expected, actual)
            )),
            None => failures.push(format!(
                "{} (v2): no config.toml; {}",
                case.name, run.stderr
            )),
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}

/// insta settings: snapshots in the repository's `snapshots/`, named by the test alone.
pub fn snapshot_settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("snapshots"));
    s.set_prepend_module_to_snapshot(false);
    s
}

/// Replace a temporary directory's path with `[TMP]` in output.
pub fn scrub(text: &str, tmp: &Path) -> String {
    text.replace(&tmp.to_string_lossy().into_owned(), "[TMP]")
}

/// Split a line as a POSIX shell (and Python's `shlex.split`, which compare.py uses) would:
/// blanks separate words; single quotes keep everything; double quotes keep all but `\"`, `\\`;
/// a backslash outside quotes escapes the next character.
pub fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => match chars.next() {
                            Some(n @ ('"' | '\\' | '$' | '`')) => cur.push(n),
                            Some(n) => {
                                cur.push('\\');
                                cur.push(n);
                            }
                            None => cur.push('\\'),
                        },
                        c => cur.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Every entry below `dir`, never following a link: `dir 700`, `file 644 <bytes>`, `link <target>`,
/// by path relative to `dir`. Two listings are equal exactly when the trees are byte-identical
/// in names, types, modes and contents.
pub fn listing(dir: &Path) -> BTreeMap<String, String> {
    use std::os::unix::fs::PermissionsExt;
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for ent in entries {
            let path = ent.expect("entry").path();
            let m = std::fs::symlink_metadata(&path).expect("lstat");
            let rel = path
                .strip_prefix(base)
                .expect("under base")
                .to_string_lossy()
                .into_owned();
            let mode = m.permissions().mode() & 0o7777;
            if m.file_type().is_symlink() {
                let t = std::fs::read_link(&path).expect("readlink");
                out.insert(rel, format!("link {}", t.display()));
            } else if m.is_dir() {
                out.insert(rel, format!("dir {mode:o}"));
                walk(base, &path, out);
            } else {
                let bytes = std::fs::read(&path).expect("read");
                out.insert(
                    rel,
                    format!("file {mode:o} {}", String::from_utf8_lossy(&bytes)),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The differences between two listings, one line each; empty when equal.
pub fn listing_diff(before: &BTreeMap<String, String>, after: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    for (k, v) in before {
        match after.get(k) {
            None => out += &format!("- {k}: {v}\n"),
            Some(w) if w != v => out += &format!("~ {k}: {v:?} -> {w:?}\n"),
            Some(_) => {}
        }
    }
    for (k, v) in after {
        if !before.contains_key(k) {
            out += &format!("+ {k}: {v}\n");
        }
    }
    out
}

/// A test that needs what only root (or a given filesystem) has: when it cannot run here, say so
/// on the terminal (past libtest's capture, so it is seen even when the test passes), and fail if
/// `K3S_REGISTRIES_REQUIRE_PRIVILEGED=1` (CI, which runs as root, sets it).
pub fn cannot_run(test: &str, why: &str) {
    use std::io::Write;
    let required = std::env::var("K3S_REGISTRIES_REQUIRE_PRIVILEGED").as_deref() == Ok("1");
    let _ = writeln!(
        std::io::stderr(),
        "\n*** NOT RUN: {test}: {why}{} ***\n",
        if required {
            ""
        } else {
            " (set K3S_REGISTRIES_REQUIRE_PRIVILEGED=1 to make this a failure)"
        }
    );
    assert!(!required, "{test} cannot run here: {why}");
}
