//! The network: torchvision's `mobilenet_v3_small` and `mobilenet_v3_large(num_classes,
//! width_mult, dropout)`, their configuration and their split forward.

use burn::nn::activation::HardSwish;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::block::InvertedResidualConfig;
use crate::layers::conv_norm::{self, ConvNorm, ConvNormConfig};
use crate::layers::{Activation, MbConv, global_pool};
use crate::mobilenetv2::make_divisible;
use crate::native::channels_last;

/// The batch norms' epsilon in torchvision's MobileNetV3.
pub(crate) const EPSILON: f64 = 1e-3;
/// The batch norms' momentum in torchvision's MobileNetV3.
pub(crate) const MOMENTUM: f64 = 0.01;

/// One row of the paper's tables: input, kernel, expanded and output channels, squeeze-excitation,
/// hardswish, stride (widths at width 1).
type Row = (usize, usize, usize, usize, bool, bool, usize);

/// torchvision's `mobilenet_v3_large` blocks.
const LARGE: [Row; 15] = [
    (16, 3, 16, 16, false, false, 1),
    (16, 3, 64, 24, false, false, 2),
    (24, 3, 72, 24, false, false, 1),
    (24, 5, 72, 40, true, false, 2),
    (40, 5, 120, 40, true, false, 1),
    (40, 5, 120, 40, true, false, 1),
    (40, 3, 240, 80, false, true, 2),
    (80, 3, 200, 80, false, true, 1),
    (80, 3, 184, 80, false, true, 1),
    (80, 3, 184, 80, false, true, 1),
    (80, 3, 480, 112, true, true, 1),
    (112, 3, 672, 112, true, true, 1),
    (112, 5, 672, 160, true, true, 2),
    (160, 5, 960, 160, true, true, 1),
    (160, 5, 960, 160, true, true, 1),
];

/// torchvision's `mobilenet_v3_small` blocks.
const SMALL: [Row; 11] = [
    (16, 3, 16, 16, true, false, 2),
    (16, 3, 72, 24, false, false, 2),
    (24, 3, 88, 24, false, false, 1),
    (24, 5, 96, 40, true, true, 2),
    (40, 5, 240, 40, true, true, 1),
    (40, 5, 240, 40, true, true, 1),
    (40, 5, 120, 48, true, true, 1),
    (48, 5, 144, 48, true, true, 1),
    (48, 5, 288, 96, true, true, 2),
    (96, 5, 576, 96, true, true, 1),
    (96, 5, 576, 96, true, true, 1),
];

/// The two MobileNetV3s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum MobileNetV3Variant {
    /// `mobilenet_v3_small`.
    Small,
    /// `mobilenet_v3_large`.
    Large,
}

/// torchvision's names of the variants.
pub const VARIANTS: [(&str, MobileNetV3Variant); 2] = [
    ("mobilenet_v3_small", MobileNetV3Variant::Small),
    ("mobilenet_v3_large", MobileNetV3Variant::Large),
];

impl MobileNetV3Variant {
    /// torchvision's name.
    pub fn name(self) -> &'static str {
        VARIANTS.iter().find(|(_, v)| *v == self).unwrap().0
    }

    fn rows(self) -> &'static [Row] {
        match self {
            Self::Small => &SMALL,
            Self::Large => &LARGE,
        }
    }

    /// Width of the classifier's hidden layer at width 1.
    fn last_channel(self) -> usize {
        match self {
            Self::Small => 1024,
            Self::Large => 1280,
        }
    }
}

