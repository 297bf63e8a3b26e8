//! torchvision's MobileNetV3 `InvertedResidual`: expand (1×1, when wider), depthwise (3×3 or
//! 5×5), squeeze-excitation (in some blocks), project (1×1, linear), with a skip connection when
//! the block keeps both resolution and width. Keys: `block.{k}.0.weight`, `block.{k}.1.*` for
//! the convolutions, `block.{k}.fc1.*` for the squeeze-excitation.

use burn::prelude::*;

use super::network::{EPSILON, MOMENTUM};
use crate::layers::conv_norm::{self, ConvNorm, ConvNormConfig};
use crate::layers::{Activation, Gate, SqueezeExcitation, SqueezeExcitationConfig};
use crate::mobilenetv2::make_divisible;

/// Configuration of an [`InvertedResidual`]: one row of the paper's tables (widths already
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
    pub fn init(&self, device: &Device) -> InvertedResidual {
        let conv_norm = |from: usize, to: usize, kernel: usize| {
            ConvNormConfig::new(from, to)
                .with_kernel_size(kernel)
                .with_epsilon(EPSILON)
                .with_momentum(MOMENTUM)
        };
        let expanded = self.expanded_channels;
        let mut block = Vec::with_capacity(4);
        if expanded != self.in_channels {
            let expand = conv_norm(self.in_channels, expanded, 1);
            block.push(BlockPart::Activated(expand.init(device)));
        }
        let depthwise = conv_norm(expanded, expanded, self.kernel_size)
            .with_stride(self.stride)
            .with_groups(expanded);
        block.push(BlockPart::Activated(depthwise.init(device)));
        if self.squeeze_excite {
            let excite = SqueezeExcitationConfig {
                channels: expanded,
                squeeze_channels: make_divisible((expanded / 4) as f64, 8),
                activation: Activation::Relu,
                gate: Gate::HardSigmoid,
            };
            block.push(BlockPart::Excite(excite.init(device)));
        }
        let project = conv_norm(expanded, self.out_channels, 1);
        block.push(BlockPart::Project(project.init(device)));
        InvertedResidual {
            block,
            activation: self.activation(),
            use_residual: self.stride == 1 && self.in_channels == self.out_channels,
        }
    }
}

/// One entry of a block's `block` sequence.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum BlockPart {
    /// The expansion or the depthwise convolution, with batch norm and the block's activation.
    Activated(ConvNorm),
    /// Squeeze-excitation (ReLU, hard sigmoid).
    Excite(SqueezeExcitation),
    /// The linear 1×1 projection and its batch norm.
    Project(ConvNorm),
}

/// torchvision's MobileNetV3 `InvertedResidual`. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// The layers under `block.{k}` in torchvision's key names.
    pub block: Vec<BlockPart>,
    /// ReLU or Hardswish, after the expansion and the depthwise convolution.
    #[module(skip)]
    pub activation: Activation,
    /// torchvision's `use_res_connect`: stride 1 and equal input and output widths.
    pub use_residual: bool,
}

impl InvertedResidual {
    /// Runs the block, adding the input back when `use_residual` holds.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::mobilenetv3::InvertedResidualConfig;
    ///
    /// let device = Device::libtorch();
    /// let block = InvertedResidualConfig::new(16, 5, 72, 24, true, true, 2).init(&device);
    /// let x = Tensor::<4>::zeros([2, 16, 32, 32], &device);
    /// assert_eq!(block.forward(x).dims(), [2, 24, 16, 16]);
    /// ```
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.block.iter().fold(x.clone(), |h, part| match part {
            BlockPart::Activated(layer) => conv_norm::forward(layer, self.activation, h),
            BlockPart::Excite(excite) => excite.forward(h),
            BlockPart::Project(layer) => conv_norm::forward(layer, Activation::Linear, h),
        });
        if self.use_residual { out + x } else { out }
    }

    /// The output width.
    pub fn out_channels(&self) -> usize {
        match self.block.last() {
            Some(BlockPart::Project((conv, _))) => conv.weight.dims()[0],
            _ => unreachable!("a block ends in its projection"),
        }
    }
}
