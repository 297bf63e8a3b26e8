//! torchvision's `mobilenet_v2`, key for key: [`ConvNormConfig`](crate::layers::ConvNormConfig)
//! (convolution, batch norm, ReLU6), [`InvertedResidualConfig`] (the bottleneck block),
//! [`MobileNetV2Config`] (the network) and its folded inference copy
//! ([`FoldedMobileNetV2`]).

mod classifier;
mod folded;
mod inverted_residual;
mod network;
pub(crate) mod shapes;

pub use folded::FoldedMobileNetV2;
pub use inverted_residual::{BlockPart, InvertedResidual, InvertedResidualConfig};
pub use network::{FEATURE_LAYERS, Feature, MobileNetV2, MobileNetV2Config, make_divisible};

/// `features.10`, the end of the 64-channel stage, also at stride 16: the default layer below
/// 224 px.
pub const SMALL_INPUT: usize = 10;
