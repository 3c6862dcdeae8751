//! The rules, one file per subject. Each reads the `Ctx` (the file as loaded, the translated
//! model, the rendered files and what containerd makes of them) and adds findings; none
//! re-derives K3s's translation or containerd's reading: endpoints, defaults and credentials come
//! from the K3s model, and what containerd does with the files from the containerd model.

pub(crate) mod auth;
pub(crate) mod endpoints;
pub(crate) mod fallback;
pub(crate) mod keys;
pub(crate) mod node;
pub(crate) mod node_files;
pub(crate) mod output;
pub(crate) mod rewrites;
pub(crate) mod tls;
pub(crate) mod yaml;

use super::context::Ctx;

/// Runs every rule on a file that loaded.
pub(crate) fn run_all(ctx: &mut Ctx<'_>, node: &super::NodeFiles) {
    yaml::check(ctx);
    keys::check(ctx);
    auth::check(ctx);
    tls::check(ctx);
    endpoints::check(ctx);
    rewrites::check(ctx);
    fallback::check(ctx);
    output::check(ctx);
    node_files::check(ctx, node);
    if let Some(k3s) = &node.k3s {
        self::node::check(ctx, k3s);
    }
}
