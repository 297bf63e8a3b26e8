//! torchvision's ResNet family, key for key: `resnet18/34/50/101/152`,
//! `resnext50_32x4d`, `resnext101_32x8d/64x4d`, `wide_resnet50_2/101_2` (timm's `resnet*`
//! share the keys). [`BlockConfig`] builds a basic or bottleneck block, [`ResNetConfig`] the
//! network, and [`FoldedResNet`] is its inference copy.

mod block;
mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use block::{BasicBlock, Block, BlockConfig, Bottleneck};
pub use folded::FoldedResNet;
pub use network::{ResNet, ResNetConfig, VARIANTS};
