//! The network: torchvision's `ResNet(block, layers, num_classes, groups, width_per_group)`, its
//! named variants and its forward.

use burn::nn::conv::Conv2d;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::block::{Block, BlockConfig};
use crate::layers::ConvNormConfig;
use crate::layers::conv_norm::{batch_norm, convolve};
use crate::layers::global_pool;
use crate::native::{channels_last, relu};

/// torchvision's named ResNets: (name, blocks per stage, bottleneck, groups, width per group).
pub const VARIANTS: [(&str, [usize; 4], bool, usize, usize); 10] = [
    ("resnet18", [2, 2, 2, 2], false, 1, 64),
    ("resnet34", [3, 4, 6, 3], false, 1, 64),
    ("resnet50", [3, 4, 6, 3], true, 1, 64),
    ("resnet101", [3, 4, 23, 3], true, 1, 64),
    ("resnet152", [3, 8, 36, 3], true, 1, 64),
    ("resnext50_32x4d", [3, 4, 6, 3], true, 32, 4),
    ("resnext101_32x8d", [3, 4, 23, 3], true, 32, 8),
    ("resnext101_64x4d", [3, 4, 23, 3], true, 64, 4),
    ("wide_resnet50_2", [3, 4, 6, 3], true, 1, 128),
    ("wide_resnet101_2", [3, 4, 23, 3], true, 1, 128),
];

/// Hyper-parameters of torchvision's `ResNet`.
#[derive(Config, Debug, PartialEq)]
pub struct ResNetConfig {
    /// Number of output classes.
    pub num_classes: usize,
    /// Blocks in `layer1` ... `layer4`.
    pub blocks: [usize; 4],
    /// Bottleneck blocks (ResNet-50 and up) instead of basic ones.
    pub bottleneck: bool,
    /// Groups of the 3×3 convolutions (ResNeXt's cardinality).
    #[config(default = 1)]
    pub groups: usize,
    /// torchvision's `width_per_group`.
    #[config(default = 64)]
    pub width_per_group: usize,
    /// Channels of the stem and of `layer1`'s `planes` (torchvision: 64). Narrower networks
    /// (16, 32) train in seconds; they have no torchvision name.
    #[config(default = 64)]
    pub base_width: usize,
}

impl ResNetConfig {
    /// The torchvision variant `name` (`resnet18`, `resnext50_32x4d`, `wide_resnet50_2`, ...).
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        let (_, blocks, bottleneck, groups, width_per_group) =
            VARIANTS.iter().find(|v| v.0 == name)?;
        Some(
            Self::new(num_classes, *blocks, *bottleneck)
                .with_groups(*groups)
                .with_width_per_group(*width_per_group),
        )
    }

    /// torchvision's name of this block layout (`resnet50`, `resnext50_32x4d`), whatever the
    /// base width; `None` for layouts torchvision has no name for.
    pub fn variant(&self) -> Option<&'static str> {
        let key = (
            self.blocks,
            self.bottleneck,
            self.groups,
            self.width_per_group,
        );
        VARIANTS
            .iter()
            .find(|v| (v.1, v.2, v.3, v.4) == key)
            .map(|v| v.0)
    }

    /// The variant's name, with the base width where it is not torchvision's 64
    /// (`resnet18-w16`).
    pub fn name(&self) -> String {
        let variant = self.variant().map(str::to_owned).unwrap_or_else(|| {
            let depth = self.blocks.iter().sum::<usize>() * if self.bottleneck { 3 } else { 2 } + 2;
            format!("resnet{depth}")
        });
        match self.base_width {
            64 => variant,
            width => format!("{variant}-w{width}"),
        }
    }

    /// Channels of `layer4`'s output, what the classifier sees (512 or 2048 in torchvision).
    pub fn last_channel(&self) -> usize {
        self.base_width * 8 * if self.bottleneck { 4 } else { 1 }
    }

    /// Build the network with torchvision's initialization: Kaiming-normal (fan-out)
    /// convolutions, unit/zero batch norms, and PyTorch's default `nn.Linear` init for `fc`.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::ResNetConfig;
    ///
    /// let device = Device::libtorch();
    /// let model = ResNetConfig::named("resnet18", 3).unwrap().with_base_width(8).init(&device);
    /// let logits = model.forward(Tensor::zeros([2, 3, 64, 64], &device));
    /// assert_eq!(logits.dims(), [2, 3]);
    /// ```
    pub fn init(&self, device: &Device) -> ResNet {
        let base = self.base_width;
        let mut in_channels = base;
        let mut stages = self.blocks.iter().enumerate().map(|(stage, &count)| {
            let planes = base << stage;
            (0..count)
                .map(|i| {
                    let block = BlockConfig::new(in_channels, planes)
                        .with_stride(if i == 0 && stage > 0 { 2 } else { 1 })
                        .with_bottleneck(self.bottleneck)
                        .with_groups(self.groups)
                        .with_width_per_group(self.width_per_group);
                    in_channels = block.out_channels();
                    block.init(device)
                })
                .collect::<Vec<_>>()
        });
        let stem = ConvNormConfig::new(3, base)
            .with_kernel_size(7)
            .with_stride(2);
        let (layer1, layer2, layer3, layer4) = (
            stages.next().expect("four stages"),
            stages.next().expect("four stages"),
            stages.next().expect("four stages"),
            stages.next().expect("four stages"),
        );
        ResNet {
            conv1: stem.init_conv(device),
            bn1: BatchNormConfig::new(base).init(device),
            maxpool: maxpool(),
            layer1,
            layer2,
            layer3,
            layer4,
            fc: LinearConfig::new(self.last_channel(), self.num_classes).init(device),
        }
    }
}

