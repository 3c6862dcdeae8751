//! `render`: print a preview of the files K3s writes (or, with `--format json`, list them), or
//! write them into `--output`.

use std::path::Path;

use super::{node, pipeline, refuse_if_k3s_would_not, Status};
use crate::cli::{Format, RenderArgs};
use crate::fs;
use crate::k3s::render::Renderer;
use crate::report::Reporter;
use crate::write;

pub(super) fn run(args: &RenderArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    if let Some(dir) = &args.output {
        check_output(dir)?;
    }
    let node = node::resolve(
        &args.k3s,
        &args.node,
        &args.input,
        args.output.as_deref(),
        rep,
    )?;
    refuse_if_k3s_would_not(&node)?;
    rep.show_secrets(args.show_secrets);
    // Rendered once, with the real values (K3s renders them: a secret too long for trimEmpty
    // fails there, so the preview fails too); the preview masks them when it prints. The model
    // is dropped once rendered: on a large file, writing then needs only the bytes.
    let rendered = {
        let p = pipeline(&node.registries, node.options.clone(), rep)?;
        Renderer::new()?.render_owned(p.model)?
    };
    let json = args.format == Format::Json;
    match &args.output {
        None if json => rep.preview_json(&rendered)?,
        None => rep.preview(&rendered)?,
        Some(dir) => {
            let out = write::Output::open(
                dir,
                write::Options {
                    dry_run: args.dry_run,
                    allow_wipe: args.allow_wipe,
                    lock_timeout: std::time::Duration::from_secs(args.lock_timeout),
                },
            )?;
            rep.recovery(out.dir(), out.recovery())?;
            let plan = out.plan(rendered)?;
            if args.dry_run {
                if json {
                    rep.plan_json(&plan, true)?;
                } else {
                    rep.dry_run(&plan)?;
                }
            } else {
                let done = out.apply(plan)?;
                if json {
                    rep.plan_json(&done.plan, false)?;
                }
                if !args.quiet {
                    rep.written(&done)?;
                }
            }
        }
    }
    Ok(Status::Ok)
}

/// `--output` names the directory standing for K3s's `<data-dir>/agent/etc/containerd`: it must
/// be a directory, or not exist yet in a directory that does (K3s's data dir exists; only the
/// last component is created, so a typo does not grow a tree).
fn check_output(dir: &Path) -> anyhow::Result<()> {
    match fs::kind(dir) {
        fs::Kind::Dir | fs::Kind::Unknown => Ok(()),
        fs::Kind::Other => anyhow::bail!(
            "--output {}: not a directory (--output names the directory that stands for K3s's \
             <data-dir>/agent/etc/containerd)",
            dir.display()
        ),
        fs::Kind::Missing => {
            let parent = match dir.parent() {
                Some(p) if p.as_os_str().is_empty() => Path::new("."),
                Some(p) => p,
                None => return Ok(()),
            };
            match fs::kind(parent) {
                fs::Kind::Dir | fs::Kind::Unknown => Ok(()),
                _ => anyhow::bail!(
                    "--output {}: {} is not an existing directory (only the last component of \
                     --output is created)",
                    dir.display(),
                    parent.display()
                ),
            }
        }
    }
}
