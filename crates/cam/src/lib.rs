//! Class activation maps for MobileNetV2: the Grad-CAM family on any layer, batched.
//!
//! [`CamEngine`] runs one split forward and (for gradient methods) one backward for all
//! images, targets and layers; each [`Method`] in [`methods`] turns a layer's activations and
//! gradients into a map. [`guided`] adds guided backpropagation and Guided Grad-CAM;
//! [`render`] draws and saves maps; [`metrics`] measures them; [`sanity`] checks that maps
//! depend on the model at all. Images reach the engine through the `vision` crate.

mod engine;
mod explanation;
pub mod guided;
mod layer;
pub mod methods;
pub mod metrics;
pub mod render;
pub mod sanity;

pub use engine::{CamEngine, Forward, Front, Targets};
pub use explanation::{Explanation, LayerMaps, argmax};
pub use layer::TargetLayer;
pub use methods::Method;
