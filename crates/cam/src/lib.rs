//! Class activation maps for MobileNetV2: the Grad-CAM family on any layer, batched.
//!
//! [`CamEngine`] runs one split forward and (for gradient methods) one backward for all
//! images, targets and layers; each [`Method`] is a few lines on top of it.

mod eigen;
mod engine;
mod explanation;
mod layer;
mod method;

pub use engine::{CamEngine, Targets};
pub use explanation::{Explanation, LayerMaps};
pub use layer::TargetLayer;
pub use method::Method;
