//! Measuring heatmaps: localization against object masks, faithfulness to the model, trivial
//! baseline maps to hold them against, and occlusion tests of what a decision rests on.

mod baselines;
mod faithfulness;
mod localization;
mod occlusion;

pub use baselines::{Baseline, baseline_map};
pub use faithfulness::{Faithfulness, PERTURBATION_STEPS, faithfulness};
pub use localization::MapStats;
pub use occlusion::{ObjectReliance, object_reliance, occlusion_drops};

use burn::prelude::*;
use burn::tensor::activation::softmax;
use mobilenetv2::MobileNetV2;

/// Inputs per forward of the perturbation metrics.
const BATCH: usize = 64;

/// Class probabilities of `inputs` `[B, 3, H, W]` for one class each, in batches.
fn probabilities(model: &MobileNetV2, inputs: Tensor<4>, classes: &[usize]) -> Vec<f32> {
    let n = inputs.dims()[0];
    let device = inputs.device();
    let mut out = Vec::with_capacity(n);
    for start in (0..n).step_by(BATCH) {
        let len = BATCH.min(n - start);
        let probs = softmax(model.forward(inputs.clone().narrow(0, start, len)), 1);
        let index: Vec<i64> = classes[start..start + len]
            .iter()
            .map(|&c| c as i64)
            .collect();
        let index = Tensor::<1, Int>::from_ints(index.as_slice(), &device).reshape([len, 1]);
        out.extend(probs.gather(1, index).into_data().iter::<f32>());
    }
    out
}
