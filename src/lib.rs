//! k3s-registries: what K3s does with `/etc/rancher/k3s/registries.yaml`, offline.
//!
//! The pipeline, one module a step:
//!
//! 1. [`registries::load_str`]: registries.yaml -> [`registries::Registry`], with Go yaml.v2's rules;
//! 2. [`k3s::translate::translate`]: registry + [`k3s::node::NodeOptions`] -> [`k3s::model::Model`], with K3s's
//!    rules (`getHostConfigs`, the embedded registry's `InjectMirror`);
//! 3. [`k3s::render::Renderer`]: model -> the text of `config.toml` and every `hosts.toml`, through the
//!    tera templates in `templates/` and K3s's `trimEmpty`;
//! 4. [`write`]: the rendered tree -> files, atomically, with K3s's clean-up rule.
//!
//! `explain` and `audit` read the same model; they never re-derive K3s's rules.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod containerd;
pub mod diag;
pub mod explain;
pub mod go;
pub mod k3s;
pub mod registries;
pub mod report;
pub mod write;
pub mod yaml;
