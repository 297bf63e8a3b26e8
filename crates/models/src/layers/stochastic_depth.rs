//! torchvision's `StochasticDepth(p, "row")`: drops a residual branch for whole samples while
//! training (EfficientNet, ConvNeXt).

use burn::nn::Dropout;
use burn::prelude::*;

/// `branch` with each sample's values zeroed with `dropout`'s probability (and the kept ones
/// scaled by `1 / (1 - p)`) while training: a dropout applied to one value per sample. The
/// identity outside training and with probability 0.
///
/// # Shapes
/// - `branch` and output: `[batch, channels, height, width]`
pub fn drop_samples(dropout: &Dropout, branch: Tensor<4>) -> Tensor<4> {
    if dropout.prob == 0.0 || !branch.device().is_autodiff() {
        return branch;
    }
    let [batch, ..] = branch.dims();
    let keep = Tensor::ones([batch, 1, 1, 1], &branch.device());
    branch * dropout.forward(keep)
}
