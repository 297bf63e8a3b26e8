//! The model interface: what the CAM engine, guided backpropagation, the metrics and the
//! sanity cascade need of a network, whatever its architecture.
//!
//! Two traits, for the two lives of a classifier:
//! - [`Network`]: the inference copy (batch norm folded, no dropout, no parameter gradients),
//!   split into named layers that a CAM can tap. It is object-safe: the engine holds a
//!   `Box<dyn Network>` and never learns the architecture.
//! - [`Classifier`]: the trainable model behind it, with its head (fine-tuning,
//!   `--freeze-features`), its inference copy and torchvision's initialization (sanity).
//!
//! A Burn user implements [`Network`] for their own `#[derive(Module)]` network (what
//! [`NetworkModule`] asks comes with the derive) to get every CAM method, guided
//! backpropagation and the metrics (`crates/cam/examples/custom_network.rs` does it for a small
//! CNN), and [`Classifier`] too for the sanity cascade.

use std::fmt::Debug;
use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::prelude::*;

/// Fewest cells across the map of an architecture's default layer: the last layer's at
/// ImageNet's 224 px (stride 32). Below it the defaults move to a layer at stride 16.
pub const MIN_DEFAULT_CELLS: usize = 7;

/// An inference network split into layers a CAM can tap, named as torchvision names them.
///
/// Layer `i`'s output is the input of layer `i + 1`; the images are the input of layer 0 and
/// the last layer's output is the input of [`head`](Self::head).
pub trait Network: NetworkModule + Debug + Send {
    /// The layers a CAM can tap, in network order, by their torchvision names
    /// (`features.18`, `layer4.1`).
    fn layers(&self) -> Vec<String>;

    /// Runs `layers` on `x`, the output of layer `layers.start - 1` (the images when
    /// `layers.start == 0`).
    ///
    /// # Shapes
    /// - `x`: `[batch, channels, height, width]`
    /// - output: `[batch, channels', height', width']`, as layer `layers.end - 1` gives it
    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4>;

    /// Pooling and the classifier on the last layer's output.
    ///
    /// # Shapes
    /// - `features`: `[batch, channels, height, width]`
    /// - output: `[batch, num_classes]`
    fn head(&self, features: Tensor<4>) -> Tensor<2>;

    /// The layer a map is computed on by default for square `image_size`-pixel inputs, as
    /// pytorch-grad-cam's README recommends for the architecture.
    fn default_layer(&self, image_size: usize) -> usize;

    /// Logits for a batch of normalized images.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let layers = self.layers().len();
        self.head(self.forward_layers(images, 0..layers))
    }

    /// The same network with every ReLU guided (its backward passes only positive gradients
    /// where its input was active), for guided backpropagation. A network that does not
    /// override it gives plain input gradients.
    fn guided(&self) -> Box<dyn Network> {
        self.boxed()
    }
}

/// What the engine needs of a [`Network`] as a module: copies and its device. Implemented for
/// every [`Module`].
pub trait NetworkModule {
    /// The device its parameters live on.
    fn device(&self) -> Device;

    /// A clone behind a box.
    fn boxed(&self) -> Box<dyn Network>;

    /// This network on the autodiff decorator of its device, its parameters without gradients:
    /// a backward through it yields input and activation gradients only.
    fn tracked(&self) -> Box<dyn Network>;
}

impl<M: Module + Network + 'static> NetworkModule for M {
    fn device(&self) -> Device {
        self.devices()[0].clone()
    }

    fn boxed(&self) -> Box<dyn Network> {
        Box::new(self.clone())
    }

    fn tracked(&self) -> Box<dyn Network> {
        let device = NetworkModule::device(self).autodiff();
        Box::new(self.clone().to_device(&device).no_grad())
    }
}

impl Clone for Box<dyn Network> {
    fn clone(&self) -> Self {
        self.boxed()
    }
}

/// A trainable classifier: what training, fine-tuning, checkpoints and the sanity cascade need.
pub trait Classifier: Module + Sized {
    /// The inference copy: batch norm on running statistics (folded where the architecture
    /// allows), dropout off. The model itself is not touched.
    fn fold(&self) -> Box<dyn Network>;

    /// Logits for a batch of normalized images (training mode where the model is).
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    fn forward(&self, images: Tensor<4>) -> Tensor<2>;

    /// The backbone's globally pooled output: what the classifier head sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, features]`
    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2>;

    /// The classifier head (dropout and linear where the architecture has them) on pooled
    /// features.
    ///
    /// # Shapes
    /// - `pooled`: `[batch, features]`
    /// - output: `[batch, num_classes]`
    fn classify(&self, pooled: Tensor<2>) -> Tensor<2>;

    /// Number of classes the head predicts.
    fn num_classes(&self) -> usize;

    /// The ids of the parameters before the head (fine-tuning gives them their own learning
    /// rate): [`param_ids`] of the backbone.
    fn backbone_ids(&self) -> Vec<ParamId>;

    /// Trainable parameters (weights and biases), as PyTorch's `model.parameters()` counts them.
    fn trainable_params(&self) -> usize;

    /// The parts the sanity cascade re-initializes, from the top: the head's name, then the
    /// inference copy's layers from the last to the first.
    fn cascade_steps(&self) -> Vec<String>;

    /// This model with the first `parts` of [`cascade_steps`](Self::cascade_steps) taken from
    /// `fresh` (same architecture, newly initialized): `1` replaces the head only.
    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self;

    /// A newly initialized model of the same architecture, with torchvision's initialization.
    fn fresh(&self, device: &Device) -> Self;
}

/// The ids of every parameter of `module` (weights and biases; not running statistics).
pub fn param_ids<M: Module>(module: &M) -> Vec<ParamId> {
    struct Ids(Vec<ParamId>);
    impl ModuleVisitor for Ids {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.id);
        }
    }
    let mut ids = Ids(Vec::new());
    module.visit(&mut ids);
    ids.0
}
