//! The audit printers: compiler-style text (with the source line and a caret, coloured when
//! stdout is a terminal and NO_COLOR is unset), JSON (`schema_version` 1) and SARIF 2.1.0; and
//! `--explain-code`. Findings arrive as data; URL passwords in messages and credential values in
//! source lines are masked here, and the text is sanitised for the terminal.

use std::collections::BTreeMap;
use std::io;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::sanitize::{clean, clean_keeping};
use super::sarif;
use super::{Reporter, NAME};
use crate::audit::{Report, Summary};
use crate::diag::{Diagnostic, Related, Rule, Severity};
use crate::secret::mask_lines;

/// The JSON document's version; bumped only when a field is renamed or removed.
pub(crate) const AUDIT_JSON_SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct JsonReport<'a> {
    schema_version: u32,
    tool: JsonTool,
    file: &'a str,
    refused: bool,
    summary: Summary,
    findings: Vec<JsonFinding<'a>>,
}

/// One finding. The fields `code`, `severity`, `file`, `line`, `column`, `message` and `help`
/// are an interface: never rename them.
#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'static str,
    severity: Severity,
    file: String,
    line: u32,
    column: u32,
    end_column: u32,
    message: &'a str,
    help: &'a str,
    path: Vec<String>,
    related: Vec<JsonRelated<'a>>,
}

#[derive(Serialize)]
struct JsonRelated<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    message: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(report: &Report, f: &'a Diagnostic) -> Self {
        let l = report.location(f);
        JsonFinding {
            code: f.code.as_str(),
            severity: f.severity,
            end_column: l.end_column(),
            file: l.file,
            line: l.line,
            column: l.column,
            message: &f.message,
            help: &f.help,
            path: l.path,
            related: f
                .related
                .iter()
                .map(|r: &'a Related| JsonRelated {
                    file: &r.location.file,
                    line: r.location.line,
                    column: r.location.column,
                    message: &r.message,
                })
                .collect(),
        }
    }
}

/// The lines of every source file, credential values masked where they stand, then every
/// secret of the input wherever it is (before a long line is cut, so no part of one is shown).
fn source_lines(report: &Report, mask: &dyn Fn(&str) -> String) -> BTreeMap<String, Vec<String>> {
    report
        .sources
        .iter()
        .map(|(name, text, secrets)| {
            let lines = mask_lines(text, secrets).iter().map(|l| mask(l)).collect();
            (name.to_string(), lines)
        })
        .collect()
}

/// A source line as shown under a finding: sanitised, cut to [`SNIPPET_WIDTH`] characters
/// around the finding's columns (with `...` where it is cut), and the caret's place under it.
#[derive(Debug, PartialEq, Eq)]
struct Snippet {
    /// The line as shown.
    text: String,
    /// What goes before the caret: a space for each character shown before the column (a tab
    /// for a tab, so the caret lines up).
    before: String,
    /// How many carets.
    carets: usize,
}

impl Snippet {
    /// `column` and `end_column` are 1-based character columns of `line`.
    fn new(line: &str, column: u32, end_column: u32) -> Snippet {
        let chars: Vec<char> = line.chars().collect();
        let len = chars.len();
        let start = (column as usize).saturating_sub(1).min(len);
        let end = (end_column as usize).saturating_sub(1).clamp(start, len);
        let (lo, hi) = if len <= SNIPPET_WIDTH {
            (0, len)
        } else {
            // A third of the width before the column, the rest after it.
            let lo = start.saturating_sub(SNIPPET_WIDTH / 3);
            let hi = (lo + SNIPPET_WIDTH).min(len);
            (hi.saturating_sub(SNIPPET_WIDTH).min(lo), hi)
        };
        let shown = |a: usize, b: usize| -> String {
            let part: String = chars[a..b].iter().collect();
            clean_keeping(&part, &['\t']).into_owned()
        };
        let (head, tail) = (
            if lo > 0 { "..." } else { "" },
            if hi < len { "..." } else { "" },
        );
        let text = format!("{head}{}{tail}", shown(lo, hi));
        let before: String = " ".repeat(head.len())
            + &shown(lo, start)
                .chars()
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect::<String>();
        let carets = shown(start, end.min(hi)).chars().count().max(1);
        Snippet {
            text,
            before,
            carets,
        }
    }
}

#[derive(Serialize)]
struct JsonTool {
    name: &'static str,
    version: &'static str,
}

