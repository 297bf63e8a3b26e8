//! torchvision's `InvertedResidual`: expand (1x1), depthwise (3x3), project (1x1), with a skip
//! connection when the block keeps both resolution and width.

use burn::nn::BatchNorm;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use crate::layers::Activation;
use crate::layers::conv_norm::{self, ConvNorm, ConvNormConfig};

/// Configuration of an [`InvertedResidual`] block.
#[derive(Config, Debug)]
pub struct InvertedResidualConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Stride of the depthwise convolution (1 or 2).
    pub stride: usize,
    /// How many times wider the hidden layers are than the input (`t` in the paper).
    pub expand_ratio: usize,
}

impl InvertedResidualConfig {
    /// The block with torchvision's initialization (see [`ConvNormConfig::init`]).
    pub fn init(&self, device: &Device) -> InvertedResidual {
        let hidden = self.in_channels * self.expand_ratio;
        let mut conv = Vec::with_capacity(4);
        if self.expand_ratio != 1 {
            let expand = ConvNormConfig::new(self.in_channels, hidden).with_kernel_size(1);
            conv.push(BlockPart::ConvBnAct(expand.init(device)));
        }
        let depthwise = ConvNormConfig::new(hidden, hidden)
            .with_stride(self.stride)
            .with_groups(hidden);
        conv.push(BlockPart::ConvBnAct(depthwise.init(device)));
        let (projection, norm) = ConvNormConfig::new(hidden, self.out_channels)
            .with_kernel_size(1)
            .init(device);
        conv.push(BlockPart::Conv(projection));
        conv.push(BlockPart::Norm(norm));
        InvertedResidual {
            conv,
            use_residual: self.stride == 1 && self.in_channels == self.out_channels,
        }
    }
}

/// One entry of an inverted residual's `conv` sequence.
// Variants mirror torchvision's layout; the size difference only costs a few bytes per layer.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum BlockPart {
    /// Expansion (1x1) or depthwise (3x3) convolution with batch norm and ReLU6. (Variant
    /// names are part of camwatch checkpoints' keys: renaming one orphans saved runs.)
    ConvBnAct(ConvNorm),
    /// The linear 1x1 projection.
    Conv(Conv2d),
    /// The projection's batch norm (no activation: the bottleneck is linear).
    Norm(BatchNorm),
}

impl BlockPart {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::ConvBnAct(layer) => conv_norm::forward(layer, Activation::Relu6, x),
            Self::Conv(conv) => conv_norm::convolve(conv, x),
            Self::Norm(norm) => conv_norm::batch_norm(norm, x),
        }
    }
}

/// torchvision's `InvertedResidual`. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// The layers under `conv.{i}` in torchvision's key names.
    pub conv: Vec<BlockPart>,
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
    /// use models::InvertedResidualConfig;
    ///
    /// let device = Device::libtorch();
    /// let block = InvertedResidualConfig::new(16, 24, 2, 6).init(&device);
    /// let x = Tensor::<4>::zeros([2, 16, 32, 32], &device);
    /// assert_eq!(block.forward(x).dims(), [2, 24, 16, 16]);
    /// ```
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.conv.iter().fold(x.clone(), |h, part| part.forward(h));
        if self.use_residual { out + x } else { out }
    }

    /// The block's batch norms, in order.
    pub(crate) fn norms(&self) -> impl Iterator<Item = &BatchNorm> {
        self.conv.iter().filter_map(|part| match part {
            BlockPart::ConvBnAct((_, norm)) | BlockPart::Norm(norm) => Some(norm),
            BlockPart::Conv(_) => None,
        })
    }
}
