//! Class activation maps for any network behind the model interface ([`models::Network`]:
//! MobileNetV2, the ResNets, or a Burn network of your own): the Grad-CAM family on any layer,
//! batched.
//!
//! [`CamEngine`] runs one split forward and (for gradient methods) one backward for all
//! images, targets and layers; each [`Method`] in [`methods`] turns a layer's activations and
//! gradients into a map. [`guided`] adds guided backpropagation and Guided Grad-CAM;
//! [`render`] draws and saves maps; [`metrics`] measures them; [`sanity`] checks that maps
//! depend on the model at all. Images reach the engine through the `vision` crate.
//!
//! ```
//! # #![allow(deprecated)]
//! use burn::prelude::*;
//! use burn::tensor::Distribution;
//! use cam::{CamEngine, Method, TargetLayer, Targets};
//! use models::{Architecture, Classifier};
//!
//! let device = Device::libtorch();
//! let model = Architecture::parse("resnet18", 3, 0.25).unwrap().init(&device);
//! // Fold the model once; engines, guided backprop and scorers share the inference copy.
//! let network = model.fold();
//! let layer = TargetLayer::find(network.as_ref(), "layer4").unwrap();
//! let engine = CamEngine::new(network.as_ref(), Method::GradCam, &[layer]);
//! let images = Tensor::<4>::random([2, 3, 96, 96], Distribution::Default, &device);
//! // Maps of each image's predicted class and of class 0, from one forward and one backward.
//! let explanation = engine.explain(images, &[Targets::Predicted, Targets::Classes(vec![0, 0])]);
//! assert_eq!(explanation.size, [96, 96]);
//! assert_eq!(explanation.classes[1], [0, 0]);
//! assert!(explanation.map(0, 1).iter().all(|v| (0.0..=1.0).contains(v)));
//! ```

mod engine;
mod explanation;
pub mod guided;
mod layer;
pub mod methods;
pub mod metrics;
pub mod render;
pub mod sanity;

pub use engine::{CamEngine, Forward, Front, Targets};
pub use explanation::{Explanation, LayerMaps, argmax};
pub use layer::TargetLayer;
pub use methods::Method;
