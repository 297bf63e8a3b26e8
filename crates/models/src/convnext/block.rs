//! torchvision's `CNBlock`: a 7×7 depthwise convolution, layer norm over the channels, an
//! inverted MLP (4× wider, GELU), a learned per-channel layer scale and stochastic depth on the
//! residual branch. Keys: `block.0` (the convolution), `block.2` (the norm), `block.3` and
//! `block.5` (the MLP), `layer_scale`.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{
    Dropout, DropoutConfig, Gelu, Identity, Initializer, LayerNorm, LayerNormConfig, Linear,
    LinearConfig,
};
use burn::prelude::*;

use crate::layers::conv_norm::convolve_padded;
use crate::layers::stochastic_depth::drop_samples;
use crate::layers::zero_bias;

/// The layer norms' epsilon in torchvision's ConvNeXt.
pub(crate) const EPSILON: f64 = 1e-6;
/// The depthwise convolution's side.
const KERNEL: usize = 7;
/// The MLP's expansion.
const EXPANSION: usize = 4;

/// torchvision's initialization of ConvNeXt's convolutions and linear layers: a normal of
/// standard deviation 0.02 (its `trunc_normal_` cuts at ±2, a hundred deviations out).
pub(crate) const WEIGHTS: Initializer = Initializer::Normal {
    mean: 0.0,
    std: 0.02,
};

/// Configuration of a [`CnBlock`].
#[derive(Config, Debug)]
pub struct CnBlockConfig {
    /// Input and output channels.
    pub channels: usize,
    /// The layer scale's initial value.
    #[config(default = 1e-6)]
    pub layer_scale: f64,
    /// Probability of dropping the residual branch of a sample while training.
    #[config(default = 0.0)]
    pub stochastic_depth: f64,
}

impl CnBlockConfig {
    /// The block with torchvision's initialization: [`WEIGHTS`] and zero biases, unit and zero
    /// layer norms, the layer scale at its initial value.
    pub fn init(&self, device: &Device) -> CnBlock {
        let dim = self.channels;
        let depthwise = Conv2dConfig::new([dim, dim], [KERNEL, KERNEL])
            .with_groups(dim)
            .with_padding(burn::nn::PaddingConfig2d::Explicit(3, 3, 3, 3))
            .with_initializer(WEIGHTS)
            .init(device);
        CnBlock {
            block: (
                zero_bias::conv(depthwise),
                Identity,
                layer_norm(dim, device),
                linear(dim, EXPANSION * dim, device),
                Gelu::new(),
                linear(EXPANSION * dim, dim, device),
                Identity,
            ),
            layer_scale: Param::from_tensor(
                Tensor::ones([dim, 1, 1], device).mul_scalar(self.layer_scale),
            ),
            stochastic_depth: DropoutConfig::new(self.stochastic_depth).init(),
        }
    }
}

/// A layer norm over `channels` with ConvNeXt's epsilon.
pub(crate) fn layer_norm(channels: usize, device: &Device) -> LayerNorm {
    LayerNormConfig::new(channels)
        .with_epsilon(EPSILON)
        .init(device)
}

/// A linear layer with [`WEIGHTS`] and a zero bias.
pub(crate) fn linear(inputs: usize, outputs: usize, device: &Device) -> Linear {
    let layer = LinearConfig::new(inputs, outputs)
        .with_initializer(WEIGHTS)
        .init(device);
    zero_bias::linear(layer)
}

/// The residual branch: depthwise convolution, (permute), layer norm, linear, GELU, linear,
/// (permute). The two permutes hold no parameters and stand at torchvision's indices 1 and 6.
pub type CnBranch = (Conv2d, Identity, LayerNorm, Linear, Gelu, Linear, Identity);

/// A ConvNeXt block. Field names match torchvision's `state_dict`.
#[derive(Module, Debug)]
pub struct CnBlock {
    /// The residual branch.
    pub block: CnBranch,
    /// Per-channel scale of the branch, `[channels, 1, 1]`.
    pub layer_scale: Param<Tensor<3>>,
    /// Drops the branch of whole samples while training ([`drop_samples`]).
    pub stochastic_depth: Dropout,
}

impl CnBlock {
    /// `x + drop(layer_scale · branch(x))`.
    ///
    /// # Shapes
    /// - `x` and output: `[batch, channels, height, width]`
    ///
    /// ```
    /// # #![allow(deprecated)]
    /// use burn::prelude::*;
    /// use models::convnext::CnBlockConfig;
    ///
    /// let device = Device::libtorch();
    /// let block = CnBlockConfig::new(8).init(&device);
    /// let x = Tensor::<4>::zeros([2, 8, 14, 14], &device);
    /// assert_eq!(block.forward(x).dims(), [2, 8, 14, 14]);
    /// ```
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (depthwise, _, norm, expand, gelu, project, _) = &self.block;
        let y = convolve_padded(depthwise, x.clone(), KERNEL / 2).permute([0, 2, 3, 1]);
        let y = project.forward(gelu.forward(expand.forward(norm.forward(y))));
        let [channels, ..] = self.layer_scale.dims();
        let scale = self.layer_scale.val().reshape([1, 1, 1, channels]);
        let y = (y * scale).permute([0, 3, 1, 2]);
        drop_samples(&self.stochastic_depth, y) + x
    }

    /// Input and output channels.
    pub fn channels(&self) -> usize {
        self.layer_scale.dims()[0]
    }
}

/// A layer norm over the channels of an NCHW tensor (torchvision's `LayerNorm2d`).
///
/// # Shapes
/// - `x` and output: `[batch, channels, height, width]`
pub(crate) fn layer_norm_2d(norm: &LayerNorm, x: Tensor<4>) -> Tensor<4> {
    norm.forward(x.permute([0, 2, 3, 1])).permute([0, 3, 1, 2])
}
