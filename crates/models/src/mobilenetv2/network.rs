//! The network: torchvision's `mobilenet_v2(num_classes, width_mult, dropout)`, its
//! configuration and its split forward.

use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, LinearConfig};
use burn::prelude::*;

use super::inverted_residual::{InvertedResidual, InvertedResidualConfig};
use crate::layers::Activation;
use crate::layers::conv_norm::{self, ConvNorm, ConvNormConfig};
use crate::layers::global_pool;
use crate::native::channels_last;

/// torchvision's `_make_divisible`: round `value` to the nearest multiple of `divisor`,
/// never going below `divisor` nor more than 10% below `value`.
pub fn make_divisible(value: f64, divisor: usize) -> usize {
    let d = divisor as f64;
    let rounded = (((value + d / 2.0) as usize) / divisor * divisor).max(divisor);
    if (rounded as f64) < 0.9 * value {
        rounded + divisor
    } else {
        rounded
    }
}

/// The inverted-residual settings of the paper: expansion `t`, channels `c`, repeats `n`, stride `s`.
const INVERTED_RESIDUAL_SETTING: [(usize, usize, usize, usize); 7] = [
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
];

/// Hyper-parameters of torchvision's `mobilenet_v2(num_classes, width_mult, dropout)`.
#[derive(Config, Debug, PartialEq)]
pub struct MobileNetV2Config {
    /// Number of output classes.
    pub num_classes: usize,
    /// Width multiplier applied to every layer's channel count (rounded to multiples of 8).
    #[config(default = 1.0)]
    pub width_mult: f64,
    /// Dropout probability before the classifier.
    #[config(default = 0.2)]
    pub dropout: f64,
}

impl MobileNetV2Config {
    /// Channels of `features.18`, the last feature map (1280 at width 1.0).
    pub fn last_channel(&self) -> usize {
        make_divisible(1280.0 * self.width_mult.max(1.0), 8)
    }

    /// Output channels of `features.0` ... `features.18`.
    pub fn feature_channels(&self) -> Vec<usize> {
        let mut channels = vec![make_divisible(32.0 * self.width_mult, 8)];
        for (_, c, n, _) in INVERTED_RESIDUAL_SETTING {
            channels.extend(std::iter::repeat_n(
                make_divisible(c as f64 * self.width_mult, 8),
                n,
            ));
        }
        channels.push(self.last_channel());
        channels
    }

    /// Build the network with torchvision's initialization: Kaiming-normal (fan-out) convs,
    /// unit/zero batch norms, `N(0, 0.01)` linear weights and zero biases.
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::MobileNetV2Config;
    ///
    /// let device = Device::libtorch();
    /// let model = MobileNetV2Config::new(5).with_width_mult(0.35).init(&device);
    /// assert_eq!(model.num_classes(), 5);
    /// let logits = model.forward(Tensor::zeros([2, 3, 64, 64], &device));
    /// assert_eq!(logits.dims(), [2, 5]);
    /// ```
    pub fn init(&self, device: &Device) -> MobileNetV2 {
        let mut input_channel = make_divisible(32.0 * self.width_mult, 8);
        let stem = ConvNormConfig::new(3, input_channel).with_stride(2);
        let mut features = vec![Feature::Conv(stem.init(device))];
        for (t, c, n, s) in INVERTED_RESIDUAL_SETTING {
            let output_channel = make_divisible(c as f64 * self.width_mult, 8);
            for i in 0..n {
                let stride = if i == 0 { s } else { 1 };
                let block = InvertedResidualConfig::new(input_channel, output_channel, stride, t);
                features.push(Feature::Block(block.init(device)));
                input_channel = output_channel;
            }
        }
        let last_channel = self.last_channel();
        let last = ConvNormConfig::new(input_channel, last_channel).with_kernel_size(1);
        features.push(Feature::Conv(last.init(device)));

        let linear = LinearConfig::new(last_channel, self.num_classes)
            .with_initializer(Initializer::Normal {
                mean: 0.0,
                std: 0.01,
            })
            .init(device);
        let linear = burn::nn::Linear {
            bias: linear.bias.map(|b| b.map(|t| t.zeros_like())),
            ..linear
        };
        MobileNetV2 {
            features,
            classifier: (DropoutConfig::new(self.dropout).init(), linear),
        }
    }
}