/// The stem's 3×3, stride-2 max pooling with padding 1.
pub(crate) fn maxpool() -> MaxPool2d {
    MaxPool2dConfig::new([3, 3])
        .with_strides([2, 2])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .init()
}

/// torchvision's ResNet. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct ResNet {
    /// The 7×7, stride-2 stem convolution.
    pub conv1: Conv2d,
    /// The stem's batch norm.
    pub bn1: BatchNorm,
    /// The stem's max pooling (no parameters).
    pub maxpool: MaxPool2d,
    /// Stage 1, stride 4.
    pub layer1: Vec<Block>,
    /// Stage 2, stride 8.
    pub layer2: Vec<Block>,
    /// Stage 3, stride 16.
    pub layer3: Vec<Block>,
    /// Stage 4, stride 32.
    pub layer4: Vec<Block>,
    /// The linear classifier on the globally pooled `layer4`.
    pub fc: Linear,
}

impl ResNet {
    /// Logits for a batch of normalized images.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.fc.forward(self.pooled_features(images))
    }

    /// The globally pooled output of `layer4`: what `fc` sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, last_channel]`
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = relu(batch_norm(
            &self.bn1,
            convolve(&self.conv1, channels_last(images)),
        ));
        let x = self.maxpool.forward(x);
        let x = self.blocks().fold(x, |h, block| block.forward(h));
        global_pool(channels_last(x))
    }

    /// Every residual block, `layer1.0` to `layer4`'s last, in order.
    pub fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.stages().into_iter().flatten()
    }

    /// `layer1` ... `layer4`.
    pub fn stages(&self) -> [&Vec<Block>; 4] {
        [&self.layer1, &self.layer2, &self.layer3, &self.layer4]
    }

    /// The same, mutable.
    pub(crate) fn stages_mut(&mut self) -> [&mut Vec<Block>; 4] {
        [
            &mut self.layer1,
            &mut self.layer2,
            &mut self.layer3,
            &mut self.layer4,
        ]
    }

    /// Number of classes `fc` predicts.
    pub fn num_classes(&self) -> usize {
        self.fc.weight.dims()[1]
    }

    /// The hyper-parameters this network was built with, read off its shapes.
    pub fn config(&self) -> ResNetConfig {
        let blocks = self.stages().map(Vec::len);
        let base_width = self.conv1.weight.dims()[0];
        let (bottleneck, groups, width) = match &self.layer1[0] {
            Block::Basic(_) => (false, 1, 64),
            Block::Bottleneck(b) => {
                let [width, per_group, ..] = b.conv2.weight.dims();
                let groups = width / per_group;
                (true, groups, width * 64 / base_width / groups)
            }
        };
        ResNetConfig::new(self.num_classes(), blocks, bottleneck)
            .with_groups(groups)
            .with_width_per_group(width)
            .with_base_width(base_width)
    }

    /// Trainable parameters: weights and biases, as PyTorch's `model.parameters()` counts
    /// them (Burn's `num_params` also counts the batch norms' running statistics).
    pub fn trainable_params(&self) -> usize {
        let running: usize = std::iter::once(&self.bn1)
            .chain(self.blocks().flat_map(Block::norms))
            .map(|norm| 2 * norm.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }
}
