//! k3s-registries: what K3s does with `/etc/rancher/k3s/registries.yaml`, offline.
//!
//! The pipeline, one module a step:
//!
//! 1. [`registries`]: registries.yaml -> `Registry`, with Go yaml.v2's rules ([`yaml`]);
//! 2. [`k3s`]: registry + node options -> the model, with K3s's rules (`getHostConfigs`, the
//!    embedded registry's `InjectMirror`), then the text of `config.toml` and every `hosts.toml`
//!    through the templates in `templates/` and K3s's `trimEmpty`;
//! 3. [`write`]: the rendered tree -> files, atomically, with K3s's clean-up rule.
//!
//! Beside it, one model of containerd ([`containerd`]: hosts-dir lookup, hosts.toml as its
//! go-toml decodes it, config.toml credentials, image references) that both [`explain`] (one
//! image -> the requests containerd makes) and [`audit`] (rules -> diagnostics) stand on, and one
//! catalogue of diagnostics ([`diag`]). [`diff`] compares what K3s would write with a node's files. [`cmd`] is the only layer that knows the command line,
//! `anyhow` and exit statuses; [`report`] is the only one that prints; [`fs`] and [`write`] the
//! only ones that touch the filesystem.
#![warn(clippy::print_stdout, clippy::print_stderr)]

#[cfg(test)]
mod agreement;
pub(crate) mod audit;
pub mod cli;
pub mod cmd;
pub(crate) mod containerd;
pub mod diag;
pub(crate) mod diff;
#[cfg(test)]
mod differential;
pub(crate) mod explain;
pub(crate) mod fs;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod go;
pub(crate) mod k3s;
pub(crate) mod registries;
pub(crate) mod report;
pub(crate) mod secret;
pub(crate) mod write;
pub(crate) mod yaml;
