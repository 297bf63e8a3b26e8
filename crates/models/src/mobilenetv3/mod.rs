//! torchvision's `mobilenet_v3_small` and `mobilenet_v3_large`, key for key: the inverted
//! residual with squeeze-excitation and Hardswish ([`InvertedResidualConfig`]), the network
//! ([`MobileNetV3Config`]) and its folded inference copy ([`FoldedMobileNetV3`]).

mod block;
mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use block::InvertedResidualConfig;
pub use folded::FoldedMobileNetV3;
pub use network::{Feature, MobileNetV3, MobileNetV3Config, MobileNetV3Variant, VARIANTS};
