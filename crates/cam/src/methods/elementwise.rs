//! Methods with one weight per activation: `map = Σ_c f(G_c) ⊙ A_c` (pytorch-grad-cam's
//! element-wise `get_cam_image`), sharper than a channel weight where a channel fires in
//! several places.

use burn::prelude::*;
use burn::tensor::activation::relu;

/// LayerCAM (Jiang et al. 2021): `map = Σ_c relu(G_c) ⊙ A_c`.
pub(super) fn layer_cam(activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<3> {
    (relu(gradients) * activations).sum_dim(1).squeeze_dim(1)
}

/// HiResCAM (Draelos & Carin 2020): `map = Σ_c G_c ⊙ A_c`, provably faithful to the logit.
pub(super) fn hires_cam(activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<3> {
    (gradients * activations).sum_dim(1).squeeze_dim(1)
}
