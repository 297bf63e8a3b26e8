//! The activations that follow a convolution in torchvision's CNNs, as one value a layer
//! carries (`#[module(skip)]`): ReLU and ReLU6 run LibTorch's fused kernels (see `native`),
//! and each has a guided counterpart for guided backpropagation.

use burn::prelude::*;
use burn::tensor::activation::{hard_swish, silu};

use crate::native::{guided_relu, guided_relu6, relu, relu6};

/// What follows a convolution (and its batch norm).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activation {
    /// Nothing: a linear projection, or a residual branch before its sum.
    Linear,
    /// ReLU.
    Relu,
    /// ReLU6.
    Relu6,
    /// Hardswish, `x · relu6(x + 3) / 6` (MobileNetV3).
    Hardswish,
    /// SiLU (swish), `x · σ(x)` (EfficientNet).
    Silu,
    /// ReLU with the guided-backpropagation backward ([`crate::native::guided_relu`]).
    GuidedRelu,
    /// ReLU6 with the guided-backpropagation backward ([`crate::native::guided_relu6`]).
    GuidedRelu6,
}

impl Activation {
    /// Runs this activation.
    ///
    /// # Shapes
    /// - `x` and output: `[batch, channels, height, width]`
    pub fn forward(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Linear => x,
            Self::Relu => relu(x),
            Self::Relu6 => relu6(x),
            Self::Hardswish => hard_swish(x),
            Self::Silu => silu(x),
            Self::GuidedRelu => guided_relu(x),
            Self::GuidedRelu6 => guided_relu6(x),
        }
    }

    /// The guided counterpart of a ReLU or ReLU6 (others stay as they are: pytorch-grad-cam's
    /// guided backpropagation replaces ReLUs only).
    pub fn guided(self) -> Self {
        match self {
            Self::Relu => Self::GuidedRelu,
            Self::Relu6 => Self::GuidedRelu6,
            other => other,
        }
    }
}
