//! The network: torchvision's `efficientnet_b0` ... `efficientnet_b7` and `efficientnet_v2_s`,
//! `_m`, `_l` (`num_classes`, `dropout`), their configuration and their forward.

use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::layers::conv_norm::{self, ConvNorm, ConvNormConfig};
use crate::layers::{Activation, Excitation, Gate, MbConv, MbConvConfig};
use crate::mobilenetv2::make_divisible;

/// One stage of the papers' tables: fused (EfficientNetV2's `FusedMBConv`), expansion ratio,
/// kernel, stride, input and output channels, blocks (at width and depth 1).
type Stage = (bool, f64, usize, usize, usize, usize, usize);

/// EfficientNet-B0's stages, which B1 ... B7 scale in width and depth.
const B0: [Stage; 7] = [
    (false, 1.0, 3, 1, 32, 16, 1),
    (false, 6.0, 3, 2, 16, 24, 2),
    (false, 6.0, 5, 2, 24, 40, 2),
    (false, 6.0, 3, 2, 40, 80, 3),
    (false, 6.0, 5, 1, 80, 112, 3),
    (false, 6.0, 5, 2, 112, 192, 4),
    (false, 6.0, 3, 1, 192, 320, 1),
];

/// `efficientnet_v2_s`'s stages.
const V2_S: [Stage; 6] = [
    (true, 1.0, 3, 1, 24, 24, 2),
    (true, 4.0, 3, 2, 24, 48, 4),
    (true, 4.0, 3, 2, 48, 64, 4),
    (false, 4.0, 3, 2, 64, 128, 6),
    (false, 6.0, 3, 1, 128, 160, 9),
    (false, 6.0, 3, 2, 160, 256, 15),
];

/// `efficientnet_v2_m`'s stages.
const V2_M: [Stage; 7] = [
    (true, 1.0, 3, 1, 24, 24, 3),
    (true, 4.0, 3, 2, 24, 48, 5),
    (true, 4.0, 3, 2, 48, 80, 5),
    (false, 4.0, 3, 2, 80, 160, 7),
    (false, 6.0, 3, 1, 160, 176, 14),
    (false, 6.0, 3, 2, 176, 304, 18),
    (false, 6.0, 3, 1, 304, 512, 5),
];

/// `efficientnet_v2_l`'s stages.
const V2_L: [Stage; 7] = [
    (true, 1.0, 3, 1, 32, 32, 4),
    (true, 4.0, 3, 2, 32, 64, 7),
    (true, 4.0, 3, 2, 64, 96, 7),
    (false, 4.0, 3, 2, 96, 192, 10),
    (false, 6.0, 3, 1, 192, 224, 19),
    (false, 6.0, 3, 2, 224, 384, 25),
    (false, 6.0, 3, 1, 384, 640, 7),
];

/// torchvision's EfficientNets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EfficientNetVariant {
    /// `efficientnet_b0`.
    B0,
    /// `efficientnet_b1`.
    B1,
    /// `efficientnet_b2`.
    B2,
    /// `efficientnet_b3`.
    B3,
    /// `efficientnet_b4`.
    B4,
    /// `efficientnet_b5`.
    B5,
    /// `efficientnet_b6`.
    B6,
    /// `efficientnet_b7`.
    B7,
    /// `efficientnet_v2_s`.
    V2S,
    /// `efficientnet_v2_m`.
    V2M,
    /// `efficientnet_v2_l`.
    V2L,
}

/// torchvision's names of the variants.
pub const VARIANTS: [(&str, EfficientNetVariant); 11] = [
    ("efficientnet_b0", EfficientNetVariant::B0),
    ("efficientnet_b1", EfficientNetVariant::B1),
    ("efficientnet_b2", EfficientNetVariant::B2),
    ("efficientnet_b3", EfficientNetVariant::B3),
    ("efficientnet_b4", EfficientNetVariant::B4),
    ("efficientnet_b5", EfficientNetVariant::B5),
    ("efficientnet_b6", EfficientNetVariant::B6),
    ("efficientnet_b7", EfficientNetVariant::B7),
    ("efficientnet_v2_s", EfficientNetVariant::V2S),
    ("efficientnet_v2_m", EfficientNetVariant::V2M),
    ("efficientnet_v2_l", EfficientNetVariant::V2L),
];