/// Hyper-parameters of torchvision's `mobilenet_v3_small` / `mobilenet_v3_large`.
#[derive(Config, Debug, PartialEq)]
pub struct MobileNetV3Config {
    /// Number of output classes.
    pub num_classes: usize,
    /// Small or large.
    pub variant: MobileNetV3Variant,
    /// Width multiplier applied to every layer's channel count, the classifier's hidden layer
    /// included (rounded to multiples of 8).
    #[config(default = 1.0)]
    pub width_mult: f64,
    /// Dropout probability before the last linear layer.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl MobileNetV3Config {
    /// The configuration of torchvision's `name` (`mobilenet_v3_small`), if it is one.
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        let (_, variant) = VARIANTS.iter().find(|(n, _)| *n == name)?;
        Some(Self::new(num_classes, *variant))
    }

    /// `channels` scaled by the width multiplier (torchvision's `adjust_channels`).
    fn scaled(&self, channels: usize) -> usize {
        make_divisible(channels as f64 * self.width_mult, 8)
    }

    /// The blocks `features.1` ... , widths scaled.
    pub fn blocks(&self) -> Vec<InvertedResidualConfig> {
        let rows = self.variant.rows().iter();
        rows.map(|&(input, kernel, expanded, output, se, hs, stride)| {
            let [input, expanded, output] = [input, expanded, output].map(|c| self.scaled(c));
            InvertedResidualConfig::new(input, kernel, expanded, output, se, hs, stride)
        })
        .collect()
    }

    /// Output channels of the stem, `features.0`.
    pub fn stem_channels(&self) -> usize {
        self.scaled(16)
    }

    /// Output channels of the last convolution: six times the last block's.
    pub fn last_conv_channels(&self) -> usize {
        6 * self.scaled(self.variant.rows().last().unwrap().3)
    }

    /// Width of the classifier's hidden layer (1024 or 1280 at width 1).
    pub fn last_channel(&self) -> usize {
        self.scaled(self.variant.last_channel())
    }

    /// Output channels of `features.0` ... (the stem, each block, the last convolution).
    pub fn feature_channels(&self) -> Vec<usize> {
        let blocks = self.blocks().into_iter().map(|b| b.out_channels);
        std::iter::once(self.stem_channels())
            .chain(blocks)
            .chain([self.last_conv_channels()])
            .collect()
    }

    /// Number of entries in `features`: the stem, the blocks and the last convolution.
    pub fn feature_layers(&self) -> usize {
        self.variant.rows().len() + 2
    }

    /// Build the network with torchvision's initialization: Kaiming-normal (fan-out) convs,
    /// unit/zero batch norms, `N(0, 0.01)` linear weights and zero biases.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::mobilenetv3::{MobileNetV3Config, MobileNetV3Variant};
    ///
    /// let device = Device::libtorch();
    /// let model = MobileNetV3Config::new(5, MobileNetV3Variant::Small).init(&device);
    /// let logits = model.forward(Tensor::zeros([2, 3, 64, 64], &device));
    /// assert_eq!(logits.dims(), [2, 5]);
    /// ```
    pub fn init(&self, device: &Device) -> MobileNetV3 {
        let conv_norm = |from: usize, to: usize| {
            ConvNormConfig::new(from, to)
                .with_epsilon(EPSILON)
                .with_momentum(MOMENTUM)
        };
        let stem = conv_norm(3, self.stem_channels()).with_stride(2);
        let mut features = vec![Feature::Conv(stem.init(device))];
        let blocks = self.blocks();
        features.extend(blocks.iter().map(|b| Feature::Block(b.init(device))));
        let last_input = blocks.last().unwrap().out_channels;
        let last = conv_norm(last_input, self.last_conv_channels()).with_kernel_size(1);
        features.push(Feature::Conv(last.init(device)));
        let linear = |from: usize, to: usize| {
            let linear = LinearConfig::new(from, to)
                .with_initializer(Initializer::Normal {
                    mean: 0.0,
                    std: 0.01,
                })
                .init(device);
            Linear {
                bias: linear.bias.map(|b| b.map(|t| t.zeros_like())),
                ..linear
            }
        };
        MobileNetV3 {
            features,
            classifier: (
                linear(self.last_conv_channels(), self.last_channel()),
                HardSwish::new(),
                DropoutConfig::new(self.dropout).init(),
                linear(self.last_channel(), self.num_classes),
            ),
        }
    }
}

/// torchvision's MobileNetV3. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct MobileNetV3 {
    /// The convolutional trunk: the stem, the inverted residuals and the last convolution.
    pub features: Vec<Feature>,
    /// `classifier.0` (linear), Hardswish, dropout and `classifier.3` (linear).
    pub classifier: (Linear, HardSwish, Dropout, Linear),
}

impl MobileNetV3 {
    /// Logits for a batch of normalized images.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.pooled_features(images))
    }

    /// The backbone's globally pooled output for normalized images: what the classifier sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, last_conv_channels]`
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = channels_last(images);
        global_pool(self.features.iter().fold(x, |h, f| f.forward(h)))
    }

    /// The classifier on pooled features.
    ///
    /// # Shapes
    /// - `pooled`: `[batch, last_conv_channels]`
    /// - output: `[batch, num_classes]`
    pub fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        let (hidden, activation, dropout, out) = &self.classifier;
        out.forward(dropout.forward(activation.forward(hidden.forward(pooled))))
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.3.weight.dims()[1]
    }

    /// Trainable parameters: weights and biases, as PyTorch's `model.parameters()` counts
    /// them (Burn's `num_params` also counts the batch norms' running statistics).
    pub fn trainable_params(&self) -> usize {
        let running: usize = (self.features.iter())
            .flat_map(Feature::conv_norms)
            .map(|(_, norm)| 2 * norm.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }
}

/// One entry of `features`: the stem or the last convolution, or an inverted residual.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// `features.0` and the last entry: convolution, batch norm, Hardswish.
    Conv(ConvNorm),
    /// The inverted residuals in between.
    Block(MbConv),
}

impl Feature {
    /// Runs this layer.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(layer) => conv_norm::forward(layer, Activation::Hardswish, x),
            Self::Block(block) => block.forward(x),
        }
    }

    /// The layer's convolutions with their batch norms.
    pub(crate) fn conv_norms(&self) -> Vec<&ConvNorm> {
        match self {
            Self::Conv(layer) => vec![layer],
            Self::Block(block) => block.conv_norms().collect(),
        }
    }

    /// Output channels.
    pub(crate) fn out_channels(&self) -> usize {
        match self {
            Self::Conv((conv, _)) => conv.weight.dims()[0],
            Self::Block(block) => block.out_channels(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_match_torchvision() {
        let small = MobileNetV3Config::new(1000, MobileNetV3Variant::Small);
        assert_eq!(
            (small.last_conv_channels(), small.last_channel()),
            (576, 1024)
        );
        let large = MobileNetV3Config::new(1000, MobileNetV3Variant::Large);
        assert_eq!(
            (large.last_conv_channels(), large.last_channel()),
            (960, 1280)
        );
        // torchvision's mobilenet_v3_small(width_mult=0.5): 8-channel stem, last conv 288,
        // hidden 512.
        let half = small.with_width_mult(0.5);
        assert_eq!(
            (
                half.stem_channels(),
                half.last_conv_channels(),
                half.last_channel()
            ),
            (8, 288, 512)
        );
    }
}
