//! K3s's side: endpoint rules, node options, the K3s releases modelled (eras as data),
//! translation (`getHostConfigs`), the model, and rendering (templates + `trimEmpty`).

pub(crate) mod endpoint;
pub(crate) mod model;
pub(crate) mod node;
#[cfg(test)]
mod properties;
pub(crate) mod render;
pub(crate) mod translate;
pub(crate) mod versions;
