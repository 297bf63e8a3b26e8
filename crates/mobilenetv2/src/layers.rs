//! The building blocks of MobileNetV2, laid out as torchvision's `nn.Sequential`s.

use burn::module::RunningState;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Initializer, PaddingConfig2d};
use burn::prelude::*;

use crate::native::{ConvOptions, batch_norm_train, conv2d, relu6};

/// torchvision's `Conv2dNormActivation`: `(Conv2d, BatchNorm2d)` followed by ReLU6,
/// giving the keys `.0.weight` and `.1.{weight,bias,running_mean,running_var}`.
pub type ConvBnAct = (Conv2d, BatchNorm);

/// A bias-free convolution initialized as torchvision does (`kaiming_normal_`, fan-out mode).
fn conv(
    in_ch: usize,
    out_ch: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    device: &Device,
) -> Conv2d {
    // PyTorch's fan-out counts every output channel, whatever the groups.
    let fan_out = (out_ch * kernel * kernel) as f64;
    let padding = (kernel - 1) / 2;
    Conv2dConfig::new([in_ch, out_ch], [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding, padding, padding, padding,
        ))
        .with_groups(groups)
        .with_bias(false)
        .with_initializer(Initializer::Normal {
            mean: 0.0,
            std: (2.0 / fan_out).sqrt(),
        })
        .init(device)
}

/// Batch norm with torchvision's defaults (eps 1e-5, momentum 0.1).
fn batch_norm(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels).init(device)
}

/// A convolution, its batch norm and ReLU6, as `Conv2dNormActivation`.
pub(crate) fn conv_bn_act(
    in_ch: usize,
    out_ch: usize,
    kernel: usize,
    stride: usize,
    groups: usize,
    device: &Device,
) -> ConvBnAct {
    (
        conv(in_ch, out_ch, kernel, stride, groups, device),
        batch_norm(out_ch, device),
    )
}

/// Batch norm as PyTorch's `BatchNorm2d` computes it. Training runs LibTorch's own forward and
/// backward kernels (see `native`) and feeds the unbiased batch variance into `running_var`
/// (`n / (n - 1)`, `n` values per channel) as PyTorch does, where burn-nn feeds the biased one:
/// that matters for small batches and late, small feature maps. Inference and frozen layers
/// take burn-nn's own path.
fn batch_norm_forward(norm: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
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
fn convolve(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let options = ConvOptions {
        stride: conv.stride[0],
        padding: (conv.kernel_size[0] - 1) / 2,
        groups: conv.groups,
    };
    conv2d(x, conv.weight.val(), options)
}

fn forward_conv_bn_act(layer: &ConvBnAct, x: Tensor<4>) -> Tensor<4> {
    relu6(batch_norm_forward(&layer.1, convolve(&layer.0, x)))
}

/// One entry of an inverted residual's `conv` sequence.
// Variants mirror torchvision's layout; the size difference only costs a few bytes per layer.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum BlockPart {
    /// Expansion (1x1) or depthwise (3x3) convolution with batch norm and ReLU6.
    ConvBnAct(ConvBnAct),
    /// The linear 1x1 projection.
    Conv(Conv2d),
    /// The projection's batch norm (no activation: the bottleneck is linear).
    Norm(BatchNorm),
}

impl BlockPart {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::ConvBnAct(layer) => forward_conv_bn_act(layer, x),
            Self::Conv(conv) => convolve(conv, x),
            Self::Norm(norm) => batch_norm_forward(norm, x),
        }
    }
}

/// torchvision's `InvertedResidual`: expand (1x1), depthwise (3x3), project (1x1),
/// with a skip connection when the block keeps both resolution and width.
#[derive(Module, Debug)]
pub struct InvertedResidual {
    /// The layers under `conv.{i}` in torchvision's key names.
    pub conv: Vec<BlockPart>,
    /// torchvision's `use_res_connect`: stride 1 and equal input and output widths.
    pub use_residual: bool,
}

impl InvertedResidual {
    pub(crate) fn new(
        in_ch: usize,
        out_ch: usize,
        stride: usize,
        expand_ratio: usize,
        device: &Device,
    ) -> Self {
        let hidden = in_ch * expand_ratio;
        let mut conv = Vec::with_capacity(4);
        if expand_ratio != 1 {
            conv.push(BlockPart::ConvBnAct(conv_bn_act(
                in_ch, hidden, 1, 1, 1, device,
            )));
        }
        conv.push(BlockPart::ConvBnAct(conv_bn_act(
            hidden, hidden, 3, stride, hidden, device,
        )));
        conv.push(BlockPart::Conv(self::conv(hidden, out_ch, 1, 1, 1, device)));
        conv.push(BlockPart::Norm(batch_norm(out_ch, device)));
        Self {
            conv,
            use_residual: stride == 1 && in_ch == out_ch,
        }
    }

    /// Runs the block, adding the input back when `use_residual` holds.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let out = self.conv.iter().fold(x.clone(), |h, part| part.forward(h));
        if self.use_residual { out + x } else { out }
    }
}

/// One entry of `features`: the stem / final 1x1 conv, or an inverted residual block.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Feature {
    /// `features.0` and `features.18`.
    Conv(ConvBnAct),
    /// `features.1` ... `features.17`.
    Block(InvertedResidual),
}

impl Feature {
    /// Runs this layer.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(layer) => forward_conv_bn_act(layer, x),
            Self::Block(block) => block.forward(x),
        }
    }
}
