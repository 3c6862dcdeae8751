//! K3s's side: endpoint rules, node options, translation (`getHostConfigs`), the model, and
//! rendering (templates + `trimEmpty`).

pub mod endpoint;
pub mod model;
pub mod node;
pub mod render;
pub mod translate;
