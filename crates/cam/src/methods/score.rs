//! Score-CAM (Wang et al. 2020): a weight per channel from the model itself, no gradients:
//! `w_c = softmax_c(logit_target(X ⊙ norm(up(A_c))))`, the target's logit when the input is
//! multiplied by each channel's upsampled, min-max scaled activation (one forward per channel).

use burn::prelude::*;
use burn::tensor::activation::softmax;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

use super::LayerEvidence;

/// Masked inputs per forward (pytorch-grad-cam uses 16).
const BATCH: usize = 32;

/// The channel weights `[K*N, C]`, target-major.
pub(super) fn weights(layer: &LayerEvidence<'_>) -> Tensor<2> {
    let images = layer.images;
    let [n, c, h, w] = images.dims();
    let channels = layer.activations.dims()[1];
    let masks = interpolate(
        layer.activations.clone(),
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(true)
            .with_output_size([h, w]),
    ); // [n, C, H, W]
    let flat = masks.reshape([n, channels, h * w]);
    let min = flat.clone().min_dim(2);
    let max = flat.clone().max_dim(2);
    let masks = ((flat - min.clone()) / (max - min + 1e-8)).reshape([n, channels, 1, h, w]);
    let scores: Vec<Tensor<2>> = (0..n)
        .map(|i| {
            let image = images.clone().narrow(0, i, 1).reshape([1, 1, c, h, w]);
            let masked = (masks.clone().narrow(0, i, 1) * image).reshape([channels, c, h, w]);
            let logits: Vec<Tensor<2>> = (0..channels)
                .step_by(BATCH)
                .map(|s| {
                    let len = BATCH.min(channels - s);
                    layer.model.forward(masked.clone().narrow(0, s, len))
                })
                .collect();
            Tensor::cat(logits, 0) // [C, classes]
        })
        .collect();
    let rows: Vec<Tensor<2>> = layer
        .classes
        .iter()
        .flat_map(|per_image| per_image.iter().enumerate())
        .map(|(i, &class)| {
            let score = scores[i].clone().narrow(1, class, 1).reshape([1, channels]);
            softmax(score, 1)
        })
        .collect();
    Tensor::cat(rows, 0)
}
