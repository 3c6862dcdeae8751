//! `diff`: what a restart of K3s would change under `<data-dir>/agent/etc/containerd` (or
//! `--containerd-dir`): render as K3s would now, plan K3s's writes and clean-up against the
//! directory, compare, print. Exit 0 when nothing would change, 1 when something would.

use super::{merge_imports, node, pipeline, refuse_if_k3s_would_not, Status};
use crate::cli::DiffArgs;
use crate::diff::{changes, Restart};
use crate::fs;
use crate::k3s::render::{Renderer, CONFIG_TOML};
use crate::report::diff::DiffReport;
use crate::report::Reporter;
use crate::write;

pub(super) fn run(args: &DiffArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let node = node::resolve(
        &args.k3s,
        &args.node,
        &args.input,
        args.containerd_dir.as_deref(),
        rep,
    )?;
    refuse_if_k3s_would_not(&node)?;
    rep.show_secrets(args.show_secrets);
    let dir = node.containerd_dir.clone();
    let restart = node.restart_hint();
    if let Some((what, _)) = &node.external_runtime {
        // K3s starts no containerd: a restart writes nothing here.
        let report = DiffReport {
            dir: dir.display().to_string(),
            restart,
            changes: Vec::new(),
            config_compared: false,
            writes_nothing: Some(what.clone()),
            imports: Vec::new(),
        };
        rep.diff(&report, args.format.resolve() == crate::cli::Format::Json)?;
        return Ok(Status::Ok);
    }
    let rendered = {
        let p = pipeline(&node.registries, node.options.clone(), rep)?;
        Renderer::new()?.render_owned(p.model)?
    };
    // The drop-ins containerd merges: a restart leaves them, but they count.
    let node_config = crate::go::filepath::join(&[&node.options.paths().template_dir, CONFIG_TOML]);
    let imports = if node.options.era().imports {
        merge_imports(&node.fs, &node_config, CONFIG_TOML, &rendered.config_toml)
            .map(|m| m.imported)
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let compare_config = node.template.as_ref().is_none_or(|t| t.is_base_only());
    // Planned as a dry run: nothing is locked, created or changed.
    let out = write::Output::open(
        &dir,
        write::Options {
            dry_run: true,
            allow_wipe: true,
            lock_timeout: std::time::Duration::ZERO,
        },
    )?;
    let plan = out.plan(rendered)?;
    let restart_does = Restart::from_plan(&plan);
    let on_disk = fs::read_tree(&dir)?;
    let report = DiffReport {
        dir: dir.display().to_string(),
        restart,
        changes: changes(&restart_does, &on_disk, compare_config),
        config_compared: compare_config,
        writes_nothing: None,
        imports,
    };
    rep.diff(&report, args.format.resolve() == crate::cli::Format::Json)?;
    Ok(if report.changes.is_empty() {
        Status::Ok
    } else {
        Status::Findings
    })
}
