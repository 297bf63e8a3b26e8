//! The network: torchvision's `convnext_tiny`, `_small`, `_base` and `_large` (`num_classes`,
//! `stochastic_depth_prob`), their configuration and their forward.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Identity, LayerNorm, Linear};
use burn::prelude::*;

use super::block::{CnBlock, CnBlockConfig, WEIGHTS, layer_norm, layer_norm_2d, linear};
use crate::layers::conv_norm::convolve_padded;
use crate::layers::{global_pool, zero_bias};
use crate::mobilenetv2::shapes::candidate_widths;
use crate::native::channels_last;

/// torchvision's named ConvNeXts: (name, blocks per stage, stage widths, the last block's
/// stochastic-depth probability).
pub const VARIANTS: [(&str, [usize; 4], [usize; 4], f64); 4] = [
    ("convnext_tiny", [3, 3, 9, 3], [96, 192, 384, 768], 0.1),
    ("convnext_small", [3, 3, 27, 3], [96, 192, 384, 768], 0.4),
    ("convnext_base", [3, 3, 27, 3], [128, 256, 512, 1024], 0.5),
    ("convnext_large", [3, 3, 27, 3], [192, 384, 768, 1536], 0.5),
];

/// The stem's patch size and stride.
const PATCH: usize = 4;

/// Hyper-parameters of torchvision's `ConvNeXt`.
#[derive(Config, Debug, PartialEq)]
pub struct ConvNeXtConfig {
    /// Number of output classes.
    pub num_classes: usize,
    /// Blocks in each of the four stages.
    pub depths: [usize; 4],
    /// Channels of each stage.
    pub widths: [usize; 4],
    /// The last block's stochastic-depth probability; block `k` of `n` drops with
    /// `p·k/(n − 1)`.
    #[config(default = 0.1)]
    pub stochastic_depth: f64,
    /// The layer scales' initial value.
    #[config(default = 1e-6)]
    pub layer_scale: f64,
}

impl ConvNeXtConfig {
    /// The configuration of torchvision's `name` (`convnext_tiny`), if it is one.
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        let (_, depths, widths, stochastic_depth) = VARIANTS.iter().find(|v| v.0 == name)?;
        Some(Self::new(num_classes, *depths, *widths).with_stochastic_depth(*stochastic_depth))
    }

    /// Every stage width scaled by `width_mult` (torchvision's is 1; smaller widths are for
    /// quick experiments and tests).
    pub fn with_width_mult(self, width_mult: f64) -> Self {
        let widths = self
            .widths
            .map(|w| ((w as f64 * width_mult).round() as usize).max(1));
        Self { widths, ..self }
    }

    /// torchvision's name of the variant and the width multiplier on it: the variant of these
    /// depths whose widths, scaled, are these. Small, base and large share their depths: the
    /// usual multipliers (1, 0.5, 0.25, ...) are tried first, then any ratio of the first
    /// stage's widths.
    pub fn variant(&self) -> Option<(&'static str, f64)> {
        let same_depths = || VARIANTS.iter().filter(|v| v.1 == self.depths);
        let scales_to = |v: &(&str, [usize; 4], [usize; 4], f64), w: f64| {
            Self::new(1, v.1, v.2).with_width_mult(w).widths == self.widths
        };
        let usual = candidate_widths()
            .find_map(|w| same_depths().find(|v| scales_to(v, w)).map(|v| (v.0, w)));
        usual.or_else(|| {
            same_depths().find_map(|v| {
                let w = self.widths[0] as f64 / v.2[0] as f64;
                scales_to(v, w).then_some((v.0, w))
            })
        })
    }

    /// The network with torchvision's initialization (see [`CnBlockConfig::init`]).
    pub fn init(&self, device: &Device) -> ConvNeXt {
        let stem = Conv2dConfig::new([3, self.widths[0]], [PATCH, PATCH])
            .with_stride([PATCH, PATCH])
            .with_initializer(WEIGHTS)
            .init(device);
        let mut features = vec![Feature::Stem((
            zero_bias::conv(stem),
            layer_norm(self.widths[0], device),
        ))];
        let total: usize = self.depths.iter().sum();
        let mut index = 0;
        for stage in 0..4 {
            let width = self.widths[stage];
            let blocks = (0..self.depths[stage])
                .map(|_| {
                    let p = self.stochastic_depth * index as f64 / (total as f64 - 1.0).max(1.0);
                    index += 1;
                    CnBlockConfig::new(width)
                        .with_layer_scale(self.layer_scale)
                        .with_stochastic_depth(p)
                        .init(device)
                })
                .collect();
            features.push(Feature::Stage(blocks));
            if let Some(&next) = self.widths.get(stage + 1) {
                let conv = Conv2dConfig::new([width, next], [2, 2])
                    .with_stride([2, 2])
                    .with_initializer(WEIGHTS)
                    .init(device);
                features.push(Feature::Downsample((
                    layer_norm(width, device),
                    zero_bias::conv(conv),
                )));
            }
        }
        let last = self.widths[3];
        ConvNeXt {
            features,
            classifier: (
                layer_norm(last, device),
                Identity,
                linear(last, self.num_classes, device),
            ),
        }
    }
}

