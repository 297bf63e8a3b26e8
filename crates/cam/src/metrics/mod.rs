//! Measuring heatmaps: localization against object masks, faithfulness to the model, trivial
//! baseline maps to hold them against, occlusion tests of what a decision rests on, and how
//! alike two maps are.

mod baselines;
mod faithfulness;
mod localization;
mod occlusion;
mod similarity;

pub use baselines::{Baseline, baseline_map};
pub use faithfulness::{Faithfulness, PERTURBATION_STEPS, faithfulness};
pub use localization::{MapStats, energy_in_mask};
pub use occlusion::{ObjectReliance, object_reliance, occlusion_drops};
pub use similarity::{spearman, ssim};

use burn::prelude::*;
use burn::tensor::activation::softmax;
use models::Network;
use models::native::channels_last;

/// Inputs per forward of the perturbation metrics.
const BATCH: usize = 64;

/// Softmax probabilities of `inputs` `[B, 3, H, W]`, one row of every class's per input, in
/// batches, through the model's inference copy ([`Network`], channels-last: these
/// metrics run many forwards).
fn class_probabilities(model: &dyn Network, inputs: Tensor<4>) -> Vec<Vec<f32>> {
    let n = inputs.dims()[0];
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(BATCH) {
        let len = BATCH.min(n - start);
        let batch = channels_last(inputs.clone().narrow(0, start, len));
        let probs = softmax(model.forward(batch), 1);
        let classes = probs.dims()[1];
        let values: Vec<f32> = probs.into_data().iter::<f32>().collect();
        out.extend(values.chunks_exact(classes).map(<[f32]>::to_vec));
    }
    out
}

/// Class probabilities of `inputs` `[B, 3, H, W]` for one class each, in batches.
fn probabilities(model: &dyn Network, inputs: Tensor<4>, classes: &[usize]) -> Vec<f32> {
    class_probabilities(model, inputs)
        .iter()
        .zip(classes)
        .map(|(p, &c)| p[c])
        .collect()
}
