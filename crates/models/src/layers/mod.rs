//! Parts shared by the architectures: convolution with batch norm for training, and the folded
//! convolutions of the inference copies.

pub mod conv_norm;
pub mod folded;

pub use conv_norm::{ConvNorm, ConvNormConfig};
pub use folded::{Activation, FoldedConv, global_pool};
