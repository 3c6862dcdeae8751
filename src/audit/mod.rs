//! `audit`: everything in a registries.yaml that breaks pulls or leaks secrets, found offline.
//!
//! The file is loaded with the same yaml.v2 port, translated with the same K3s port and
//! rendered with the same templates as `render`; the rules (`rules`) read those results and
//! the [`SourceMap`](crate::yaml::SourceMap) (positions, and what the decoder did) and produce
//! [`Finding`]s: data with a stable [`Code`], a [`Severity`], a location, a message and a help
//! line. [`crate::report`] prints them (text, JSON, SARIF); nothing here prints. Filesystem
//! reads (the file, `--check-files`, `--hosts-dir`, `--containerd-config`) live in `files`.
//!
//! Exit status: 2 when K3s would refuse the file (it does not load), 1 when a finding reaches
//! `--deny`, else 0.

mod context;
mod files;
mod rules;
mod template;
mod tomlcheck;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

pub use crate::diag::codes::{Code, Needs, Rule, RULES};
pub use crate::diag::finding::{Finding, Related, Report, Severity, Summary};

use crate::cli::{AuditArgs, AuditFormat};
use crate::cmd::{node_options, Status};
use crate::k3s::node::NodeOptions;
use crate::k3s::render::{RenderError, RenderOptions, Renderer};
use crate::k3s::translate::translate;
use crate::registries;
use crate::report::mask::{mask_lines, mask_userinfo, SecretAt};
use crate::report::Reporter;
use context::Ctx;
use rules::node_files::NodeFiles;

/// What to check besides registries.yaml and the node flags.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `--check-files`: read the TLS files the configuration names, and file modes.
    pub check_files: bool,
    /// `--hosts-dir`: an existing certs.d to check.
    pub hosts_dir: Option<PathBuf>,
    /// `--containerd-config`: an existing config.toml to check.
    pub containerd_config: Option<PathBuf>,
    /// `--allow`: codes to silence.
    pub allow: Vec<Code>,
}

