//! `audit`: `--explain-code`, or audit the file (with the node's files when given) and print the
//! findings in the chosen format. Unknown codes (in `--explain-code` or `--allow`) are errors
//! (exit 2) that list the known ones. Exit status: 2 when K3s would refuse the file, 1 when a
//! finding reaches `--deny`, else 0.

use anyhow::Context as _;

use super::{merge_imports, node, Status};
use crate::audit::{check, ConfigToml, Input, K3sNode, NodeFiles, Options, Report};
use crate::cli::{AuditArgs, AuditFormat, DenyLevel};
use crate::containerd::hosts_dir::CertsTree;
use crate::diag::{Code, Severity, RULES};
use crate::fs;
use crate::k3s::settings::Source;
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
    // blockio/rdt config files are looked for next to --containerd-config, else on the node.
    let containerd_dir = args
        .files
        .containerd_config
        .as_deref()
        .and_then(std::path::Path::parent);
    let node = node::resolve(&args.k3s, &args.node, &args.input, containerd_dir, rep)?;
    let input = match &node.registries {
        node::RegistriesPath::Stdin => Input {
            name: "<stdin>".to_string(),
            path: None,
            bytes: fs::read_stdin(fs::Limit::REGISTRIES)?,
        },
        node::RegistriesPath::File(path) => match fs::read(path, fs::Limit::REGISTRIES) {
            Ok(bytes) => Input {
                name: path.display().to_string(),
                path: Some(path.clone()),
                bytes,
            },
            Err(e) if e.is_not_found() && (args.files.hosts_dir.is_some() || node.found) => {
                // K3s runs without registries configuration; the node's files are still worth
                // a look.
                rep.missing_registries(path)?;
                Input {
                    name: path.display().to_string(),
                    path: None,
                    bytes: Vec::new(),
                }
            }
            Err(e) => {
                let hint = if e.is_not_found() && args.input.registries.is_some() {
                    " (a file named with --registries must exist)"
                } else if e.is_not_found() {
                    " (K3s runs without any registries configuration when the file is missing; there is nothing to audit)"
                } else {
                    ""
                };
                return Err(anyhow::Error::new(e.source)
                    .context(format!("reading {}{hint}", path.display())));
            }
        },
    };
    let opts = Options {
        check_files: args.check_files,
        allow,
        flavor: super::containerd_flavor(args.containerd),
    };
    let mut node_files = read_node_files(args, &node)?;
    node_files.k3s = Some(k3s_node(&node, &input)?);
    let report = check(&input, &node.options, &opts, &node_files)?;
    match args.format {
        AuditFormat::Text => {
            let color = rep.color();
            rep.audit_text(&report, color)?
        }
        AuditFormat::Json => rep.audit_json(&report)?,
        AuditFormat::Sarif => rep.audit_sarif(&report)?,
    }
    Ok(status(&report, args.deny))
}

/// What audit needs to know about K3s on the node.
fn k3s_node(node: &node::Node, input: &Input) -> anyhow::Result<K3sNode> {
    let place = |s: &Source| -> Option<(String, u32, u32)> {
        match s {
            Source::ConfigFile(from) => from.last().map(|o| (o.file.clone(), o.line, o.column)),
            Source::Service(unit) => Some((unit.clone(), 1, 1)),
            Source::Env { file, .. } => Some((file.clone(), 1, 1)),
            Source::CommandLine => None,
        }
    };
    let mut sources = Vec::new();
    for name in &node.config_files {
        // Refusals point into these files; show their lines.
        if let Ok(b) = fs::read(std::path::Path::new(name), fs::Limit::REGISTRIES) {
            sources.push((name.clone(), String::from_utf8_lossy(&b).into_owned()));
        }
    }
    let dropins = node
        .imports_dir()
        .map(|d| fs::glob_last(&d.join("*.toml")).unwrap_or_default())
        .unwrap_or_default();
    let imports = if node.found && !dropins.is_empty() {
        // The config.toml K3s would write now, merged with the drop-ins.
        let loaded = crate::registries::load_str_without_positions(&input.bytes, &input.name);
        loaded.ok().map(|l| {
            let model = crate::k3s::translate::translate_owned(l.registry, &node.options);
            let rendered = crate::k3s::render::Renderer::new()
                .ok()
                .and_then(|r| r.render_owned(model).ok());
            let bytes = rendered.map(|r| r.config_toml).unwrap_or_default();
            let node_path = crate::go::filepath::join(&[
                &node.options.paths().template_dir,
                crate::k3s::render::CONFIG_TOML,
            ]);
            merge_imports(&node.fs, &node_path, "config.toml", &bytes)
        })
    } else {
        None
    };
    Ok(K3sNode {
        refusals: node
            .refusals
            .iter()
            .map(|r| (r.message.clone(), r.file.clone()))
            .collect(),
        external_runtime: node
            .external_runtime
            .as_ref()
            .map(|(what, s)| (what.clone(), place(s))),
        template: node.template.clone(),
        dropins_present: !dropins.is_empty(),
        imports,
        sources,
    })
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

fn read_node_files(args: &AuditArgs, node: &node::Node) -> anyhow::Result<NodeFiles> {
    let hosts_dir = match &args.files.hosts_dir {
        Some(d) => Some(
            CertsTree::read(d).with_context(|| format!("reading --hosts-dir {}", d.display()))?,
        ),
        None => None,
    };
    let config = match &args.files.containerd_config {
        Some(p) => {
            let bytes = fs::read(p, fs::Limit::CONFIG_TOML).context("--containerd-config")?;
            let name = p.display().to_string();
            // With the files it imports, merged as containerd merges them.
            let parsed = merge_imports(&node.fs, &node.fs.node_path_of(p), &name, &bytes)
                .map(|m| m.registry)
                .map_err(|e| e.error);
            Some(ConfigToml {
                name,
                parsed,
                bytes,
            })
        }
        None => None,
    };
    Ok(NodeFiles {
        hosts_dir,
        config,
        k3s: None,
    })
}

fn unknown_code(code: &str) -> anyhow::Error {
    let known: Vec<&str> = RULES.iter().map(|r| r.code.as_str()).collect();
    anyhow::anyhow!(
        "unknown finding code {code:?}; the codes are: {}",
        known.join(", ")
    )
}
