//! The network: torchvision's `densenet121`, `161`, `169` and `201` (`num_classes`,
//! `drop_rate`), their configuration and their forward, split into the layers a CAM taps.

use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;

use super::block::{DenseBlock, DenseLayerConfig, Transition, conv, norm_relu};
use crate::layers::conv_norm::{batch_norm, convolve};
use crate::layers::{Activation, global_pool, zero_bias};
use crate::native::channels_last;

/// torchvision's named DenseNets: (name, growth rate, layers per block, the stem's channels).
pub const VARIANTS: [(&str, usize, [usize; 4], usize); 4] = [
    ("densenet121", 32, [6, 12, 24, 16], 64),
    ("densenet161", 48, [6, 12, 36, 24], 96),
    ("densenet169", 32, [6, 12, 32, 32], 64),
    ("densenet201", 32, [6, 12, 48, 32], 64),
];

/// The layers a CAM taps, by torchvision's names: the stem (up to its max pooling), each dense
/// block and transition, and the final batch norm with torchvision's in-place ReLU after it
/// (pytorch-grad-cam's `features[-1]`).
pub const LAYERS: [&str; 9] = [
    "features.pool0",
    "features.denseblock1",
    "features.transition1",
    "features.denseblock2",
    "features.transition2",
    "features.denseblock3",
    "features.transition3",
    "features.denseblock4",
    "features.norm5",
];

/// Hyper-parameters of torchvision's `DenseNet`.
#[derive(Config, Debug, PartialEq)]
pub struct DenseNetConfig {
    /// Number of output classes.
    pub num_classes: usize,
    /// Channels each dense layer adds.
    pub growth_rate: usize,
    /// Dense layers in each of the four blocks.
    pub blocks: [usize; 4],
    /// Channels of the stem's convolution.
    pub init_features: usize,
    /// The bottleneck's width in multiples of the growth rate.
    #[config(default = 4)]
    pub bn_size: usize,
    /// Dropout on each dense layer's new channels while training.
    #[config(default = 0.0)]
    pub drop_rate: f64,
}

impl DenseNetConfig {
    /// The configuration of torchvision's `name` (`densenet121`), if it is one.
    pub fn named(name: &str, num_classes: usize) -> Option<Self> {
        let (_, growth, blocks, init) = VARIANTS.iter().find(|v| v.0 == name)?;
        Some(Self::new(num_classes, *growth, *blocks, *init))
    }

    /// The growth rate and the stem's channels scaled by `width_mult` (torchvision's is 1;
    /// smaller widths are for quick experiments and tests).
    pub fn with_width_mult(self, width_mult: f64) -> Self {
        let scaled = |c: usize| ((c as f64 * width_mult).round() as usize).max(1);
        Self {
            growth_rate: scaled(self.growth_rate),
            init_features: scaled(self.init_features),
            ..self
        }
    }

    /// torchvision's name of the variant and the width multiplier on it: the variant of these
    /// blocks whose growth rate and stem, scaled by the ratio of the growth rates, are these
    /// (with torchvision's bottleneck of 4).
    pub fn variant(&self) -> Option<(&'static str, f64)> {
        let v = VARIANTS.iter().find(|v| v.2 == self.blocks)?;
        let width = self.growth_rate as f64 / v.1 as f64;
        let scaled = Self::named(v.0, self.num_classes)?.with_width_mult(width);
        (scaled.init_features == self.init_features && self.bn_size == 4).then_some((v.0, width))
    }

    /// Channels after each block and transition: the blocks add `layers · growth_rate`, the
    /// transitions halve (rounding down).
    fn widths(&self) -> Vec<usize> {
        let mut channels = self.init_features;
        let mut widths = Vec::new();
        for (i, &layers) in self.blocks.iter().enumerate() {
            channels += layers * self.growth_rate;
            widths.push(channels);
            if i < 3 {
                channels /= 2;
                widths.push(channels);
            }
        }
        widths
    }

    /// The network with torchvision's initialization: Kaiming-normal (fan-in) convolutions,
    /// unit and zero batch norms, PyTorch's default linear layer with a zero bias.
    pub fn init(&self, device: &Device) -> DenseNet {
        let widths = self.widths();
        let layer = |in_channels: usize| DenseLayerConfig {
            in_channels,
            growth_rate: self.growth_rate,
            bn_size: self.bn_size,
            drop_rate: self.drop_rate,
        };
        let block = |i: usize, in_channels: usize| {
            DenseBlock::new(&layer(in_channels), self.blocks[i], device)
        };
        let transition = |i: usize| Transition::new(widths[2 * i], widths[2 * i + 1], device);
        let features = DenseNetFeatures {
            conv0: conv(3, self.init_features, 7, 2, device),
            norm0: BatchNormConfig::new(self.init_features).init(device),
            pool0: MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(),
            denseblock1: block(0, self.init_features),
            transition1: transition(0),
            denseblock2: block(1, widths[1]),
            transition2: transition(1),
            denseblock3: block(2, widths[3]),
            transition3: transition(2),
            denseblock4: block(3, widths[5]),
            norm5: BatchNormConfig::new(widths[6]).init(device),
        };
        let classifier = LinearConfig::new(widths[6], self.num_classes).init(device);
        DenseNet {
            features,
            classifier: zero_bias::linear(classifier),
        }
    }
}