/// One entry of `features`.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// `features.0`: a 4×4 convolution of stride 4 (patches) and its layer norm.
    Stem((Conv2d, LayerNorm)),
    /// A stage's blocks.
    Stage(Vec<CnBlock>),
    /// Between stages: a layer norm and a 2×2 convolution of stride 2 that doubles the width.
    Downsample((LayerNorm, Conv2d)),
}

impl Feature {
    /// Runs the entry.
    ///
    /// # Shapes
    /// - `x`: `[batch, channels, height, width]`
    /// - output: `[batch, channels', height', width']`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Stem((conv, norm)) => layer_norm_2d(norm, convolve_padded(conv, x, 0)),
            Self::Stage(blocks) => blocks.iter().fold(x, |h, block| block.forward(h)),
            Self::Downsample((norm, conv)) => convolve_padded(conv, layer_norm_2d(norm, x), 0),
        }
    }

    /// Whether the entry halves the resolution (a downsampling).
    pub(crate) fn halves(&self) -> bool {
        matches!(self, Self::Downsample(_))
    }
}

/// The head: layer norm, (flatten), linear (`classifier.0`, `classifier.2`).
pub type ConvNeXtHead = (LayerNorm, Identity, Linear);

/// torchvision's ConvNeXt. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct ConvNeXt {
    /// The stem, the four stages and the three downsamplings between them.
    pub features: Vec<Feature>,
    /// Layer norm and linear layer on the pooled features.
    pub classifier: ConvNeXtHead,
}

impl ConvNeXt {
    /// `features`, globally average-pooled: what the classifier sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, channels]`
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = channels_last(images);
        global_pool(self.features.iter().fold(x, |h, f| f.forward(h)))
    }

    /// The classifier on pooled features: layer norm, then the linear layer.
    ///
    /// # Shapes
    /// - `pooled`: `[batch, channels]`
    /// - output: `[batch, num_classes]`
    pub fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        let (norm, _, linear) = &self.classifier;
        linear.forward(norm.forward(pooled))
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.2.weight.dims()[1]
    }

    /// The stages' blocks.
    fn stages(&self) -> impl Iterator<Item = &Vec<CnBlock>> {
        self.features.iter().filter_map(|f| match f {
            Feature::Stage(blocks) => Some(blocks),
            _ => None,
        })
    }

    /// The hyper-parameters this network was built with, read off its layers.
    pub fn config(&self) -> ConvNeXtConfig {
        let stages: Vec<&Vec<CnBlock>> = self.stages().collect();
        let depths = std::array::from_fn(|i| stages[i].len());
        let widths = std::array::from_fn(|i| stages[i][0].channels());
        let last = stages[3].last().expect("a stage has blocks");
        ConvNeXtConfig::new(self.num_classes(), depths, widths)
            .with_stochastic_depth(last.stochastic_depth.prob)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stochastic_depth_grows_to_the_last_block() {
        let device = crate::native::cpu();
        let config = ConvNeXtConfig::named("convnext_tiny", 3)
            .unwrap()
            .with_width_mult(0.25);
        let model = config.init(&device);
        let probs: Vec<f64> = (model.stages().flatten())
            .map(|b| b.stochastic_depth.prob)
            .collect();
        assert_eq!(probs.len(), 18);
        assert_eq!(probs[0], 0.0);
        assert!((probs[17] - 0.1).abs() < 1e-12);
        assert_eq!(model.config(), config);
        assert_eq!(config.variant(), Some(("convnext_tiny", 0.25)));
        // Widths no usual multiplier gives (torchvision's class on 1/12 of the widths).
        let odd = ConvNeXtConfig::new(3, [3, 3, 9, 3], [8, 16, 32, 64]);
        assert_eq!(odd.variant(), Some(("convnext_tiny", 8.0 / 96.0)));
        let base = ConvNeXtConfig::named("convnext_base", 3).unwrap();
        assert_eq!(
            base.with_width_mult(0.25).variant(),
            Some(("convnext_base", 0.25))
        );
    }
}
