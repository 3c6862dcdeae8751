//! The README shows real output; these tests keep it that way (the rule table is checked
//! against the catalogue by `diag`'s unit tests).

use crate::harness::{root, run};

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).expect("README.md")
}

/// The console block in the README that starts with `$ <command>`: the command's words and the
/// lines it shows as output (up to the closing fence or the next `$ ` line).
fn console_block(readme: &str, command: &str) -> (Vec<String>, String) {
    let start = readme
        .find(&format!("$ {command}"))
        .expect("command shown in README");
    let rest = &readme[start + 2..];
    let (cmd_line, body) = rest.split_once('\n').expect("output follows");
    let end = [body.find("\n```"), body.find("\n$ ")]
        .into_iter()
        .flatten()
        .min()
        .expect("block end");
    let words = cmd_line
        .split_whitespace()
        .skip(1)
        .map(str::to_string)
        .collect();
    (words, body[..=end].to_string())
}

#[test]
fn readme_shows_real_explain_output() {
    let text = readme();
    let (words, shown) = console_block(&text, "k3s-registries explain nginx");
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        shown, r.stdout,
        "README's explain example is not what explain prints"
    );
}

#[test]
fn readme_shows_real_audit_output() {
    let text = readme();
    let (words, shown) = console_block(
        &text,
        "k3s-registries audit --registries examples/production-literal-typo-keys",
    );
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        shown, r.stdout,
        "README's audit example is not what audit prints"
    );
}

/// `Scenario(` followed by the name and the `proves` line, as Python string literals.
fn e2e_scenarios() -> Vec<(String, String)> {
    let src = std::fs::read_to_string(root().join("tests/e2e/scenarios.py")).expect("scenarios.py");
    let literal = |s: &str| -> String {
        let s = s.trim().trim_end_matches(',');
        let inner = &s[1..s.len() - 1];
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    };
    src.split("    Scenario(\n")
        .skip(1)
        .map(|block| {
            let mut lines = block.lines();
            let name = literal(lines.next().expect("name"));
            let proves = literal(lines.next().expect("proves"));
            (name, proves)
        })
        .collect()
}

#[test]
fn readme_lists_every_end_to_end_scenario() {
    let text = readme();
    let scenarios = e2e_scenarios();
    assert!(scenarios.len() >= 25, "{scenarios:?}");
    for (name, proves) in scenarios {
        let row = format!("| `{name}` | {proves} |");
        assert!(text.contains(&row), "README lacks or mis-states: {row}");
    }
}

#[test]
fn readme_shows_real_diff_output() {
    let text = readme();
    let (words, shown) = console_block(
        &text,
        "k3s-registries diff --root tests/fixtures/node/edited",
    );
    let args: Vec<&str> = words.iter().map(String::as_str).collect();
    let r = run(&args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        shown, r.stdout,
        "README's diff example is not what diff prints"
    );
    // The stderr block right after it.
    let after = &text[text.find(&shown).expect("shown") + shown.len()..];
    let start = after.find("```text\n").expect("stderr block") + "```text\n".len();
    let end = after[start..].find("```").expect("block end");
    assert_eq!(
        &after[start..start + end],
        r.stderr,
        "README's diff stderr is not what diff prints"
    );
}