/// torchvision's `features`. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct DenseNetFeatures {
    /// The stem's 7×7 convolution of stride 2.
    pub conv0: burn::nn::conv::Conv2d,
    /// Its batch norm.
    pub norm0: BatchNorm,
    /// The stem's 3×3 max pooling of stride 2 (no parameters).
    pub pool0: MaxPool2d,
    /// The first dense block.
    pub denseblock1: DenseBlock,
    /// The first transition.
    pub transition1: Transition,
    /// The second dense block.
    pub denseblock2: DenseBlock,
    /// The second transition.
    pub transition2: Transition,
    /// The third dense block.
    pub denseblock3: DenseBlock,
    /// The third transition.
    pub transition3: Transition,
    /// The fourth dense block.
    pub denseblock4: DenseBlock,
    /// The final batch norm.
    pub norm5: BatchNorm,
}

impl DenseNetFeatures {
    /// Runs layer `index` of [`LAYERS`], with `relu` after each batch norm inside it (the final
    /// one's ReLU is torchvision's functional one, always plain).
    ///
    /// # Shapes
    /// - `x`: `[batch, channels, height, width]`
    /// - output: `[batch, channels', height', width']`
    pub fn forward_layer(&self, index: usize, x: Tensor<4>, relu: Activation) -> Tensor<4> {
        match index {
            0 => {
                let x = convolve(&self.conv0, x);
                self.pool0.forward(norm_relu(&self.norm0, relu, x))
            }
            1 => self.denseblock1.forward(x, relu),
            2 => self.transition1.forward(x, relu),
            3 => self.denseblock2.forward(x, relu),
            4 => self.transition2.forward(x, relu),
            5 => self.denseblock3.forward(x, relu),
            6 => self.transition3.forward(x, relu),
            7 => self.denseblock4.forward(x, relu),
            // torchvision's forward ends `F.relu(features, inplace=True)`: the ReLU overwrites
            // norm5's output, and what a hook on `features[-1]` holds (pytorch-grad-cam's
            // activations) is the rectified map. The head's ReLU then passes its gradient where
            // the map is positive, as PyTorch's gradient at norm5 is.
            8 => Activation::Relu.forward(batch_norm(&self.norm5, x)),
            _ => panic!("a DenseNet has {} layers", LAYERS.len()),
        }
    }

    /// This trunk with layer `index` of [`LAYERS`] taken from `fresh`.
    pub(crate) fn with_layer_of(mut self, fresh: &Self, index: usize) -> Self {
        match index {
            0 => {
                self.conv0 = fresh.conv0.clone();
                self.norm0 = fresh.norm0.clone();
            }
            1 => self.denseblock1 = fresh.denseblock1.clone(),
            2 => self.transition1 = fresh.transition1.clone(),
            3 => self.denseblock2 = fresh.denseblock2.clone(),
            4 => self.transition2 = fresh.transition2.clone(),
            5 => self.denseblock3 = fresh.denseblock3.clone(),
            6 => self.transition3 = fresh.transition3.clone(),
            7 => self.denseblock4 = fresh.denseblock4.clone(),
            8 => self.norm5 = fresh.norm5.clone(),
            _ => panic!("a DenseNet has {} layers", LAYERS.len()),
        }
        self
    }

    /// The four dense blocks.
    pub(crate) fn blocks(&self) -> [&DenseBlock; 4] {
        [
            &self.denseblock1,
            &self.denseblock2,
            &self.denseblock3,
            &self.denseblock4,
        ]
    }
}

/// torchvision's DenseNet. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct DenseNet {
    /// The stem, the dense blocks and transitions, the final batch norm.
    pub features: DenseNetFeatures,
    /// The linear layer on the pooled features.
    pub classifier: Linear,
}

impl DenseNet {
    /// Runs `layers` of [`LAYERS`] on `x` (the images when the range starts at 0).
    pub(crate) fn forward_layers(
        &self,
        x: Tensor<4>,
        layers: std::ops::Range<usize>,
        relu: Activation,
    ) -> Tensor<4> {
        layers.fold(x, |h, i| self.features.forward_layer(i, h, relu))
    }

    /// `features` (the final ReLU included) and global average pooling: what the classifier
    /// sees.
    ///
    /// # Shapes
    /// - `images`: `[batch, 3, height, width]`
    /// - output: `[batch, channels]`
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = self.forward_layers(channels_last(images), 0..LAYERS.len(), Activation::Relu);
        global_pool(x)
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.weight.dims()[1]
    }

    /// The hyper-parameters this network was built with, read off its layers.
    pub fn config(&self) -> DenseNetConfig {
        let blocks = self.features.blocks();
        let first = &blocks[0].layers[0];
        let growth_rate = first.conv2.weight.dims()[0];
        DenseNetConfig::new(
            self.num_classes(),
            growth_rate,
            blocks.map(|b| b.layers.len()),
            self.features.conv0.weight.dims()[0],
        )
        .with_bn_size(first.conv1.weight.dims()[0] / growth_rate)
        .with_drop_rate(first.dropout.prob)
    }

    /// Trainable parameters: Burn's `num_params` without the batch norms' running statistics.
    pub fn trainable_params(&self) -> usize {
        self.num_params() - 2 * self.batch_norm_channels()
    }

    /// Channels of every batch norm (each keeps a running mean and variance per channel).
    fn batch_norm_channels(&self) -> usize {
        let f = &self.features;
        let layers: usize = (f.blocks().iter())
            .flat_map(|b| &b.layers)
            .map(|l| l.norm1.gamma.dims()[0] + l.norm2.gamma.dims()[0])
            .sum();
        let transitions = [&f.transition1, &f.transition2, &f.transition3];
        let transitions: usize = transitions.iter().map(|t| t.norm.gamma.dims()[0]).sum();
        layers + transitions + f.norm0.gamma.dims()[0] + f.norm5.gamma.dims()[0]
    }
}
