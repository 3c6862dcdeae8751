//! `explain IMAGE`: normalise the reference (exit 2 when containerd would refuse it), gather the
//! files (rendered from registries.yaml, or a node's with `--hosts-dir`), explain, print.

use anyhow::Context as _;

use super::{containerd_flavor, node_options, pipeline, Status};
use crate::cli::ExplainArgs;
use crate::containerd::cri::parse_config_toml;
use crate::containerd::hosts_dir::CertsTree;
use crate::containerd::image_ref;
use crate::explain::{explain, Files};
use crate::fs;
use crate::k3s::render::Renderer;
use crate::report::Reporter;

pub(super) fn run(args: &ExplainArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let image = image_ref::parse_docker_ref(&args.image).map_err(|e| {
        // CRI's own wording (image_pull.go PullImage).
        anyhow::anyhow!(
            "failed to parse image reference {}: {e}",
            crate::go::quote::quote(&args.image)
        )
    })?;
    rep.show_secrets(args.show_secrets);
    let files = match &args.files.hosts_dir {
        Some(dir) => {
            let tree = CertsTree::read(dir).context("reading the hosts directory")?;
            let config = match &args.files.containerd_config {
                Some(p) => Some((p.display().to_string(), parse_config_toml(&fs::read(p)?))),
                None => None,
            };
            Files::node(
                &dir.display().to_string(),
                tree,
                config.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
            )
        }
        None => {
            let p = pipeline(&args.input, node_options(&args.node, None)?, rep, true)?;
            let rendered = Renderer::new()?.render(&p.model)?;
            Files::rendered(&p.source.display_name(), &p.model, &rendered)
        }
    };
    let exp = explain(
        &args.image,
        &image,
        &files,
        containerd_flavor(args.containerd),
    );
    if args.json {
        rep.explain_json(&exp)?;
    } else {
        rep.explain_text(&exp)?;
    }
    Ok(Status::Ok)
}
