//! `render`: print a preview of the files K3s writes, or write them into `--output`.

use super::{node, pipeline, refuse_if_k3s_would_not, Status};
use crate::cli::RenderArgs;
use crate::k3s::render::Renderer;
use crate::report::Reporter;
use crate::write;

pub(super) fn run(args: &RenderArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
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
        let p = pipeline(&node.registries, node.options.clone(), rep, false)?;
        Renderer::new()?.render_owned(p.model)?
    };
    match &args.output {
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
                rep.dry_run(&plan)?;
            } else {
                rep.written(&out.apply(plan)?)?;
            }
        }
    }
    Ok(Status::Ok)
}
