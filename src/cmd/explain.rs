//! `explain IMAGE`: normalise the reference (exit 2 when containerd would refuse it), gather the
//! files (rendered from registries.yaml, or a node's with `--hosts-dir`), merge config.toml with
//! the drop-ins it imports as containerd does, explain, print.

use anyhow::Context as _;

use super::{containerd_flavor, merge_imports, node, pipeline, refuse_if_k3s_would_not, Status};
use crate::cli::{ExplainArgs, Format};
use crate::containerd::hosts_dir::{host_paths, CertsTree};
use crate::containerd::image_ref;
use crate::explain::{explain, Files};
use crate::fs;
use crate::k3s::render::{Renderer, CONFIG_TOML};
use crate::report::Reporter;

pub(super) fn run(args: &ExplainArgs, rep: &mut Reporter<'_>) -> anyhow::Result<Status> {
    let image = image_ref::parse_docker_ref(&args.image).map_err(|e| {
        // CRI's own wording (image_pull.go PullImage).
        anyhow::anyhow!(
            "failed to parse image reference {}: {e}",
            crate::go::quote::quote(&args.image)
        )
    })?;
    let node = node::resolve(&args.k3s, &args.node, &args.input, None, rep)?;
    rep.show_secrets(args.show_secrets);
    let files = match &args.files.hosts_dir {
        Some(dir) => {
            let tree = CertsTree::read(dir).context("reading the hosts directory")?;
            rep.secrets(&tree.secrets());
            let config = match &args.files.containerd_config {
                Some(p) => {
                    let bytes = fs::read(p, fs::Limit::CONFIG_TOML)?;
                    let name = p.display().to_string();
                    // The file's imports are node paths: read through --root.
                    let merged = merge_imports(&node.fs, &node.fs.node_path_of(p), &name, &bytes)
                        .map(|m| m.registry)
                        .map_err(|e| e.error);
                    rep.secrets(&crate::containerd::cri::config_secrets(&bytes, &merged));
                    Some((name, merged))
                }
                None => None,
            };
            Files::node(
                &dir.display().to_string(),
                tree,
                config.as_ref().map(|(n, c)| (n.as_str(), c.clone())),
            )
        }
        None => {
            refuse_if_k3s_would_not(&node)?;
            // explain reads the model, never the file's positions: no source map, and the
            // registry moves into the model instead of being copied.
            let mut p = pipeline(&node.registries, node.options.clone(), rep)?;
            // Only the directories containerd looks up for this image, and config.toml.
            let lookups = host_paths(&image.domain);
            let rendered = Renderer::new()?
                .render_for(&mut p.model, |name| lookups.iter().any(|l| l == name))?;
            // From here on only the files are read (and the node's options and paths): the
            // translated registry and hosts go before config.toml is parsed, the largest step.
            drop(std::mem::take(&mut p.model.registry));
            drop(std::mem::take(&mut p.model.hosts));
            let mut files = Files::rendered(&p.source.display_name(), &p.model, &rendered);
            // On a node, containerd also merges the drop-ins config.toml imports.
            if node.found && node.options.era().imports {
                let node_path =
                    crate::go::filepath::join(&[&node.options.paths().template_dir, CONFIG_TOML]);
                let merged =
                    merge_imports(&node.fs, &node_path, CONFIG_TOML, &rendered.config_toml);
                if let Ok(m) = &merged {
                    if !m.imported.is_empty() {
                        rep.imports_note(&m.imported)?;
                    }
                }
                files.node.config = Some(merged.map(|m| m.registry).map_err(|e| e.error));
            }
            files
        }
    };
    let exp = explain(
        &args.image,
        &image,
        &files,
        containerd_flavor(args.containerd),
    );
    match args.format.resolve() {
        Format::Json => rep.explain_json(&exp)?,
        Format::Text => rep.explain_text(&exp)?,
    }
    Ok(Status::Ok)
}
