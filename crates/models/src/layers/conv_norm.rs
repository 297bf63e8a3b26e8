//! torchvision's `Conv2dNormActivation`: a bias-free convolution, its batch norm and an
//! activation.

use burn::module::RunningState;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;

use super::Activation;
use crate::native::{ConvOptions, batch_norm_train, conv2d};

/// A convolution and its batch norm, followed by an activation in [`forward`].
///
/// A tuple, so that its keys are torchvision's: `.0.weight` and
/// `.1.{weight,bias,running_mean,running_var}`.
pub type ConvNorm = (Conv2d, BatchNorm);

/// Configuration of a [`ConvNorm`]: a square kernel with "same" padding.
#[derive(Config, Debug)]
pub struct ConvNormConfig {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// The kernel's side (odd: 1, 3 or 5).
    #[config(default = 3)]
    pub kernel_size: usize,
    /// The stride.
    #[config(default = 1)]
    pub stride: usize,
    /// Convolution groups (`in_channels` for a depthwise convolution).
    #[config(default = 1)]
    pub groups: usize,
    /// The batch norm's epsilon (PyTorch's default; MobileNetV3 and the larger EfficientNets
    /// use 1e-3).
    #[config(default = 1e-5)]
    pub epsilon: f64,
    /// The batch norm's running-statistics momentum (PyTorch's default; MobileNetV3 and the
    /// larger EfficientNets use 0.01).
    #[config(default = 0.1)]
    pub momentum: f64,
}

impl ConvNormConfig {
    /// The layer with torchvision's initialization: Kaiming-normal (fan-out) weights, unit and
    /// zero batch-norm affine parameters.
    pub fn init(&self, device: &Device) -> ConvNorm {
        let norm = BatchNormConfig::new(self.out_channels)
            .with_epsilon(self.epsilon)
            .with_momentum(self.momentum);
        (self.init_conv(device), norm.init(device))
    }

    /// The convolution alone (the linear projection of an inverted residual).
    pub fn init_conv(&self, device: &Device) -> Conv2d {
        // PyTorch's fan-out counts every output channel, whatever the groups.
        let fan_out = (self.out_channels * self.kernel_size * self.kernel_size) as f64;
        let padding = (self.kernel_size - 1) / 2;
        Conv2dConfig::new(
            [self.in_channels, self.out_channels],
            [self.kernel_size, self.kernel_size],
        )
        .with_stride([self.stride, self.stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_groups(self.groups)
        .with_bias(false)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / fan_out).sqrt(),
        })
        .init(device)
    }
}

/// Runs `activation(norm(conv(x)))`.
///
/// # Shapes
/// - `x`: `[batch, in_channels, height, width]`
/// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
pub fn forward((conv, norm): &ConvNorm, activation: Activation, x: Tensor<4>) -> Tensor<4> {
    activation.forward(batch_norm(norm, convolve(conv, x)))
}

/// Batch norm as PyTorch's `BatchNorm2d` computes it. Training runs LibTorch's own forward and
/// backward kernels (see `native`) and feeds the unbiased batch variance into `running_var`
/// (`n / (n - 1)`, `n` values per channel) as PyTorch does, where burn-nn feeds the biased one:
/// that matters for small batches and late, small feature maps. Inference and frozen layers
/// take burn-nn's own path.
///
/// # Shapes
/// - `x` and output: `[batch, channels, height, width]`
pub(crate) fn batch_norm(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    if !(x.device().is_autodiff() && norm.training.is_enabled()) {
        return norm.forward(x);
    }
    let [batch, _, height, width] = x.dims();
    let n = (batch * height * width) as f64;
    let (output, mean, variance) =
        batch_norm_train(x, norm.gamma.val(), norm.beta.val(), norm.epsilon);
    let update = |state: &RunningState<Tensor<1>>, batch: Tensor<1>| {
        let old = state.value_sync().to_device(&batch.device());
        state.update((old * (1.0 - norm.momentum) + batch * norm.momentum).detach());
    };
    update(&norm.running_mean, mean);
    update(&norm.running_var, variance * (n / (n - 1.0).max(1.0)));
    output
}

/// A (bias-free, square) convolution with LibTorch's own backward (see `native`).
///
/// # Shapes
/// - `x`: `[batch, in_channels, height, width]`
/// - output: `[batch, out_channels, height / stride, width / stride]` (rounded up)
pub(crate) fn convolve(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let options = ConvOptions {
        stride: conv.stride[0],
        padding: (conv.kernel_size[0] - 1) / 2,
        groups: conv.groups,
    };
    conv2d(x, conv.weight.val(), options)
}

/// A square convolution with `padding` on every side and its bias (if it has one), with
/// LibTorch's own backward (see `native`).
///
/// # Shapes
/// - `x`: `[batch, in_channels, height, width]`
/// - output: `[batch, out_channels, height', width']`
pub(crate) fn convolve_padded(conv: &Conv2d, x: Tensor<4>, padding: usize) -> Tensor<4> {
    let options = ConvOptions {
        stride: conv.stride[0],
        padding,
        groups: conv.groups,
    };
    let y = conv2d(x, conv.weight.val(), options);
    match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, -1, 1, 1]),
        None => y,
    }
}
