//! The network: torchvision's `VGG(make_layers(cfg, batch_norm), num_classes)`, its named
//! variants and its forward.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AdaptiveAvgPool2d, AdaptiveAvgPool2dConfig, MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, Linear, LinearConfig,
    PaddingConfig2d, Relu,
};
use burn::prelude::*;

use crate::layers::conv_norm::{batch_norm, convolve_padded};
use crate::layers::zero_bias;
use crate::native::{channels_last, relu};

/// torchvision's named VGGs: (name, 3×3 convolutions in each of the five stages, a batch norm
/// after each convolution).
pub const VARIANTS: [(&str, [usize; 5], bool); 8] = [
    ("vgg11", [1, 1, 2, 2, 2], false),
    ("vgg11_bn", [1, 1, 2, 2, 2], true),
    ("vgg13", [2, 2, 2, 2, 2], false),
    ("vgg13_bn", [2, 2, 2, 2, 2], true),
    ("vgg16", [2, 2, 3, 3, 3], false),
    ("vgg16_bn", [2, 2, 3, 3, 3], true),
    ("vgg19", [2, 2, 4, 4, 4], false),
    ("vgg19_bn", [2, 2, 4, 4, 4], true),
];

/// Output channels of the five stages' convolutions at width 1.
pub(crate) const STAGE_WIDTHS: [usize; 5] = [64, 128, 256, 512, 512];
/// Width of the classifier's two hidden layers at width 1.
const HIDDEN: usize = 4096;
/// The side of the adaptive average pooling before the classifier.
const POOLED: usize = 7;

/// What stands at one index of `features`.
enum Entry {
    Conv {
        in_channels: usize,
        out_channels: usize,
    },
    Norm(usize),
    Relu,
    Pool,
}

/// Hyper-parameters of torchvision's `VGG`.
#[derive(Config, Debug, PartialEq)]
pub struct VggConfig {
    /// Number of output classes.
    pub num_classes: usize,
    /// 3×3 convolutions in each stage (each stage ends in a 2×2 max pooling).
    pub stages: [usize; 5],
    /// A batch norm after every convolution (`vgg16_bn`).
    #[config(default = false)]
    pub batch_norm: bool,
    /// Scales every convolution's width and the classifier's hidden width (torchvision's is 1;
    /// smaller widths are for quick experiments and tests).
    #[config(default = 1.0)]
    pub width_mult: f64,
    /// Dropout before the classifier's second and third linear layers.
    #[config(default = 0.5)]
    pub dropout: f64,
}

impl VggConfig {
    /// The configuration of torchvision's `name` (`vgg16`, `vgg11_bn`), if it is one.
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        VARIANTS
            .iter()
            .find(|(variant, ..)| *variant == name)
            .map(|(_, stages, batch_norm)| {
                Self::new(num_classes, *stages).with_batch_norm(*batch_norm)
            })
    }

    /// torchvision's name of this variant (`vgg16_bn`), if it is one.
    pub fn variant(&self) -> Option<&'static str> {
        VARIANTS
            .iter()
            .find(|(_, stages, batch_norm)| {
                *stages == self.stages && *batch_norm == self.batch_norm
            })
            .map(|(name, ..)| *name)
    }

    fn scaled(&self, width: usize) -> usize {
        ((width as f64 * self.width_mult).round() as usize).max(1)
    }

    /// Width of the classifier's two hidden layers.
    pub(crate) fn hidden_width(&self) -> usize {
        self.scaled(HIDDEN)
    }

    /// torchvision's `make_layers`: per stage, each convolution with its batch norm (`_bn`) and
    /// ReLU, then the stage's max pooling.
    fn entries(&self) -> Vec<Entry> {
        let mut entries = Vec::new();
        let mut in_channels = 3;
        for (&convs, &width) in self.stages.iter().zip(&STAGE_WIDTHS) {
            let out_channels = self.scaled(width);
            for _ in 0..convs {
                entries.push(Entry::Conv {
                    in_channels,
                    out_channels,
                });
                if self.batch_norm {
                    entries.push(Entry::Norm(out_channels));
                }
                entries.push(Entry::Relu);
                in_channels = out_channels;
            }
            entries.push(Entry::Pool);
        }
        entries
    }

    /// The indices in `features` of the convolutions (what tells the variants apart in a
    /// `state_dict`).
    pub(crate) fn conv_indices(&self) -> Vec<usize> {
        let entries = self.entries().into_iter().enumerate();
        entries
            .filter_map(|(i, entry)| matches!(entry, Entry::Conv { .. }).then_some(i))
            .collect()
    }

    /// The network with torchvision's initialization: Kaiming-normal (fan-out) convolutions with
    /// zero biases, unit/zero batch norms, linear layers N(0, 0.01) with zero biases.
    pub fn init(&self, device: &Device) -> Vgg {
        let features = self
            .entries()
            .into_iter()
            .map(|entry| match entry {
                Entry::Conv {
                    in_channels,
                    out_channels,
                } => Layer::Conv(conv3x3(in_channels, out_channels, device)),
                Entry::Norm(channels) => Layer::Norm(BatchNormConfig::new(channels).init(device)),
                Entry::Relu => Layer::Relu(Relu::new()),
                Entry::Pool => {
                    Layer::Pool(MaxPool2dConfig::new([2, 2]).with_strides([2, 2]).init())
                }
            })
            .collect();
        let last_channel = self.scaled(STAGE_WIDTHS[4]);
        let hidden = self.hidden_width();
        let dropout = DropoutConfig::new(self.dropout);
        Vgg {
            features,
            avgpool: AdaptiveAvgPool2dConfig::new([POOLED, POOLED]).init(),
            classifier: (
                linear(last_channel * POOLED * POOLED, hidden, device),
                Relu::new(),
                dropout.init(),
                linear(hidden, hidden, device),
                Relu::new(),
                dropout.init(),
                linear(hidden, self.num_classes, device),
            ),
        }
    }
}

