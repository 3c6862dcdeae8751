//! `audit`: everything in a registries.yaml that breaks pulls or leaks secrets, found offline.
//!
//! The file is loaded with the same yaml.v2 port, translated with the same K3s port and
//! rendered with the same templates as `render`; what containerd then makes of the rendered files
//! (and of a node's files, with `--hosts-dir` and `--containerd-config`) comes from the same
//! [`crate::containerd`] model explain uses. The rules (`rules`, one file per concept) read those
//! results and the [`SourceMap`](crate::yaml::SourceMap) (positions, and what the decoder did)
//! and produce [`Diagnostic`]s from the one catalogue ([`crate::diag`]). Pure data: nothing here
//! prints, and only `--check-files` reads (through [`crate::fs`]).

mod context;
mod report;
mod rules;
mod template;

use std::borrow::Cow;
use std::path::PathBuf;

pub(crate) use report::{Report, Summary};

use crate::containerd::cri::CriRegistry;
use crate::containerd::gotoml::DecodeError;
use crate::containerd::hosts_dir::CertsTree;
use crate::containerd::imports::{LoadError as ImportError, Merged};
use crate::containerd::Flavor;
use crate::diag::Code;
use crate::k3s::node::NodeOptions;
use crate::k3s::render::{RenderError, Renderer};
use crate::k3s::translate::translate;
use crate::k3s::user_template::UserTemplate;
use crate::registries;
use crate::secret::SecretAt;
use context::Ctx;

/// What to check besides registries.yaml and the node flags.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// `--check-files`: read the TLS files the configuration names, and file modes.
    pub(crate) check_files: bool,
    /// `--allow`: codes to silence.
    pub(crate) allow: Vec<Code>,
    /// `--containerd`: the containerd build that reads the rendered files.
    pub(crate) flavor: Flavor,
}

/// The registries file to audit.
#[derive(Debug, Clone)]
pub(crate) struct Input {
    /// Its name in findings: the path as given, or `<stdin>`.
    pub(crate) name: String,
    /// Its path, when it is a file (for `--check-files`' mode check).
    pub(crate) path: Option<PathBuf>,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
}

/// A node's files, read by the command layer: `--hosts-dir` and `--containerd-config`, and what
/// it found about K3s on the node.
#[derive(Debug, Clone, Default)]
pub(crate) struct NodeFiles {
    /// The node's certs.d.
    pub(crate) hosts_dir: Option<CertsTree<'static>>,
    /// The node's config.toml: its name, its bytes and what containerd makes of it.
    pub(crate) config: Option<ConfigToml>,
    /// K3s on the node.
    pub(crate) k3s: Option<K3sNode>,
}

/// Where a K3s setting is: file, line and column (line 0 when unknown).
pub(crate) type SettingAt = Option<(String, u32, u32)>;

/// What the command layer found about K3s on the node (audit reads none of it itself).
#[derive(Debug, Clone, Default)]
pub(crate) struct K3sNode {
    /// What stops K3s from starting: K3s's message, and where.
    pub(crate) refusals: Vec<(String, SettingAt)>,
    /// An external container runtime (what, and where it is set).
    pub(crate) external_runtime: Option<(String, SettingAt)>,
    /// The user template K3s renders instead of its own.
    pub(crate) template: Option<UserTemplate>,
    /// Whether the imported drop-in directory holds files.
    pub(crate) dropins_present: bool,
    /// The config.toml K3s would write merged with the drop-ins it imports, as containerd
    /// merges them (when the release imports drop-ins and some exist).
    pub(crate) imports: Option<Result<Merged, ImportError>>,
    /// Texts of node files findings point into (name, text).
    pub(crate) sources: Vec<(String, String)>,
}

/// A node's config.toml.
#[derive(Debug, Clone)]
pub(crate) struct ConfigToml {
    /// As named on the command line.
    pub(crate) name: String,
    /// Its bytes.
    pub(crate) bytes: Vec<u8>,
    /// containerd's reading of its registry table.
    pub(crate) parsed: Result<CriRegistry, DecodeError>,
}

