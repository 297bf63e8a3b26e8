//! Class activation maps for MobileNetV2: the Grad-CAM family on any layer, batched.
//!
//! [`CamEngine`] runs one split forward and (for gradient methods) one backward for all
//! images, targets and layers; each [`Method`] is a few lines on top of it. [`guided`] adds
//! guided backpropagation and Guided Grad-CAM.

mod colormap_table;
mod eigen;
mod engine;
mod explanation;
pub mod figure;
pub mod guided;
pub mod input;
mod layer;
mod method;
pub mod metrics;
pub mod npy;
pub mod overlay;

pub use engine::{CamEngine, Targets};
pub use explanation::{Explanation, LayerMaps};
pub use layer::TargetLayer;
pub use method::Method;
