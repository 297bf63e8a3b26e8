//! The mobile inverted bottleneck that MobileNetV3 (`InvertedResidual`) and EfficientNet
//! (`MBConv`, `FusedMBConv`) share: expand, depthwise, squeeze-excitation, project, with a skip
//! connection when the block keeps both resolution and width. Keys: `block.{k}.0.weight`,
//! `block.{k}.1.*` for the convolutions, `block.{k}.fc1.*` for the squeeze-excitation.

use burn::nn::{Dropout, DropoutConfig};
use burn::prelude::*;

use super::conv_norm::{self, ConvNorm, ConvNormConfig};
use super::stochastic_depth::drop_samples;
use super::{Activation, FoldedBlock, FoldedConv, FoldedPart, SqueezeExcitation};
use super::{Gate, SqueezeExcitationConfig};

/// The squeeze-excitation of a block: its squeezed width, activation and gate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Excitation {
    /// Channels between the two 1×1 convolutions.
    pub squeeze_channels: usize,
    /// After the first (ReLU in MobileNetV3, SiLU in EfficientNet).
    pub activation: Activation,
    /// After the second (hard sigmoid in MobileNetV3, sigmoid in EfficientNet).
    pub gate: Gate,
}

/// Configuration of an [`MbConv`], widths already scaled.
#[derive(Clone, Debug, PartialEq)]
pub struct MbConvConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Channels of the expanded layer (`in_channels`: no expansion).
    pub expanded_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// The spatial kernel's side (3 or 5).
    pub kernel_size: usize,
    /// Stride of the spatial convolution (1 or 2).
    pub stride: usize,
    /// EfficientNetV2's `FusedMBConv`: the expansion is the spatial convolution, and there is no
    /// depthwise one.
    pub fused: bool,
    /// After the expansion and the depthwise convolution.
    pub activation: Activation,
    /// A squeeze-excitation after the depthwise convolution.
    pub excitation: Option<Excitation>,
    /// The batch norms' epsilon.
    pub epsilon: f64,
    /// The batch norms' running-statistics momentum.
    pub momentum: f64,
    /// torchvision's `StochasticDepth(p, "row")` on the residual branch while training.
    pub stochastic_depth: f64,
}

impl MbConvConfig {
    /// The block with torchvision's initialization (see [`ConvNormConfig::init`]).
    pub fn init(&self, device: &Device) -> MbConv {
        let conv_norm = |from: usize, to: usize, kernel: usize, stride: usize| {
            let config = ConvNormConfig::new(from, to)
                .with_kernel_size(kernel)
                .with_stride(stride)
                .with_epsilon(self.epsilon)
                .with_momentum(self.momentum);
            config.init(device)
        };
        let (input, expanded, output) =
            (self.in_channels, self.expanded_channels, self.out_channels);
        let (kernel, stride) = (self.kernel_size, self.stride);
        let mut block = Vec::with_capacity(4);
        if self.fused {
            if expanded == input {
                block.push(BlockPart::Activated(conv_norm(
                    input, output, kernel, stride,
                )));
            } else {
                block.push(BlockPart::Activated(conv_norm(
                    input, expanded, kernel, stride,
                )));
                block.push(BlockPart::Project(conv_norm(expanded, output, 1, 1)));
            }
        } else {
            if expanded != input {
                block.push(BlockPart::Activated(conv_norm(input, expanded, 1, 1)));
            }
            let depthwise = ConvNormConfig::new(expanded, expanded)
                .with_kernel_size(kernel)
                .with_stride(stride)
                .with_groups(expanded)
                .with_epsilon(self.epsilon)
                .with_momentum(self.momentum);
            block.push(BlockPart::Activated(depthwise.init(device)));
            if let Some(excitation) = self.excitation {
                let excite = SqueezeExcitationConfig {
                    channels: expanded,
                    squeeze_channels: excitation.squeeze_channels,
                    activation: excitation.activation,
                    gate: excitation.gate,
                };
                block.push(BlockPart::Excite(excite.init(device)));
            }
            block.push(BlockPart::Project(conv_norm(expanded, output, 1, 1)));
        }
        MbConv {
            block,
            activation: self.activation,
            use_residual: stride == 1 && input == output,
            stochastic_depth: DropoutConfig::new(self.stochastic_depth).init(),
        }
    }
}

/// One entry of a block's `block` sequence.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum BlockPart {
    /// An expansion or a spatial convolution, with batch norm and the block's activation.
    Activated(ConvNorm),
    /// Squeeze-excitation.
    Excite(SqueezeExcitation),
    /// The linear 1×1 projection and its batch norm.
    Project(ConvNorm),
}

/// A mobile inverted bottleneck. Field names match torchvision's `state_dict`.
#[derive(Module, Debug)]
pub struct MbConv {
    /// The layers under `block.{k}` in torchvision's key names.
    pub block: Vec<BlockPart>,
    /// After the expansion and the depthwise convolution.
    #[module(skip)]
    pub activation: Activation,
    /// torchvision's `use_res_connect`: stride 1 and equal input and output widths.
    pub use_residual: bool,
    /// Drops the residual branch of whole samples while training ([`drop_samples`]).
    pub stochastic_depth: Dropout,
}

impl MbConv {
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
        if !self.use_residual {
            return out;
        }
        drop_samples(&self.stochastic_depth, out) + x
    }

    /// The output width.
    pub fn out_channels(&self) -> usize {
        match self.block.last() {
            Some(BlockPart::Project((conv, _)) | BlockPart::Activated((conv, _))) => {
                conv.weight.dims()[0]
            }
            _ => unreachable!("a block ends in a convolution"),
        }
    }

    /// Whether the block has a squeeze-excitation.
    pub fn excites(&self) -> bool {
        (self.block.iter()).any(|part| matches!(part, BlockPart::Excite(_)))
    }

    /// Whether the block halves the resolution.
    pub fn halves(&self) -> bool {
        self.block.iter().any(|part| match part {
            BlockPart::Activated((conv, _)) => conv.stride[0] == 2,
            _ => false,
        })
    }

    /// The block's convolutions with their batch norms.
    pub(crate) fn conv_norms(&self) -> impl Iterator<Item = &ConvNorm> {
        self.block.iter().filter_map(|part| match part {
            BlockPart::Activated(layer) | BlockPart::Project(layer) => Some(layer),
            BlockPart::Excite(_) => None,
        })
    }

    /// The inference copy, batch norms folded (stochastic depth is the identity there).
    pub fn fold(&self) -> FoldedBlock {
        let parts = (self.block.iter())
            .map(|part| match part {
                BlockPart::Activated((conv, norm)) => {
                    FoldedPart::Conv(FoldedConv::new(conv, norm, self.activation))
                }
                BlockPart::Excite(excite) => FoldedPart::Excite(excite.clone()),
                BlockPart::Project((conv, norm)) => {
                    FoldedPart::Conv(FoldedConv::new(conv, norm, Activation::Linear))
                }
            })
            .collect();
        FoldedBlock::new(parts, self.use_residual)
    }
}
