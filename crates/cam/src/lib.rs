//! Class activation maps for MobileNetV2: the Grad-CAM family on any layer, batched.
//!
//! [`CamEngine`] runs one split forward and (for gradient methods) one backward for all
//! images, targets and layers; each [`Method`] in [`methods`] turns a layer's activations and
//! gradients into a map. [`guided`] adds guided backpropagation and Guided Grad-CAM;
//! [`preprocess`] turns image files into model inputs and back; [`render`] draws and saves maps;
//! [`resize`] scales pictures and maps; [`metrics`] measures them; [`sanity`] checks that maps
//! depend on the model at all.

mod engine;
mod explanation;
pub mod guided;
mod layer;
pub mod methods;
pub mod metrics;
pub mod preprocess;
pub mod render;
pub mod resize;
pub mod sanity;

pub use engine::{CamEngine, Forward, Front, Targets};
pub use explanation::{Explanation, LayerMaps, argmax};
pub use layer::TargetLayer;
pub use methods::Method;
