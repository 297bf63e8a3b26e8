use burn::prelude::*;

use crate::layers::{Feature, InvertedResidual, conv_bn_act};
use crate::model::MobileNetV2;
use burn::nn::{DropoutConfig, Initializer, LinearConfig};

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
    pub fn init(&self, device: &Device) -> MobileNetV2 {
        let mut input_channel = make_divisible(32.0 * self.width_mult, 8);
        let mut features = vec![Feature::Conv(conv_bn_act(
            3,
            input_channel,
            3,
            2,
            1,
            device,
        ))];
        for (t, c, n, s) in INVERTED_RESIDUAL_SETTING {
            let output_channel = make_divisible(c as f64 * self.width_mult, 8);
            for i in 0..n {
                let stride = if i == 0 { s } else { 1 };
                let block = InvertedResidual::new(input_channel, output_channel, stride, t, device);
                features.push(Feature::Block(block));
                input_channel = output_channel;
            }
        }
        let last_channel = self.last_channel();
        features.push(Feature::Conv(conv_bn_act(
            input_channel,
            last_channel,
            1,
            1,
            1,
            device,
        )));

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
