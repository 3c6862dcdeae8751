//! K3s's side: endpoint rules, node options, the K3s releases modelled (eras as data),
//! translation (`getHostConfigs`), the model, and rendering (templates + `trimEmpty`).

pub mod endpoint;
pub mod model;
pub mod node;
pub mod render;
pub mod translate;
pub mod versions;
