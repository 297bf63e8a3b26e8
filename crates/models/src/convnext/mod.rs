//! torchvision's `convnext_tiny`, `_small`, `_base` and `_large`, key for key: a patchifying
//! stem, four stages of ConvNeXt blocks (7×7 depthwise convolution, layer norm, an inverted MLP
//! with GELU, layer scale, stochastic depth) with downsamplings between them
//! ([`ConvNeXtConfig`]), and its inference copy ([`FoldedConvNeXt`]).

mod block;
mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use block::{CnBlock, CnBlockConfig, CnBranch};
pub use folded::FoldedConvNeXt;
pub use network::{ConvNeXt, ConvNeXtConfig, ConvNeXtHead, Feature, VARIANTS};
