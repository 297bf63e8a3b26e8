//! An inference-only MobileNetV2 with every batch norm folded into its convolution.
//!
//! In eval mode a batch norm is an affine map per channel, so `BN(conv(x))` equals a single
//! convolution with scaled weights and a bias. Folding removes 52 passes over the activations;
//! with channels-last inputs it lets LibTorch's oneDNN kernels run the whole trunk, about three
//! times faster than the unfolded eval forward on a CPU. Results equal the eval-mode model's up
//! to float rounding.

use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::{BatchNorm, Linear};
use burn::prelude::*;

use crate::conv_norm::ConvNorm;
use crate::inverted_residual::BlockPart;
use crate::native::{guided_relu6, relu6};
use crate::network::Feature;
use crate::network::{FEATURE_LAYERS, MobileNetV2, global_pool};

/// What follows a folded convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Nothing: the linear bottleneck projection.
    Linear,
    /// ReLU6.
    Relu6,
    /// ReLU6 with the guided-backpropagation backward ([`crate::native::guided_relu6`]).
    GuidedRelu6,
}

/// A convolution carrying its folded batch norm as bias, and its activation.
#[derive(Module, Debug)]
pub struct FoldedConv {
    conv: Conv2d,
    #[module(skip)]
    activation: Activation,
}

impl FoldedConv {
    fn new((conv, norm): &ConvNorm, activation: Activation) -> Self {
        Self {
            conv: fold(conv, norm),
            activation,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let y = self.conv.forward(x);
        match self.activation {
            Activation::Linear => y,
            Activation::Relu6 => relu6(y),
            Activation::GuidedRelu6 => guided_relu6(y),
        }
    }
}

/// One entry of `features`, folded: its convolutions and whether the input is added back.
#[derive(Module, Debug)]
pub struct FoldedLayer {
    convs: Vec<FoldedConv>,
    residual: bool,
}

impl FoldedLayer {
    fn new(feature: &Feature) -> Self {
        match feature {
            Feature::Conv(layer) => Self {
                convs: vec![FoldedConv::new(layer, Activation::Relu6)],
                residual: false,
            },
            Feature::Block(block) => {
                let mut convs = Vec::with_capacity(3);
                let mut projection = None;
                for part in &block.conv {
                    match part {
                        BlockPart::ConvBnAct(layer) => {
                            convs.push(FoldedConv::new(layer, Activation::Relu6))
                        }
                        BlockPart::Conv(conv) => projection = Some(conv.clone()),
                        BlockPart::Norm(norm) => {
                            let conv = projection.take().expect("a projection precedes its norm");
                            convs.push(FoldedConv::new(&(conv, norm.clone()), Activation::Linear));
                        }
                    }
                }
                Self {
                    convs,
                    residual: block.use_residual,
                }
            }
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.convs.iter().fold(x.clone(), |h, conv| conv.forward(h));
        if self.residual { out + x } else { out }
    }
}

/// MobileNetV2 for inference only, batch norms folded into the convolutions.
///
/// It offers the same split forward as [`MobileNetV2`] (`features[i..j]`, then the head).
#[derive(Module, Debug)]
pub struct FoldedMobileNetV2 {
    features: Vec<FoldedLayer>,
    classifier: Linear,
}

impl FoldedMobileNetV2 {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &MobileNetV2) -> Self {
        let model = model.valid();
        Self {
            features: model.features.iter().map(FoldedLayer::new).collect(),
            classifier: model.classifier.1.clone(),
        }
    }

    /// This network on the autodiff decorator of its device, its parameters without gradients:
    /// a backward through it yields input and activation gradients only.
    pub fn tracked(&self) -> Self {
        let device = self.devices()[0].clone().autodiff();
        self.clone().to_device(&device).no_grad()
    }

    /// The same network with every ReLU6 guided, for guided backpropagation.
    pub fn guided(mut self) -> Self {
        for conv in self.features.iter_mut().flat_map(|layer| &mut layer.convs) {
            if conv.activation == Activation::Relu6 {
                conv.activation = Activation::GuidedRelu6;
            }
        }
        self
    }

    /// Logits for a batch of normalized images `[N, 3, H, W]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.head(self.forward_features(images, 0..FEATURE_LAYERS))
    }

    /// Runs `features[layers]`, as [`MobileNetV2::forward_features`].
    pub fn forward_features(&self, x: Tensor<4>, layers: std::ops::Range<usize>) -> Tensor<4> {
        self.features[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Global average pooling and the linear classifier (dropout is the identity in eval mode).
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.classifier.forward(global_pool(features))
    }
}

impl MobileNetV2 {
    /// This network's inference copy, batch norms folded ([`FoldedMobileNetV2::new`]).
    pub fn fold(&self) -> FoldedMobileNetV2 {
        FoldedMobileNetV2::new(self)
    }
}

/// `norm(conv(x))` as one convolution: weights scaled by `γ/√(σ²+ε)` per output channel,
/// bias `β − μ·γ/√(σ²+ε)` (plus the convolution's own bias, scaled, if it has one).
fn fold(conv: &Conv2d, norm: &BatchNorm) -> Conv2d {
    let scale = norm.gamma.val() / norm.running_var.value().add_scalar(norm.epsilon).sqrt();
    let shift = match &conv.bias {
        Some(bias) => bias.val() - norm.running_mean.value(),
        None => norm.running_mean.value().neg(),
    };
    let bias = norm.beta.val() + shift * scale.clone();
    let [out, ..] = conv.weight.dims();
    let weight = conv.weight.val() * scale.reshape([out, 1, 1, 1]);
    let mut folded = conv.clone();
    folded.weight = Param::from_tensor(weight);
    folded.bias = Some(Param::from_tensor(bias));
    folded
}
