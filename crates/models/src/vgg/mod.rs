//! torchvision's VGG family, key for key: `vgg11/13/16/19`, each with and without `_bn`.
//! [`VggConfig`] builds the network and [`FoldedVgg`] is its inference copy.

mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use folded::FoldedVgg;
pub use network::{Layer, VARIANTS, Vgg, VggConfig, VggHead};