impl EfficientNetVariant {
    /// torchvision's name.
    pub fn name(self) -> &'static str {
        VARIANTS.iter().find(|(_, v)| *v == self).unwrap().0
    }

    /// EfficientNetV2 (fused first stages, no compound scaling).
    pub fn is_v2(self) -> bool {
        matches!(self, Self::V2S | Self::V2M | Self::V2L)
    }

    fn stages(self) -> &'static [Stage] {
        match self {
            Self::V2S => &V2_S,
            Self::V2M => &V2_M,
            Self::V2L => &V2_L,
            _ => &B0,
        }
    }

    /// The compound scaling of B0's widths and depths (1 for the V2s).
    fn scaling(self) -> (f64, f64) {
        match self {
            Self::B0 | Self::V2S | Self::V2M | Self::V2L => (1.0, 1.0),
            Self::B1 => (1.0, 1.1),
            Self::B2 => (1.1, 1.2),
            Self::B3 => (1.2, 1.4),
            Self::B4 => (1.4, 1.8),
            Self::B5 => (1.6, 2.2),
            Self::B6 => (1.8, 2.6),
            Self::B7 => (2.0, 3.1),
        }
    }

    /// torchvision's dropout before the classifier.
    pub fn dropout(self) -> f64 {
        match self {
            Self::B0 | Self::B1 | Self::V2S => 0.2,
            Self::B2 | Self::B3 | Self::V2M => 0.3,
            Self::B4 | Self::B5 | Self::V2L => 0.4,
            Self::B6 | Self::B7 => 0.5,
        }
    }

    /// The batch norms' epsilon and momentum: PyTorch's defaults up to B4, `(1e-3, 0.01)` for
    /// B5 ... B7 (ported from TensorFlow), epsilon 1e-3 for the V2s.
    fn norm(self) -> (f64, f64) {
        match self {
            Self::B5 | Self::B6 | Self::B7 => (1e-3, 0.01),
            Self::V2S | Self::V2M | Self::V2L => (1e-3, 0.1),
            _ => (1e-5, 0.1),
        }
    }
}

/// Hyper-parameters of torchvision's EfficientNets.
#[derive(Config, Debug, PartialEq)]
pub struct EfficientNetConfig {
    /// Number of output classes.
    pub num_classes: usize,
    /// Which EfficientNet.
    pub variant: EfficientNetVariant,
    /// Width multiplier on top of the variant's own (rounded to multiples of 8); 1 is
    /// torchvision's network.
    #[config(default = 1.0)]
    pub width_mult: f64,
    /// Dropout probability before the linear layer ([`EfficientNetVariant::dropout`] in
    /// [`Self::named`]).
    #[config(default = 0.2)]
    pub dropout: f64,
    /// The last block's stochastic-depth probability; block `k` of `n` drops with `p·k/n`.
    #[config(default = 0.2)]
    pub stochastic_depth: f64,
}

impl EfficientNetConfig {
    /// The configuration of torchvision's `name` (`efficientnet_b0`), if it is one.
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        let (_, variant) = VARIANTS.iter().find(|(n, _)| *n == name)?;
        Some(Self::new(num_classes, *variant).with_dropout(variant.dropout()))
    }

    /// `channels` scaled by both width multipliers (torchvision's `adjust_channels`).
    fn scaled(&self, channels: usize) -> usize {
        let width = self.variant.scaling().0 * self.width_mult;
        make_divisible(channels as f64 * width, 8)
    }

    /// Blocks per stage (torchvision's `adjust_depth`).
    pub fn depths(&self) -> Vec<usize> {
        let depth = self.variant.scaling().1;
        let stages = self.variant.stages().iter();
        stages
            .map(|s| (s.6 as f64 * depth).ceil() as usize)
            .collect()
    }

    /// The blocks of each stage `features.1` ..., widths scaled.
    pub fn stages(&self) -> Vec<Vec<MbConvConfig>> {
        let (epsilon, momentum) = self.variant.norm();
        let depths = self.depths();
        let total: usize = depths.iter().sum();
        let mut index = 0;
        let stages = self.variant.stages().iter().zip(depths);
        stages
            .map(
                |(&(fused, expand, kernel, stride, input, output, _), depth)| {
                    let [input, output] = [input, output].map(|c| self.scaled(c));
                    (0..depth)
                        .map(|k| {
                            let in_channels = if k == 0 { input } else { output };
                            let stochastic_depth =
                                self.stochastic_depth * index as f64 / total as f64;
                            index += 1;
                            MbConvConfig {
                                in_channels,
                                expanded_channels: make_divisible(in_channels as f64 * expand, 8),
                                out_channels: output,
                                kernel_size: kernel,
                                stride: if k == 0 { stride } else { 1 },
                                fused,
                                activation: Activation::Silu,
                                excitation: (!fused).then(|| Excitation {
                                    squeeze_channels: (in_channels / 4).max(1),
                                    activation: Activation::Silu,
                                    gate: Gate::Sigmoid,
                                }),
                                epsilon,
                                momentum,
                                stochastic_depth,
                            }
                        })
                        .collect()
                },
            )
            .collect()
    }

    /// Output channels of the stem, `features.0`.
    pub fn stem_channels(&self) -> usize {
        self.scaled(self.variant.stages()[0].4)
    }

    /// Output channels of the last convolution: four times the last stage's (1280 for the V2s).
    pub fn last_channels(&self) -> usize {
        match self.variant.is_v2() {
            true => self.scaled(1280),
            false => 4 * self.scaled(self.variant.stages().last().unwrap().5),
        }
    }

    /// Output channels of `features.0` ... (the stem, each stage, the last convolution).
    pub fn feature_channels(&self) -> Vec<usize> {
        let stages = self.variant.stages().iter().map(|s| self.scaled(s.5));
        std::iter::once(self.stem_channels())
            .chain(stages)
            .chain([self.last_channels()])
            .collect()
    }

    /// Build the network with torchvision's initialization: Kaiming-normal (fan-out) convs,
    /// unit/zero batch norms, `U(±1/√out)` linear weights and a zero bias.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::Classifier;
    /// use models::efficientnet::{EfficientNetConfig, EfficientNetVariant};
    ///
    /// let device = Device::libtorch();
    /// let config = EfficientNetConfig::new(5, EfficientNetVariant::B0).with_width_mult(0.25);
    /// let logits = config.init(&device).forward(Tensor::zeros([2, 3, 64, 64], &device));
    /// assert_eq!(logits.dims(), [2, 5]);
    /// ```
    pub fn init(&self, device: &Device) -> EfficientNet {
        let (epsilon, momentum) = self.variant.norm();
        let conv_norm = |from: usize, to: usize| {
            ConvNormConfig::new(from, to)
                .with_epsilon(epsilon)
                .with_momentum(momentum)
        };
        let stem = conv_norm(3, self.stem_channels()).with_stride(2);
        let mut features = vec![Feature::Conv(stem.init(device))];
        let stages = self.stages().into_iter();
        features.extend(stages.map(|s| Feature::Stage(s.iter().map(|b| b.init(device)).collect())));
        let last_input = self.scaled(self.variant.stages().last().unwrap().5);
        let last = conv_norm(last_input, self.last_channels()).with_kernel_size(1);
        features.push(Feature::Conv(last.init(device)));
        let range = 1.0 / (self.num_classes as f64).sqrt();
        let linear = LinearConfig::new(self.last_channels(), self.num_classes)
            .with_initializer(Initializer::Uniform {
                min: -range,
                max: range,
            })
            .init(device);
        let linear = Linear {
            bias: linear.bias.map(|b| b.map(|t| t.zeros_like())),
            ..linear
        };
        EfficientNet {
            features,
            classifier: (DropoutConfig::new(self.dropout).init(), linear),
        }
    }
}

