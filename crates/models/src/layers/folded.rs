//! Convolutions with their eval-mode batch norm folded in, the parts of every inference copy.
//!
//! In eval mode a batch norm is an affine map per channel, so `BN(conv(x))` equals a single
//! convolution with scaled weights and a bias. Folding removes a pass over the activations per
//! batch norm; with channels-last inputs it lets LibTorch's oneDNN kernels run the whole trunk.
//! Results equal the eval-mode model's up to float rounding.

use burn::module::Param;
use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use super::{Activation, SqueezeExcitation};

/// A convolution carrying its folded batch norm as bias, and its activation.
#[derive(Module, Debug)]
pub struct FoldedConv {
    conv: Conv2d,
    #[module(skip)]
    activation: Activation,
}

impl FoldedConv {
    /// `activation(norm(conv(x)))` as one convolution and the activation.
    pub fn new(conv: &Conv2d, norm: &BatchNorm, activation: Activation) -> Self {
        Self {
            conv: fold(conv, norm),
            activation,
        }
    }

    /// A convolution without a batch norm (nothing to fold), and its activation.
    pub fn plain(conv: &Conv2d, activation: Activation) -> Self {
        Self {
            conv: conv.clone(),
            activation,
        }
    }

    /// Runs the convolution and its activation.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        self.activation.forward(self.conv.forward(x))
    }

    /// The same convolution with its activation guided.
    pub fn guided(mut self) -> Self {
        self.activation = self.activation.guided();
        self
    }
}

/// One part of a folded block.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum FoldedPart {
    /// A convolution, its batch norm folded in, and its activation.
    Conv(FoldedConv),
    /// Squeeze-excitation (nothing to fold).
    Excite(SqueezeExcitation),
}

impl FoldedPart {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(conv) => conv.forward(x),
            Self::Excite(excite) => excite.forward(x),
        }
    }

    fn guided(self) -> Self {
        match self {
            Self::Conv(conv) => Self::Conv(conv.guided()),
            Self::Excite(excite) => Self::Excite(excite.guided()),
        }
    }
}

/// A sequence of folded parts, its input added back where `residual` holds: an inverted
/// residual (MobileNetV2, MobileNetV3), an MBConv (EfficientNet), or a stem.
#[derive(Module, Debug)]
pub struct FoldedBlock {
    parts: Vec<FoldedPart>,
    residual: bool,
}

impl FoldedBlock {
    /// `parts` in order, plus the input when `residual`.
    pub fn new(parts: Vec<FoldedPart>, residual: bool) -> Self {
        Self { parts, residual }
    }

    /// Runs the parts, adding the input back when the block is residual.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.parts.iter().fold(x.clone(), |h, part| part.forward(h));
        if self.residual { out + x } else { out }
    }

    /// The same block with every ReLU guided.
    pub fn guided(mut self) -> Self {
        self.parts = self.parts.into_iter().map(FoldedPart::guided).collect();
        self
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

/// Global average pooling `[N, C, H, W] -> [N, C]`.
pub fn global_pool(features: Tensor<4>) -> Tensor<2> {
    features.mean_dim(3).mean_dim(2).flatten(1, 3)
}
