//! torchvision-exact CNN classifiers for Burn behind one model interface, and the checkpoint
//! formats around them.
//!
//! - [`network`]: the interface. [`Network`] is an inference copy split into named layers (what
//!   the CAM engine taps); [`Classifier`] is the trainable model behind it.
//! - One folder per family, each mirroring torchvision key for key so that a `state_dict`
//!   loads without a renaming table: [`mobilenetv2`] (`mobilenet_v2`), [`mobilenetv3`]
//!   (`mobilenet_v3_small`, `mobilenet_v3_large`), [`resnet`]
//!   (`resnet18` ... `wide_resnet101_2`), [`vgg`] (`vgg11` ... `vgg19_bn`), [`efficientnet`]
//!   (`efficientnet_b0` ... `efficientnet_v2_l`), [`convnext`] (`convnext_tiny` ...
//!   `convnext_large`) and [`densenet`] (`densenet121` ... `densenet201`). Each part has a `Config` that `init`s it.
//! - [`Architecture`] names them and [`Model`] holds any of them; [`checkpoint`] reads the
//!   architecture off a checkpoint's keys and shapes.
//!
//! ```
//! # #![allow(deprecated)]
//! use burn::prelude::*;
//! use models::{Architecture, Classifier};
//!
//! let device = Device::libtorch();
//! let model = Architecture::parse("resnet18", 3, 0.25).unwrap().init(&device);
//! let images = Tensor::<4>::ones([1, 3, 64, 64], &device);
//! let network = model.fold();
//! // Split at `layer3.1` (stride 16): the activations, then the rest of the network.
//! let layers = network.layers();
//! let split = layers.iter().position(|name| name == "layer3.1").unwrap();
//! let activations = network.forward_layers(images.clone(), 0..split + 1);
//! assert_eq!(activations.dims(), [1, 64, 4, 4]);
//! let logits = network.head(network.forward_layers(activations, split + 1..layers.len()));
//! // The folded inference copy computes the trained model's eval-mode logits.
//! let eval = model.valid().forward(images);
//! let difference = (logits - eval).abs().max().into_scalar::<f32>();
//! assert!(difference < 1e-4);
//! ```

mod architecture;
pub mod checkpoint;
pub mod convnext;
pub mod densenet;
pub mod efficientnet;
pub mod layers;
pub mod mobilenetv2;
pub mod mobilenetv3;
pub mod native;
pub mod network;
pub mod resnet;
pub mod vgg;

pub use architecture::{Architecture, DEFAULT_ARCH, Model};
pub use convnext::{ConvNeXt, ConvNeXtConfig, FoldedConvNeXt};
pub use densenet::{DenseNet, DenseNetConfig, FoldedDenseNet};
pub use efficientnet::{EfficientNet, EfficientNetConfig, FoldedEfficientNet};
pub use mobilenetv2::{
    FEATURE_LAYERS, Feature, FoldedMobileNetV2, InvertedResidualConfig, MobileNetV2,
    MobileNetV2Config,
};
pub use mobilenetv3::{FoldedMobileNetV3, MobileNetV3, MobileNetV3Config};
pub use network::{Classifier, Network};
pub use resnet::{FoldedResNet, ResNet, ResNetConfig};
pub use vgg::{FoldedVgg, Vgg, VggConfig};
