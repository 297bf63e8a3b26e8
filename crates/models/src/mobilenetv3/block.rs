//! torchvision's MobileNetV3 `InvertedResidual`, an [`MbConv`]: expand (1×1, when wider),
//! depthwise (3×3 or 5×5), squeeze-excitation (in some blocks; ReLU, hard sigmoid), project
//! (1×1, linear).

use burn::prelude::*;

use super::network::{EPSILON, MOMENTUM};
use crate::layers::{Activation, Excitation, Gate, MbConv, MbConvConfig};
use crate::mobilenetv2::make_divisible;

/// Configuration of a MobileNetV3 block: one row of the paper's tables (widths already
/// scaled).
#[derive(Config, Debug, PartialEq)]
pub struct InvertedResidualConfig {
    /// Input channels.
    pub in_channels: usize,
    /// The depthwise convolution's kernel side (3 or 5).
    pub kernel_size: usize,
    /// Channels of the expanded (depthwise) layer.
    pub expanded_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// A squeeze-excitation after the depthwise convolution.
    pub squeeze_excite: bool,
    /// Hardswish instead of ReLU after the expansion and the depthwise convolution.
    pub hardswish: bool,
    /// Stride of the depthwise convolution (1 or 2).
    pub stride: usize,
}

impl InvertedResidualConfig {
    /// The activation after the expansion and the depthwise convolution.
    pub fn activation(&self) -> Activation {
        match self.hardswish {
            true => Activation::Hardswish,
            false => Activation::Relu,
        }
    }

    /// The block with torchvision's initialization (see [`ConvNormConfig::init`]).
    ///
    /// [`ConvNormConfig::init`]: crate::layers::ConvNormConfig::init
    pub fn init(&self, device: &Device) -> MbConv {
        let expanded = self.expanded_channels;
        let excitation = self.squeeze_excite.then(|| Excitation {
            squeeze_channels: make_divisible((expanded / 4) as f64, 8),
            activation: Activation::Relu,
            gate: Gate::HardSigmoid,
        });
        let config = MbConvConfig {
            in_channels: self.in_channels,
            expanded_channels: expanded,
            out_channels: self.out_channels,
            kernel_size: self.kernel_size,
            stride: self.stride,
            fused: false,
            activation: self.activation(),
            excitation,
            epsilon: EPSILON,
            momentum: MOMENTUM,
            stochastic_depth: 0.0,
        };
        config.init(device)
    }
}
