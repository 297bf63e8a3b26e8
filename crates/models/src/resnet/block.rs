//! torchvision's `BasicBlock` (ResNet-18/34) and `Bottleneck` (ResNet-50 and up, ResNeXt,
//! Wide ResNet), with their optional `downsample` shortcut.

use burn::nn::BatchNorm;
use burn::nn::BatchNormConfig;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

use crate::layers::ConvNormConfig;
use crate::layers::conv_norm::{batch_norm, convolve};
use crate::native::relu;

/// One residual block's shape: `planes` is torchvision's name for the block's base width.
#[derive(Config, Debug)]
pub struct BlockConfig {
    /// Channels coming in.
    pub in_channels: usize,
    /// The block's base width (64, 128, 256, 512 in torchvision's stages).
    pub planes: usize,
    /// Stride of the block's 3×3 convolution (2 for the first block of stages 2-4).
    #[config(default = 1)]
    pub stride: usize,
    /// Three convolutions (1×1, 3×3, 1×1, expansion 4) instead of two 3×3.
    #[config(default = false)]
    pub bottleneck: bool,
    /// Groups of the 3×3 convolution (ResNeXt's cardinality).
    #[config(default = 1)]
    pub groups: usize,
    /// torchvision's `width_per_group` (64; 128 for Wide ResNet, 4 or 8 for ResNeXt).
    #[config(default = 64)]
    pub width_per_group: usize,
}

impl BlockConfig {
    /// Output channels over `planes`: 4 for a bottleneck, 1 for a basic block.
    pub fn expansion(&self) -> usize {
        if self.bottleneck { 4 } else { 1 }
    }

    /// Channels going out.
    pub fn out_channels(&self) -> usize {
        self.planes * self.expansion()
    }

    /// The block with torchvision's initialization (Kaiming-normal fan-out convolutions,
    /// unit/zero batch norms).
    pub fn init(&self, device: &Device) -> Block {
        let conv = |i: usize, o: usize, k: usize, stride: usize, groups: usize| {
            let config = ConvNormConfig::new(i, o)
                .with_kernel_size(k)
                .with_stride(stride)
                .with_groups(groups);
            (
                config.init_conv(device),
                BatchNormConfig::new(o).init(device),
            )
        };
        let out = self.out_channels();
        let downsample = (self.stride != 1 || self.in_channels != out)
            .then(|| conv(self.in_channels, out, 1, self.stride, 1));
        if self.bottleneck {
            let width = self.planes * self.width_per_group / 64 * self.groups;
            let (conv1, bn1) = conv(self.in_channels, width, 1, 1, 1);
            let (conv2, bn2) = conv(width, width, 3, self.stride, self.groups);
            let (conv3, bn3) = conv(width, out, 1, 1, 1);
            Block::Bottleneck(Bottleneck {
                conv1,
                bn1,
                conv2,
                bn2,
                conv3,
                bn3,
                downsample,
            })
        } else {
            let (conv1, bn1) = conv(self.in_channels, self.planes, 3, self.stride, 1);
            let (conv2, bn2) = conv(self.planes, self.planes, 3, 1, 1);
            Block::Basic(BasicBlock {
                conv1,
                bn1,
                conv2,
                bn2,
                downsample,
            })
        }
    }
}

/// A residual block, as torchvision's `layerN.M`.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Block {
    /// Two 3×3 convolutions.
    Basic(BasicBlock),
    /// 1×1 reduce, 3×3 (grouped), 1×1 expand.
    Bottleneck(Bottleneck),
}

/// torchvision's `BasicBlock`: `relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))`.
#[derive(Module, Debug)]
pub struct BasicBlock {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    /// The 1×1 strided convolution and batch norm of the shortcut, where the shape changes.
    pub downsample: Option<(Conv2d, BatchNorm)>,
}

/// torchvision's `Bottleneck` (ResNet v1.5: the stride sits on the 3×3 convolution).
#[derive(Module, Debug)]
pub struct Bottleneck {
    pub conv1: Conv2d,
    pub bn1: BatchNorm,
    pub conv2: Conv2d,
    pub bn2: BatchNorm,
    pub conv3: Conv2d,
    pub bn3: BatchNorm,
    /// The 1×1 strided convolution and batch norm of the shortcut, where the shape changes.
    pub downsample: Option<(Conv2d, BatchNorm)>,
}

impl Block {
    /// Runs the block.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let conv_norm = |conv: &Conv2d, norm: &BatchNorm, x| batch_norm(norm, convolve(conv, x));
        let (out, downsample) = match self {
            Self::Basic(b) => {
                let h = relu(conv_norm(&b.conv1, &b.bn1, x.clone()));
                (conv_norm(&b.conv2, &b.bn2, h), &b.downsample)
            }
            Self::Bottleneck(b) => {
                let h = relu(conv_norm(&b.conv1, &b.bn1, x.clone()));
                let h = relu(conv_norm(&b.conv2, &b.bn2, h));
                (conv_norm(&b.conv3, &b.bn3, h), &b.downsample)
            }
        };
        let identity = match downsample {
            Some((conv, norm)) => conv_norm(conv, norm, x),
            None => x,
        };
        relu(out + identity)
    }

    /// The block's batch norms, shortcut included.
    pub(crate) fn norms(&self) -> Vec<&BatchNorm> {
        let (mut norms, downsample) = match self {
            Self::Basic(b) => (vec![&b.bn1, &b.bn2], &b.downsample),
            Self::Bottleneck(b) => (vec![&b.bn1, &b.bn2, &b.bn3], &b.downsample),
        };
        norms.extend(downsample.iter().map(|(_, norm)| norm));
        norms
    }
}
