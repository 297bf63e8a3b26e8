//! torchvision's `nn.init.zeros_(m.bias)`: burn-nn draws a bias, torchvision's CNNs start it at
//! zero.

use burn::module::Param;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;

/// `conv` with a zero bias.
pub(crate) fn conv(mut conv: Conv2d) -> Conv2d {
    let [out, ..] = conv.weight.dims();
    conv.bias = Some(Param::from_tensor(Tensor::zeros(
        [out],
        &conv.weight.device(),
    )));
    conv
}

/// `layer` with a zero bias.
pub(crate) fn linear(mut layer: Linear) -> Linear {
    let [_, out] = layer.weight.dims();
    layer.bias = Some(Param::from_tensor(Tensor::zeros(
        [out],
        &layer.weight.device(),
    )));
    layer
}
