//! A torchvision-exact MobileNetV2 for Burn, and the checkpoint formats around it.
//!
//! The module tree mirrors torchvision's `mobilenet_v2` key for key (`features.0.0.weight`,
//! `features.1.conv.0.1.running_mean`, `classifier.1.weight`, ...), so a torchvision
//! `state_dict` loads without a renaming table. The network can be run in pieces
//! (`features[i..j]`, then the head), which is what the CAM engine needs.

pub mod checkpoint;
mod config;
mod folded;
mod layers;
mod model;
pub mod native;

pub use config::{MobileNetV2Config, make_divisible};
pub use folded::FoldedMobileNetV2;
pub use layers::{Feature, InvertedResidual};
pub use model::{FEATURE_LAYERS, MobileNetV2, Normalization, Resize};
