//! `audit`: `--explain-code`, or audit the file (with the node's files when given) and print the
//! findings in the chosen format. Unknown codes (in `--explain-code` or `--allow`) are errors
//! (exit 2) that list the known ones. Exit status: 2 when K3s would refuse the file, 1 when a
//! finding reaches `--deny`, else 0.

use std::path::Path;

use anyhow::Context as _;

use super::{node_options, Status};
use crate::audit::{check, ConfigToml, Input, NodeFiles, Options, Report};
use crate::cli::{AuditArgs, AuditFormat, DenyLevel};
use crate::containerd::cri::parse_config_toml;
use crate::containerd::hosts_dir::CertsTree;
use crate::diag::{Code, Severity, RULES};
use crate::fs;
use crate::report::Reporter;

pub(super) fn run(args: &AuditArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
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
    let bytes = if stdin {
        fs::read_stdin()?
    } else {
        match fs::read(path) {
            Ok(b) => b,
            Err(e) if e.is_not_found() && args.files.hosts_dir.is_some() => {
                // K3s runs without registries configuration; the node's files are still worth a
                // look.
                rep.missing_registries(path)?;
                Vec::new()
            }
            Err(e) => {
                let hint = if e.is_not_found() {
                    " (K3s runs without any registries configuration when the file is missing; there is nothing to audit)"
                } else {
                    ""
                };
                return Err(anyhow::Error::new(e.source)
                    .context(format!("reading {}{hint}", path.display())));
            }
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
        allow,
        flavor: super::containerd_flavor(args.containerd),
    };
    let node_files = read_node_files(args)?;
    let report = check(&input, &node, &opts, &node_files)?;
    match args.format {
        AuditFormat::Text => rep.audit_text(&report, Reporter::stdout_color())?,
        AuditFormat::Json => rep.audit_json(&report)?,
        AuditFormat::Sarif => rep.audit_sarif(&report)?,
    }
    Ok(status(&report, args.deny))
}

/// 2 when K3s would refuse the file, 1 when a finding reaches `deny`, else 0.
fn status(report: &Report, deny: DenyLevel) -> Status {
    let threshold = match deny {
        DenyLevel::Warning => Severity::Warning,
        DenyLevel::Error => Severity::Error,
    };
    if report.refused {
        Status::Error
    } else if report.reaches(threshold) {
        Status::Findings
    } else {
        Status::Ok
    }
}

fn read_node_files(args: &AuditArgs) -> anyhow::Result<NodeFiles> {
    let hosts_dir = match &args.files.hosts_dir {
        Some(d) => Some(
            CertsTree::read(d).with_context(|| format!("reading --hosts-dir {}", d.display()))?,
        ),
        None => None,
    };
    let config = match &args.files.containerd_config {
        Some(p) => {
            let bytes = fs::read(p).context("--containerd-config")?;
            Some(ConfigToml {
                name: p.display().to_string(),
                parsed: parse_config_toml(&bytes),
                bytes,
            })
        }
        None => None,
    };
    Ok(NodeFiles { hosts_dir, config })
}

fn unknown_code(code: &str) -> anyhow::Error {
    let known: Vec<&str> = RULES.iter().map(|r| r.code.as_str()).collect();
    anyhow::anyhow!(
        "unknown finding code {code:?}; the codes are: {}",
        known.join(", ")
    )
}