/// The styles of the text output (all plain when colour is off).
struct Styles {
    error: Style,
    warning: Style,
    info: Style,
    gutter: Style,
    bold: Style,
}

impl Styles {
    fn new(color: bool) -> Styles {
        if !color {
            let plain = Style::new();
            return Styles {
                error: plain,
                warning: plain,
                info: plain,
                gutter: plain,
                bold: plain,
            };
        }
        let bold = Style::new().bold();
        Styles {
            error: bold.fg_color(Some(AnsiColor::BrightRed.into())),
            warning: bold.fg_color(Some(AnsiColor::BrightYellow.into())),
            info: bold.fg_color(Some(AnsiColor::BrightCyan.into())),
            gutter: bold.fg_color(Some(AnsiColor::BrightBlue.into())),
            bold,
        }
    }

    fn severity(&self, s: Severity) -> Style {
        match s {
            Severity::Error => self.error,
            Severity::Warning => self.warning,
            Severity::Info => self.info,
        }
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

impl Reporter<'_> {
    /// The findings as text, then a summary line. Source lines longer than
    /// [`SNIPPET_WIDTH`] characters are cut around the column the finding points at.
    pub(crate) fn audit_text(&mut self, report: &Report, color: bool) -> io::Result<()> {
        self.secrets(&report.secrets);
        let mut buf = Vec::new();
        audit_text_to(&mut buf, report, color, &|l| self.mask(l).into_owned())?;
        // Every secret of the input, wherever a message, a path or a source line quotes it.
        let text = String::from_utf8_lossy(&buf);
        self.out.write_all(self.mask(&text).as_bytes())?;
        self.out.flush()
    }

    /// The findings as a JSON document.
    pub(crate) fn audit_json(&mut self, report: &Report) -> io::Result<()> {
        self.secrets(&report.secrets);
        let doc = JsonReport {
            schema_version: AUDIT_JSON_SCHEMA_VERSION,
            tool: JsonTool {
                name: NAME,
                version: env!("CARGO_PKG_VERSION"),
            },
            file: &report.file,
            refused: report.refused,
            summary: report.summary(),
            findings: report
                .findings
                .iter()
                .map(|f| JsonFinding::new(report, f))
                .collect(),
        };
        self.print_json(&doc)
    }

    /// The findings as a SARIF 2.1.0 log.
    pub(crate) fn audit_sarif(&mut self, report: &Report) -> io::Result<()> {
        self.secrets(&report.secrets);
        // The results quote the input; the rules' descriptions are ours, but a secret that is a
        // word of ours (`pass`) is masked there too: nothing printed holds a secret.
        self.print_json(&sarif::to_sarif(report, &report.findings))
    }

    /// `--explain-code`: the rule's long description.
    pub(crate) fn audit_explain(&mut self, rule: &Rule) -> io::Result<()> {
        writeln!(
            self.out,
            "{} ({}, {})",
            rule.code,
            rule.severity.as_str(),
            rule.needs.describe()
        )?;
        writeln!(self.out)?;
        writeln!(self.out, "{}", rule.summary)?;
        writeln!(self.out)?;
        writeln!(self.out, "{}", rule.description)?;
        self.out.flush()
    }
}

/// The widest source line shown under a finding, in characters; longer lines are cut around the
/// finding's column, with `...` where they are cut.
pub(crate) const SNIPPET_WIDTH: usize = 120;

/// audit's text, before masking.
fn audit_text_to(
    out: &mut dyn io::Write,
    report: &Report,
    color: bool,
    mask: &dyn Fn(&str) -> String,
) -> io::Result<()> {
    let st = Styles::new(color);
    let sources = source_lines(report, mask);
    for f in &report.findings {
        let l = report.location(f);
        let sev = st.severity(f.severity);
        writeln!(
            out,
            "{sev}{}[{}]{sev:#}{b}: {}:{}:{}: {}{b:#}",
            f.severity.as_str(),
            f.code,
            clean(&l.file),
            l.line,
            l.column,
            clean(&f.message),
            b = st.bold
        )?;
        let source = sources
            .get(&l.file)
            .and_then(|lines| lines.get(usize::try_from(l.line).ok()?.checked_sub(1)?));
        let pad = " ".repeat(l.line.to_string().len());
        let g = st.gutter;
        if let Some(src) = source {
            let s = Snippet::new(src, l.column, l.end_column());
            writeln!(out, "{pad} {g}|{g:#}")?;
            writeln!(out, "{g}{}{g:#} {g}|{g:#} {}", l.line, s.text)?;
            writeln!(
                out,
                "{pad} {g}|{g:#} {}{sev}{}{sev:#}",
                s.before,
                "^".repeat(s.carets)
            )?;
        }
        writeln!(
            out,
            "{pad} {g}={g:#} {b}help{b:#}: {}",
            clean(&f.help),
            b = st.bold
        )?;
        for r in &f.related {
            writeln!(
                out,
                "{pad} {g}={g:#} {b}note{b:#}: {}:{}:{}: {}",
                clean(&r.location.file),
                r.location.line,
                r.location.column,
                clean(&r.message),
                b = st.bold
            )?;
        }
        writeln!(out)?;
    }
    let s = report.summary();
    let mut line = format!(
        "{}, {}, {}",
        plural(s.errors, "error", "errors"),
        plural(s.warnings, "warning", "warnings"),
        plural(s.infos, "info", "infos")
    );
    if s.allowed > 0 {
        line.push_str(&format!(" ({} allowed)", s.allowed));
    }
    if report.refused {
        line.push_str("; K3s would refuse this file and not start");
    }
    writeln!(out, "{b}{line}{b:#}", b = st.bold)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::audit::{check, Input, NodeFiles, Options};
    use crate::k3s::node::NodeOptions;
    use crate::report::Reporter;

    fn text(yaml: &str, color: bool) -> String {
        let input = Input {
            name: "r.yaml".to_string(),
            path: None,
            bytes: yaml.as_bytes().to_vec(),
        };
        let report = check(
            &input,
            &NodeOptions::default(),
            &Options::default(),
            &NodeFiles::default(),
        )
        .expect("audit");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        Reporter::new(&mut out, &mut err)
            .audit_text(&report, color)
            .expect("print");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn compiler_style_text() {
        let out = text("configs:\n  r.example.com:\n\ttls: {}\n", false);
        assert!(
            out.starts_with("error[yaml-syntax-error]: r.yaml:3:1: "),
            "{out}"
        );
        let out = text(
            "configs:\n  r.example.com:\n    tls:\n      cafile: /ca.pem\n",
            false,
        );
        let expected = "error[unknown-key]: r.yaml:4:7: \"cafile\" is not a key K3s reads, so no CA is configured; did you mean \"ca_file\"?\n  |\n4 |       cafile: /ca.pem\n  |       ^^^^^^\n  = help: ";
        assert!(out.starts_with(expected), "{out}");
        assert!(out.ends_with("\n1 error, 0 warnings, 0 infos\n"), "{out}");
        assert!(!out.contains('\u{1b}'));
    }

    #[test]
    fn snippets_are_cut_around_the_column_and_sanitised() {
        use super::{Snippet, SNIPPET_WIDTH};
        // Short lines are shown whole; control characters escaped, tabs kept for the caret.
        let s = Snippet::new("\tkey: \u{1b}[31m", 7, 8);
        assert_eq!(s.text, "\tkey: \\u{1b}[31m");
        // The caret spans the escape shown for the ESC.
        assert_eq!((s.before.as_str(), s.carets), ("\t     ", 6));
        // A long line: a third of the width before the column, `...` where it is cut.
        let line = format!("{}X{}", "a".repeat(10_000), "b".repeat(10_000));
        let s = Snippet::new(&line, 10_001, 10_002);
        assert!(
            s.text.starts_with("...a") && s.text.ends_with("b..."),
            "{}",
            s.text
        );
        assert_eq!(s.text.chars().count(), SNIPPET_WIDTH + 6);
        assert_eq!(s.text.chars().nth(s.before.chars().count()), Some('X'));
        // Near either end, only one side is cut.
        let s = Snippet::new(&line, 1, 2);
        assert!(s.text.starts_with('a') && s.text.ends_with("..."));
        let s = Snippet::new(&line, 20_001, 20_001);
        assert!(s.text.starts_with("...") && s.text.ends_with('b'));
    }

    #[test]
    fn colour_only_when_asked() {
        let out = text(
            "configs:\n  r.example.com:\n    tls:\n      cafile: /ca.pem\n",
            true,
        );
        assert!(out.contains("\u{1b}["), "{out:?}");
        assert!(out.contains("error[unknown-key]"), "{out:?}");
    }
}