/// audit cannot run (never because of the input: a file K3s refuses is a [`Report`] with
/// [`Report::refused`] set).
#[derive(Debug, thiserror::Error)]
pub(crate) enum AuditError {
    /// Our templates failed (a bug).
    #[error("rendering the files K3s would write")]
    Render(#[from] RenderError),
}

/// Audits a registries file for a node, with the node's files when given.
pub(crate) fn check(
    input: &Input,
    node: &NodeOptions,
    opts: &Options,
    node_files: &NodeFiles,
) -> Result<Report, AuditError> {
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
        Err(mut e) => {
            crate::yaml::mask_secret_quotes(&mut e, &input.bytes);
            report.findings = rules::yaml::load_error(&e, &input.name, &lines);
            report.refused = true;
            // The values at secret positions, when the file at least parses.
            let (at, values): (Vec<SecretAt>, Vec<String>) =
                crate::yaml::secret_scalars(&input.bytes)
                    .into_iter()
                    .unzip();
            for v in &values {
                report.secrets.add(v);
            }
            for line in &lines {
                report.secrets.add_userinfo(line);
            }
            drop(lines);
            report.sources.insert(&input.name, text.into_owned(), at);
        }
        Ok(loaded) => {
            let model = translate(&loaded.registry, node);
            let rendered = match Renderer::new()?.render(&model) {
                Ok(r) => Ok(r),
                // K3s fails the same way, and refuses to start: a finding, not an error.
                Err(e @ RenderError::LineTooLong { .. }) => Err(e),
                Err(e) => return Err(e.into()),
            };
            let view = rendered.as_ref().ok().map(|r| r.on_node(&model));
            let (findings, extra) = {
                let mut ctx = Ctx {
                    file: &input.name,
                    path: input.path.as_deref(),
                    lines,
                    reg: &loaded.registry,
                    map: &loaded.source_map,
                    model: &model,
                    rendered: rendered.as_ref(),
                    containerd: view.as_ref(),
                    node,
                    opts,
                    out: Vec::new(),
                    extra_sources: Vec::new(),
                    memo: Default::default(),
                };
                rules::run_all(&mut ctx, node_files);
                (ctx.out, ctx.extra_sources)
            };
            report.secrets = loaded.registry.secrets();
            let secrets: Vec<SecretAt> = loaded
                .source_map
                .entries()
                // A null value has nothing at its position; a `#...` comment read as the
                // value is masked by the textual pass.
                // An alias (merged or not) records the alias's position, not the value's; the
                // anchored value is masked where it is written.
                .filter(|e| {
                    e.key != e.value
                        && !e.notes.contains(&crate::yaml::Note::Null)
                        && rules::yaml::is_secret_path(&loaded.source_map.path(e))
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
            // The lines (borrowing the text) went with the context. Copied only now, for the
            // report: while the rules run, the text is the input's bytes.
            report
                .sources
                .insert(&input.name, text.into_owned(), secrets);
            for (name, t) in extra {
                report.sources.insert(&name, t, Vec::new());
            }
            report.findings = findings;
        }
    }
    if let Some(tree) = &node_files.hosts_dir {
        report.secrets.extend(&tree.secrets());
    }
    if let Some(c) = &node_files.config {
        report
            .secrets
            .extend(&crate::containerd::cri::config_secrets(&c.bytes, &c.parsed));
    }
    let before = report.findings.len();
    report.findings.retain(|f| !opts.allow.contains(&f.code));
    report.allowed = before - report.findings.len();
    report.finish();
    Ok(report)
}

/// The file's text for showing lines: UTF-16 (with a BOM) decoded, a UTF-8 BOM dropped,
/// invalid bytes replaced. Positions from the loader count characters of this text. Borrowed
/// when the bytes are that text already (UTF-8 without a BOM).
fn decode_text(bytes: &[u8]) -> Cow<'_, str> {
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
        Cow::Owned(
            char::decode_utf16(units)
                .map(|r| r.unwrap_or('\u{FFFD}'))
                .collect::<String>(),
        )
    };
    match bytes {
        [0xFF, 0xFE, ..] => utf16(false),
        [0xFE, 0xFF, ..] => utf16(true),
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8_lossy(rest),
        _ => String::from_utf8_lossy(bytes),
    }
}

#[cfg(test)]
mod tests;
