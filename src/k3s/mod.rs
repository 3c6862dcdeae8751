//! K3s's side: endpoint rules, node options, the K3s releases modelled (eras as data),
//! translation (`getHostConfigs`), the model, and rendering (templates + `trimEmpty`); and the
//! node itself: K3s's config file ([`configfile`]), the settings K3s starts with ([`settings`]),
//! and where K3s is and which release it runs ([`node_detect`]).

pub(crate) mod configfile;
pub(crate) mod endpoint;
pub(crate) mod model;
pub(crate) mod node;
pub(crate) mod node_detect;
#[cfg(test)]
mod properties;
pub(crate) mod render;
pub(crate) mod settings;
pub(crate) mod translate;
pub(crate) mod user_template;
pub(crate) mod versions;
