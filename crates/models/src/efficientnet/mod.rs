//! torchvision's `efficientnet_b0` ... `efficientnet_b7` and `efficientnet_v2_s`, `_m`, `_l`,
//! key for key: stages of mobile inverted bottlenecks with squeeze-excitation and SiLU
//! ([`crate::layers::MbConv`]; fused in EfficientNetV2's first stages), the network
//! ([`EfficientNetConfig`]) and its folded inference copy ([`FoldedEfficientNet`]).

mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use folded::FoldedEfficientNet;
pub use network::{EfficientNet, EfficientNetConfig, EfficientNetVariant, Feature, VARIANTS};