/// torchvision's EfficientNet. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct EfficientNet {
    /// The convolutional trunk: the stem, the stages and the last convolution.
    pub features: Vec<Feature>,
    /// Dropout and `classifier.1` (linear).
    pub classifier: (Dropout, Linear),
}

/// One entry of `features`: the stem or the last convolution, or a stage of blocks.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// `features.0` and the last entry: convolution, batch norm, SiLU.
    Conv(ConvNorm),
    /// The stages in between (`features.{i}.{k}.block...`).
    Stage(Vec<MbConv>),
}

impl Feature {
    /// Runs this layer.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(layer) => conv_norm::forward(layer, Activation::Silu, x),
            Self::Stage(blocks) => blocks.iter().fold(x, |h, block| block.forward(h)),
        }
    }

    /// The layer's convolutions with their batch norms.
    pub(crate) fn conv_norms(&self) -> Vec<&ConvNorm> {
        match self {
            Self::Conv(layer) => vec![layer],
            Self::Stage(blocks) => blocks.iter().flat_map(MbConv::conv_norms).collect(),
        }
    }

    /// Output channels.
    pub(crate) fn out_channels(&self) -> usize {
        match self {
            Self::Conv((conv, _)) => conv.weight.dims()[0],
            Self::Stage(blocks) => blocks.last().map_or(0, MbConv::out_channels),
        }
    }

    /// Blocks in the layer (0 for a convolution).
    pub(crate) fn depth(&self) -> usize {
        match self {
            Self::Conv(_) => 0,
            Self::Stage(blocks) => blocks.len(),
        }
    }

    /// Whether the layer halves the resolution (the stem does not count: it is never the layer
    /// before one).
    pub(crate) fn halves(&self) -> bool {
        matches!(self, Self::Stage(blocks) if blocks.iter().any(MbConv::halves))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_and_depths_match_torchvision() {
        let b0 = EfficientNetConfig::new(1000, EfficientNetVariant::B0);
        assert_eq!(b0.depths(), [1, 2, 2, 3, 3, 4, 1]);
        assert_eq!(b0.last_channels(), 1280);
        // torchvision's efficientnet_b7: stem 64, stages up to 640, last conv 2560.
        let b7 = EfficientNetConfig::new(1000, EfficientNetVariant::B7);
        assert_eq!(b7.depths(), [4, 7, 7, 10, 10, 13, 4]);
        assert_eq!((b7.stem_channels(), b7.last_channels()), (64, 2560));
        let b3 = EfficientNetConfig::new(1000, EfficientNetVariant::B3);
        assert_eq!(
            b3.feature_channels(),
            [40, 24, 32, 48, 96, 136, 232, 384, 1536]
        );
        let v2 = EfficientNetConfig::new(1000, EfficientNetVariant::V2S);
        assert_eq!(v2.depths(), [2, 4, 4, 6, 9, 15]);
        assert_eq!(v2.last_channels(), 1280);
    }
}
