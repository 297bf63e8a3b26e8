//! A torchvision-exact MobileNetV2 for Burn, and the checkpoint formats around it.
//!
//! The module tree mirrors torchvision's `mobilenet_v2` key for key (`features.0.0.weight`,
//! `features.1.conv.0.1.running_mean`, `classifier.1.weight`, ...), so a torchvision
//! `state_dict` loads without a renaming table. Each part has a `Config` that `init`s it:
//! [`ConvNormConfig`] (convolution, batch norm, ReLU6), [`InvertedResidualConfig`] (the
//! bottleneck block) and [`MobileNetV2Config`] (the network). The network can be run in pieces
//! (`features[i..j]`, then the head), which is what the CAM engine needs, and folded into an
//! inference copy ([`FoldedMobileNetV2`]).
//!
//! ```
//! # #![allow(deprecated)]
//! use burn::prelude::*;
//! use mobilenetv2::{FEATURE_LAYERS, FoldedMobileNetV2, MobileNetV2Config};
//!
//! let device = Device::libtorch();
//! let model = MobileNetV2Config::new(3).with_width_mult(0.5).init(&device);
//! let images = Tensor::<4>::ones([1, 3, 96, 96], &device);
//! // Split at `features.13` (stride 16): the activations, then the rest of the network.
//! let activations = model.forward_features(images.clone(), 0..14);
//! assert_eq!(activations.dims(), [1, 48, 6, 6]);
//! let logits = model.head(model.forward_features(activations, 14..FEATURE_LAYERS));
//! // The folded inference copy computes the same logits.
//! let folded = FoldedMobileNetV2::new(&model).forward(images);
//! let difference = (logits - folded).abs().max().into_scalar::<f32>();
//! assert!(difference < 1e-4);
//! ```

pub mod checkpoint;
mod conv_norm;
mod folded;
mod inverted_residual;
pub mod native;
mod network;

pub use conv_norm::{ConvNorm, ConvNormConfig};
pub use folded::FoldedMobileNetV2;
pub use inverted_residual::{BlockPart, InvertedResidual, InvertedResidualConfig};
pub use network::{FEATURE_LAYERS, Feature, MobileNetV2, MobileNetV2Config, make_divisible};