/// Number of entries in `features` (`features.0` ... `features.18`).
pub const FEATURE_LAYERS: usize = 19;

/// torchvision's MobileNetV2. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct MobileNetV2 {
    /// The convolutional trunk, `features.0` ... `features.18`.
    pub features: Vec<Feature>,
    /// `classifier.0` (dropout) and `classifier.1` (linear).
    pub classifier: (Dropout, Linear),
}

impl MobileNetV2 {
    /// Logits for a batch of normalized images.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        // Channels-last in, and channels-last gradients out of the head: LibTorch then runs
        // the convolutions (forward and backward) on its NHWC oneDNN kernels.
        let features = self.forward_features(channels_last(images), 0..FEATURE_LAYERS);
        self.head(channels_last(features))
    }

    /// Runs `features[layers]` on `x`, the output of `features[layers.start - 1]`
    /// (or the images when `layers.start == 0`).
    ///
    /// # Shapes
    /// - `x`: `[batch, channels, height, width]`, as `features[layers.start - 1]` gives it
    /// - output: `[batch, channels', height', width']`, as `features[layers.end - 1]` gives it
    pub fn forward_features(&self, x: Tensor<4>, layers: std::ops::Range<usize>) -> Tensor<4> {
        self.features[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Global average pooling, dropout and the linear classifier on `features.18`'s output.
    ///
    /// # Shapes
    /// - `features`: `[batch, last_channel, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.classify(global_pool(features))
    }

    /// The backbone's globally pooled output for normalized images: what the classifier sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, last_channel]`
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        global_pool(self.forward_features(channels_last(images), 0..FEATURE_LAYERS))
    }

    /// Dropout and the linear classifier on pooled features.
    ///
    /// # Shapes
    /// - `pooled`: `[batch, last_channel]`
    /// - output: `[batch, num_classes]`
    pub fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.classifier.1.forward(self.classifier.0.forward(pooled))
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.1.weight.dims()[1]
    }

    /// Channels of the last feature map.
    pub fn last_channel(&self) -> usize {
        self.classifier.1.weight.dims()[0]
    }

    /// Trainable parameters: weights and biases, as PyTorch's `model.parameters()` counts
    /// them (Burn's `num_params` also counts the batch norms' running statistics).
    pub fn trainable_params(&self) -> usize {
        let running: usize = self
            .features
            .iter()
            .flat_map(|feature| match feature {
                Feature::Conv((_, norm)) => vec![norm],
                Feature::Block(block) => block.norms().collect(),
            })
            .map(|norm| 2 * norm.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }
}

/// One entry of `features`: the stem / final 1x1 conv, or an inverted residual block.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// `features.0` and `features.18`.
    Conv(ConvNorm),
    /// `features.1` ... `features.17`.
    Block(InvertedResidual),
}

impl Feature {
    /// Runs this layer.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(layer) => conv_norm::forward(layer, Activation::Relu6, x),
            Self::Block(block) => block.forward(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_divisible_matches_torchvision() {
        // (value, divisor, torchvision's `_make_divisible`)
        for (value, expected) in [
            (32.0, 32),
            (16.0, 16),
            (8.4, 8),
            (5.6, 8),
            (44.8, 48),
            (11.0, 16),
        ] {
            assert_eq!(
                make_divisible(value, 8),
                expected,
                "make_divisible({value}, 8)"
            );
        }
    }

    #[test]
    fn feature_channels_match_torchvision_widths() {
        let full = MobileNetV2Config::new(1000).feature_channels();
        let expected = [
            32, 16, 24, 24, 32, 32, 32, 64, 64, 64, 64, 96, 96, 96, 160, 160, 160, 320, 1280,
        ];
        assert_eq!(full, expected);
        let half = MobileNetV2Config::new(1000)
            .with_width_mult(0.5)
            .feature_channels();
        let expected = [
            16, 8, 16, 16, 16, 16, 16, 32, 32, 32, 32, 48, 48, 48, 80, 80, 80, 160, 1280,
        ];
        assert_eq!(half, expected, "the last layer never narrows below 1280");
    }
}
