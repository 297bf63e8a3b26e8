//! torchvision's `SqueezeExcitation` (`torchvision.ops.misc`): channel gates computed from the
//! globally pooled input through two 1×1 convolutions (MobileNetV3, EfficientNet). Keys:
//! `fc1.{weight,bias}`, `fc2.{weight,bias}`.

use burn::nn::Initializer;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::prelude::*;
use burn::tensor::activation::{hard_sigmoid, sigmoid};

use super::Activation;

/// What turns the excitation into gates in `[0, 1]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    /// `σ(x)` (EfficientNet).
    Sigmoid,
    /// `relu6(x + 3) / 6` (MobileNetV3).
    HardSigmoid,
}

impl Gate {
    fn forward(self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Sigmoid => sigmoid(x),
            Self::HardSigmoid => hard_sigmoid(x, 1.0 / 6.0, 0.5),
        }
    }
}

/// Configuration of a [`SqueezeExcitation`].
#[derive(Debug, Clone)]
pub struct SqueezeExcitationConfig {
    /// Channels of the input (and of the gates).
    pub channels: usize,
    /// Channels between the two convolutions.
    pub squeeze_channels: usize,
    /// After the first convolution (torchvision's `activation`).
    pub activation: Activation,
    /// After the second (torchvision's `scale_activation`).
    pub gate: Gate,
}

impl SqueezeExcitationConfig {
    /// The module with the initialization torchvision's CNNs give every convolution:
    /// Kaiming-normal (fan-out) weights and zero biases.
    pub fn init(&self, device: &Device) -> SqueezeExcitation {
        let conv = |from: usize, to: usize| {
            let conv = Conv2dConfig::new([from, to], [1, 1])
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: (2.0 / to as f64).sqrt(),
                })
                .init(device);
            Conv2d {
                bias: conv.bias.map(|b| b.map(|t| t.zeros_like())),
                ..conv
            }
        };
        SqueezeExcitation {
            fc1: conv(self.channels, self.squeeze_channels),
            fc2: conv(self.squeeze_channels, self.channels),
            activation: self.activation,
            gate: self.gate,
        }
    }
}

/// torchvision's `SqueezeExcitation`. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct SqueezeExcitation {
    /// The squeezing 1×1 convolution (with bias).
    pub fc1: Conv2d,
    /// The expanding 1×1 convolution (with bias).
    pub fc2: Conv2d,
    #[module(skip)]
    activation: Activation,
    #[module(skip)]
    gate: Gate,
}

impl SqueezeExcitation {
    /// `x` times its channel gates.
    ///
    /// # Shapes
    /// - `x` and output: `[batch, channels, height, width]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let pooled = x.clone().mean_dim(3).mean_dim(2);
        let excited = self.activation.forward(self.fc1.forward(pooled));
        x * self.gate.forward(self.fc2.forward(excited))
    }

    /// The same module with its activation guided (pytorch-grad-cam guides its ReLU too).
    pub fn guided(mut self) -> Self {
        self.activation = self.activation.guided();
        self
    }
}
