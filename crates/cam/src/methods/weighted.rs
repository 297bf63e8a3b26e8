//! Methods with one weight per channel: `map = Σ_c w_c · A_c` (pytorch-grad-cam's
//! `get_cam_weights`; `A` activations, `G` the target logit's gradients, `Σ_ij` over cells).

use burn::prelude::*;
use burn::tensor::activation::relu;

/// `Σ_c weights[b, c] · A[b, c]` for activations `[B, C, h, w]` and weights `[B, C]`.
pub(super) fn map(activations: Tensor<4>, weights: Tensor<2>) -> Tensor<3> {
    (activations * weights.unsqueeze_dims::<4>(&[2, 3]))
        .sum_dim(1)
        .squeeze_dim(1)
}

/// Grad-CAM (Selvaraju et al. 2017): `w_c = mean_ij G_cij`.
pub(super) fn grad_cam(gradients: Tensor<4>) -> Tensor<2> {
    gradients.mean_dim(3).mean_dim(2).flatten(1, 3)
}

/// Grad-CAM++ (Chattopadhyay et al. 2018): `w_c = Σ_ij α_cij · relu(G_cij)` with
/// `α = G² / (2G² + Σ_ij A_c · G³)` (0 where `G = 0`).
pub(super) fn grad_cam_plus_plus(activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<2> {
    let g2 = gradients.clone().powi_scalar(2);
    let g3 = g2.clone() * gradients.clone();
    let sum_activations = activations.sum_dim(3).sum_dim(2);
    let alpha = g2.clone() / (g2 * 2.0 + sum_activations * g3 + 1e-6);
    let alpha = alpha.mask_fill(gradients.clone().equal_elem(0.0), 0.0);
    (relu(gradients) * alpha)
        .sum_dim(3)
        .sum_dim(2)
        .flatten(1, 3)
}

/// XGradCAM (Fu et al. 2020): `w_c = Σ_ij G_cij · A_cij / Σ_ij A_cij`.
pub(super) fn x_grad_cam(activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<2> {
    let sum_activations = activations.clone().sum_dim(3).sum_dim(2);
    (gradients * activations / (sum_activations + 1e-7))
        .sum_dim(3)
        .sum_dim(2)
        .flatten(1, 3)
}