/// The registries file to audit.
#[derive(Debug, Clone)]
pub struct Input {
    /// Its name in findings: the path as given, or `<stdin>`.
    pub name: String,
    /// Its path, when it is a file (for `--check-files`' mode check).
    pub path: Option<PathBuf>,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// The `audit` subcommand: `--explain-code`, or audit the file and print the findings in the
/// chosen format. Unknown codes (in `--explain-code` or `--allow`) are errors (exit 2) that list
/// the known ones.
pub fn run(args: &AuditArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    if let Some(code) = &args.explain_code {
        let rule = Code::parse(code)
            .map(Code::rule)
            .ok_or_else(|| unknown_code(code))?;
        rep.audit_explain(rule)?;
        return Ok(Status::Ok);
    }
    let allow = args
        .allow
        .iter()
        .map(|c| Code::parse(c).ok_or_else(|| unknown_code(c)))
        .collect::<anyhow::Result<Vec<Code>>>()?;
    let path = &args.input.registries;
    let stdin = path == Path::new("-");
    let bytes = match files::read_input(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.files.hosts_dir.is_some() => {
            // K3s runs without registries configuration; the node's files are still worth a look.
            rep.missing_registries(path)?;
            Vec::new()
        }
        Err(e) => {
            let hint = if e.kind() == std::io::ErrorKind::NotFound {
                " (K3s runs without any registries configuration when the file is missing; there is nothing to audit)"
            } else {
                ""
            };
            return Err(anyhow::Error::new(e).context(format!("reading {}{hint}", path.display())));
        }
    };
    let input = Input {
        name: if stdin {
            "<stdin>".to_string()
        } else {
            path.display().to_string()
        },
        path: (!stdin).then(|| path.clone()),
        bytes,
    };
    let containerd_dir = args
        .files
        .containerd_config
        .as_deref()
        .and_then(Path::parent);
    let node = node_options(&args.node, containerd_dir)?;
    let opts = Options {
        check_files: args.check_files,
        hosts_dir: args.files.hosts_dir.clone(),
        containerd_config: args.files.containerd_config.clone(),
        allow,
    };
    let report = check(&input, &node, &opts)?;
    match args.format {
        AuditFormat::Text => rep.audit_text(&report, Reporter::stdout_color())?,
        AuditFormat::Json => rep.audit_json(&report)?,
        AuditFormat::Sarif => rep.audit_sarif(&report)?,
    }
    Ok(report.status(args.deny))
}

fn unknown_code(code: &str) -> anyhow::Error {
    let known: Vec<&str> = RULES.iter().map(|r| r.code.as_str()).collect();
    anyhow::anyhow!(
        "unknown finding code {code:?}; the codes are: {}",
        known.join(", ")
    )
}

/// Audits a registries file for a node. Fails only on I/O errors reading the node's files
/// (`--hosts-dir`, `--containerd-config`) and on bugs in our templates; a file K3s would refuse
/// is a [`Report`] with [`Report::refused`] set.
pub fn check(input: &Input, node: &NodeOptions, opts: &Options) -> anyhow::Result<Report> {
    let node_files = read_node_files(opts)?;
    let text = decode_text(&input.bytes);
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut report = Report {
        file: input.name.clone(),
        ..Report::default()
    };
    match registries::load_str(&input.bytes, &input.name) {
        Err(e) => {
            report.findings = rules::yaml::load_error(&e, &input.name, &lines);
            report.refused = true;
            report.sources.insert(&input.name, mask_lines(&text, &[]));
        }
        Ok(loaded) => {
            let model = translate(&loaded.registry, node);
            let rendered = Renderer::new()?.render(&model, RenderOptions::default());
            let rendered_ref = match &rendered {
                Ok(r) => Ok(r),
                // K3s fails the same way, and refuses to start: a finding, not an error.
                Err(e @ RenderError::LineTooLong { .. }) => Err(e.to_string()),
                Err(e @ RenderError::Template { .. }) => return Err(anyhow::anyhow!("{e}")),
            };
            let mut ctx = Ctx {
                file: &input.name,
                path: input.path.as_deref(),
                lines,
                reg: &loaded.registry,
                map: &loaded.source_map,
                model: &model,
                rendered: rendered_ref,
                node,
                opts,
                out: Vec::new(),
                extra_sources: Vec::new(),
            };
            rules::run_all(&mut ctx, &node_files);
            let secrets: Vec<SecretAt> = loaded
                .source_map
                .entries()
                // A null value has nothing at its position; a `#...` comment read as the
                // value is masked by the textual pass.
                // An alias (merged or not) records the alias's position, not the value's; the
                // anchored value is masked where it is written.
                .filter(|e| {
                    rules::yaml::is_secret_path(&e.path)
                        && !e.notes.contains(&crate::yaml::Note::Null)
                        && e.key != e.value
                })
                .filter(|e| {
                    !e.notes
                        .iter()
                        .any(|n| matches!(n, crate::yaml::Note::Alias { .. }))
                })
                .map(|e| SecretAt {
                    line: e.value.line,
                    column: e.value.column,
                    key_column: e.key.column,
                })
                .collect();
            report
                .sources
                .insert(&input.name, mask_lines(&text, &secrets));
            for (name, t) in &ctx.extra_sources {
                report.sources.insert(name, mask_lines(t, &[]));
            }
            report.findings = ctx.out;
        }
    }
    // Messages are built without secret values; URLs with a password are masked once more
    // here, whatever rule quoted them.
    for f in &mut report.findings {
        f.message = mask_userinfo(&f.message);
        f.help = mask_userinfo(&f.help);
        for r in &mut f.related {
            r.message = mask_userinfo(&r.message);
        }
    }
    let before = report.findings.len();
    report.findings.retain(|f| !opts.allow.contains(&f.code));
    report.allowed = before - report.findings.len();
    report.finish();
    Ok(report)
}

fn read_node_files(opts: &Options) -> anyhow::Result<NodeFiles> {
    let hosts_dir = match &opts.hosts_dir {
        Some(d) => Some((
            d.display().to_string(),
            files::read_hosts_dir(d)
                .with_context(|| format!("reading --hosts-dir {}", d.display()))?,
        )),
        None => None,
    };
    let config = match &opts.containerd_config {
        Some(p) => Some((
            p.display().to_string(),
            files::read(p)
                .with_context(|| format!("reading --containerd-config {}", p.display()))?,
        )),
        None => None,
    };
    Ok(NodeFiles { hosts_dir, config })
}

/// The file's text for showing lines: UTF-16 (with a BOM) decoded, a UTF-8 BOM dropped,
/// invalid bytes replaced. Positions from the loader count characters of this text.
fn decode_text(bytes: &[u8]) -> String {
    let utf16 = |be: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|c| {
                if be {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect::<String>()
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest).into_owned(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

#[cfg(test)]
mod tests;
