//! torchvision's DenseNet parts: the dense layer (batch norm, ReLU, 1×1 convolution, batch norm,
//! ReLU, 3×3 convolution on the concatenation of every earlier output), the dense block that
//! concatenates them, and the transition between blocks. Keys: `denselayer{k}.norm1`,
//! `.conv1`, `.norm2`, `.conv2` (1-based, as torchvision names them); `norm`, `conv`.

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{AvgPool2d, AvgPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;

use crate::layers::Activation;
use crate::layers::conv_norm::{batch_norm, convolve};

/// A bias-free square convolution with "same" padding and torchvision's DenseNet
/// initialization: Kaiming-normal over the fan-in, `std = √(2 / fan_in)`.
pub(crate) fn conv(
    inputs: usize,
    outputs: usize,
    kernel: usize,
    stride: usize,
    device: &Device,
) -> Conv2d {
    let padding = (kernel - 1) / 2;
    Conv2dConfig::new([inputs, outputs], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_bias(false)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / (inputs * kernel * kernel) as f64).sqrt(),
        })
        .init(device)
}

/// `relu(norm(x))`, batch norm as PyTorch's (see [`batch_norm`]).
pub(crate) fn norm_relu(norm: &BatchNorm, relu: Activation, x: Tensor<4>) -> Tensor<4> {
    relu.forward(batch_norm(norm, x))
}

/// Configuration of a [`DenseLayer`].
#[derive(Config, Debug)]
pub struct DenseLayerConfig {
    /// Channels of the concatenated input.
    pub in_channels: usize,
    /// Channels the layer adds (`growth_rate`).
    pub growth_rate: usize,
    /// The bottleneck's width in multiples of the growth rate.
    #[config(default = 4)]
    pub bn_size: usize,
    /// Dropout on the new channels while training.
    #[config(default = 0.0)]
    pub drop_rate: f64,
}

impl DenseLayerConfig {
    /// The layer with torchvision's initialization (unit and zero batch norms).
    pub fn init(&self, device: &Device) -> DenseLayer {
        let bottleneck = self.bn_size * self.growth_rate;
        DenseLayer {
            norm1: BatchNormConfig::new(self.in_channels).init(device),
            conv1: conv(self.in_channels, bottleneck, 1, 1, device),
            norm2: BatchNormConfig::new(bottleneck).init(device),
            conv2: conv(bottleneck, self.growth_rate, 3, 1, device),
            dropout: DropoutConfig::new(self.drop_rate).init(),
        }
    }
}

/// torchvision's `_DenseLayer`. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct DenseLayer {
    /// Batch norm of the concatenated input.
    pub norm1: BatchNorm,
    /// The 1×1 bottleneck convolution.
    pub conv1: Conv2d,
    /// Batch norm of the bottleneck.
    pub norm2: BatchNorm,
    /// The 3×3 convolution giving `growth_rate` new channels.
    pub conv2: Conv2d,
    /// Dropout on the new channels (torchvision's `drop_rate`, 0 by default).
    pub dropout: Dropout,
}

impl DenseLayer {
    /// The new channels from the concatenation of `features`, with `relu` after each batch norm.
    ///
    /// # Shapes
    /// - `features`: each `[batch, channels_i, height, width]`, `Σ channels_i = in_channels`
    /// - output: `[batch, growth_rate, height, width]`
    pub fn forward(&self, features: &[Tensor<4>], relu: Activation) -> Tensor<4> {
        let x = Tensor::cat(features.to_vec(), 1);
        let x = convolve(&self.conv1, norm_relu(&self.norm1, relu, x));
        let x = convolve(&self.conv2, norm_relu(&self.norm2, relu, x));
        self.dropout.forward(x)
    }
}

/// torchvision's `_DenseBlock`: its layers, each fed every earlier output.
#[derive(Module, Debug)]
pub struct DenseBlock {
    /// The layers, torchvision's `denselayer1`, `denselayer2`, ... (see
    /// [`super::key_renames`]).
    pub layers: Vec<DenseLayer>,
}

impl DenseBlock {
    /// The block's layers with torchvision's initialization, on `in_channels` input channels.
    pub fn new(config: &DenseLayerConfig, layers: usize, device: &Device) -> Self {
        let layers = (0..layers)
            .map(|i| {
                let in_channels = config.in_channels + i * config.growth_rate;
                DenseLayerConfig {
                    in_channels,
                    ..config.clone()
                }
                .init(device)
            })
            .collect();
        Self { layers }
    }

    /// The input and every layer's new channels, concatenated.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, in_channels + layers · growth_rate, height, width]`
    pub fn forward(&self, x: Tensor<4>, relu: Activation) -> Tensor<4> {
        let mut features = vec![x];
        for layer in &self.layers {
            let new = layer.forward(&features, relu);
            features.push(new);
        }
        Tensor::cat(features, 1)
    }
}

/// torchvision's `_Transition`: batch norm, ReLU, a 1×1 convolution halving the channels and a
/// 2×2 average pooling. Field names match its `state_dict`.
#[derive(Module, Debug)]
pub struct Transition {
    /// Batch norm of the block's output.
    pub norm: BatchNorm,
    /// The 1×1 convolution.
    pub conv: Conv2d,
    /// 2×2 average pooling of stride 2 (no parameters).
    pub pool: AvgPool2d,
}

impl Transition {
    /// A transition from `in_channels` to `out_channels` with torchvision's initialization.
    pub fn new(in_channels: usize, out_channels: usize, device: &Device) -> Self {
        Self {
            norm: BatchNormConfig::new(in_channels).init(device),
            conv: conv(in_channels, out_channels, 1, 1, device),
            pool: AvgPool2dConfig::new([2, 2]).with_strides([2, 2]).init(),
        }
    }

    /// Runs the transition.
    ///
    /// # Shapes
    /// - `x`: `[batch, in_channels, height, width]`
    /// - output: `[batch, out_channels, height / 2, width / 2]` (rounded down)
    pub fn forward(&self, x: Tensor<4>, relu: Activation) -> Tensor<4> {
        self.pool
            .forward(convolve(&self.conv, norm_relu(&self.norm, relu, x)))
    }
}