/// A 3×3 convolution with padding 1 and a zero bias, Kaiming-normal (fan-out) weights.
fn conv3x3(in_channels: usize, out_channels: usize, device: &Device) -> Conv2d {
    let conv = Conv2dConfig::new([in_channels, out_channels], [3, 3])
        .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / (out_channels * 9) as f64).sqrt(),
        })
        .init(device);
    zero_bias::conv(conv)
}

/// A linear layer with N(0, 0.01) weights and a zero bias.
fn linear(inputs: usize, outputs: usize, device: &Device) -> Linear {
    let layer = LinearConfig::new(inputs, outputs)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: 0.01,
        })
        .init(device);
    zero_bias::linear(layer)
}

/// One entry of `features`, at its torchvision index.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Layer {
    /// A 3×3 convolution with bias.
    Conv(Conv2d),
    /// Its batch norm (the `_bn` variants).
    Norm(BatchNorm),
    /// ReLU (no parameters).
    Relu(Relu),
    /// The 2×2 max pooling that ends a stage (no parameters).
    Pool(MaxPool2d),
}

impl Layer {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(conv) => convolve_padded(conv, x, 1),
            Self::Norm(norm) => batch_norm(norm, x),
            Self::Relu(_) => relu(x),
            Self::Pool(pool) => pool.forward(x),
        }
    }
}

/// The classifier: linear, ReLU, dropout, linear, ReLU, dropout, linear (`classifier.0`,
/// `classifier.3`, `classifier.6`).
pub type VggHead = (Linear, Relu, Dropout, Linear, Relu, Dropout, Linear);

/// torchvision's VGG. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct Vgg {
    /// Convolutions, batch norms, ReLUs and poolings, at torchvision's indices.
    pub features: Vec<Layer>,
    /// Adaptive average pooling to 7×7.
    pub avgpool: AdaptiveAvgPool2d,
    /// The three-layer classifier.
    pub classifier: VggHead,
}

impl Vgg {
    /// Logits for a batch of normalized images.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, num_classes]`
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.pooled_features(images))
    }

    /// `features`, pooled to 7×7 and flattened: what the classifier sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, channels * 49]` (the last convolution's channels)
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self
            .features
            .iter()
            .fold(channels_last(images), |h, layer| layer.forward(h));
        flatten(self.avgpool.forward(x))
    }

    /// The classifier on flattened pooled features.
    ///
    /// # Shapes
    /// - `pooled`: `[batch, channels * 49]`
    /// - output: `[batch, num_classes]`
    pub fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        let (fc1, _, drop1, fc2, _, drop2, fc3) = &self.classifier;
        let x = drop1.forward(fc1.forward(pooled).clamp_min(0.0));
        let x = drop2.forward(fc2.forward(x).clamp_min(0.0));
        fc3.forward(x)
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.6.weight.dims()[1]
    }

    /// The hyper-parameters this network was built with, read off its layers.
    pub fn config(&self) -> VggConfig {
        let first_width = self
            .features
            .iter()
            .find_map(|layer| match layer {
                Layer::Conv(conv) => Some(conv.weight.dims()[0]),
                _ => None,
            })
            .expect("a VGG has convolutions");
        let mut stages = [0; 5];
        let mut stage = 0;
        for layer in &self.features {
            match layer {
                Layer::Conv(_) => stages[stage.min(4)] += 1,
                Layer::Pool(_) => stage += 1,
                _ => {}
            }
        }
        let batch_norm = self.features.iter().any(|l| matches!(l, Layer::Norm(_)));
        VggConfig::new(self.num_classes(), stages)
            .with_batch_norm(batch_norm)
            .with_width_mult(first_width as f64 / STAGE_WIDTHS[0] as f64)
            .with_dropout(self.classifier.2.prob)
    }

    /// Trainable parameters: weights and biases, as PyTorch's `model.parameters()` counts them
    /// (Burn's `num_params` also counts the batch norms' running statistics).
    pub fn trainable_params(&self) -> usize {
        let running: usize = self
            .features
            .iter()
            .map(|layer| match layer {
                Layer::Norm(norm) => 2 * norm.gamma.dims()[0],
                _ => 0,
            })
            .sum();
        self.num_params() - running
    }
}

/// `[N, C, H, W] -> [N, C·H·W]` in channel-major order, as PyTorch's `torch.flatten(x, 1)`.
pub(crate) fn flatten(x: Tensor<4>) -> Tensor<2> {
    x.flatten(1, 3)
}
