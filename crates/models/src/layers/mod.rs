//! Parts shared by the architectures: activations, convolution with batch norm for training,
//! squeeze-excitation, stochastic depth, the mobile inverted bottleneck, and the folded convolutions of the inference copies.

pub mod activation;
pub mod conv_norm;
pub(crate) mod features;
pub mod folded;
pub mod mbconv;
pub mod squeeze_excitation;
pub mod stochastic_depth;
pub(crate) mod zero_bias;

pub use activation::Activation;
pub use conv_norm::{ConvNorm, ConvNormConfig};
pub use folded::{FoldedBlock, FoldedConv, FoldedPart, global_pool};
pub use mbconv::{BlockPart, Excitation, MbConv, MbConvConfig};
pub use squeeze_excitation::{Gate, SqueezeExcitation, SqueezeExcitationConfig};
