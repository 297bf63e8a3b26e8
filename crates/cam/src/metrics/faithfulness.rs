//! Faithfulness: does the model's confidence follow the map?
//!
//! - Confidence change (pytorch-grad-cam's `CamMultImageConfidenceChange` with a softmax
//!   target): the class probability on `input × map` minus that on the input; and from it
//!   pytorch-grad-cam's `DropInConfidence` (the drop, 0 for a rise) and
//!   `IncreaseInConfidence` (whether it rose).
//! - Deletion / insertion AUC: pixels are removed from the input (set to 0 in normalized space,
//!   the dataset's mean colour), or inserted into a blank input, in decreasing map order, in
//!   [`PERTURBATION_STEPS`] equal steps; the area under the class-probability curve is low for a
//!   faithful map under deletion and high under insertion.
//!
//! All perturbed inputs of a batch go through the model in batched forwards.

use burn::prelude::*;
use models::Network;
use serde::Serialize;

use super::probabilities;

/// Steps of the deletion and insertion curves (each costs one forward per map).
pub const PERTURBATION_STEPS: usize = 16;

/// Faithfulness of one map.
#[derive(Clone, Debug, Serialize)]
pub struct Faithfulness {
    /// Class probability on `input × map` minus on the input (higher is better).
    pub confidence_change: f32,
    /// How much the class probability fell on `input × map` (0 if it rose; lower is better).
    pub drop_in_confidence: f32,
    /// Whether the class probability rose on `input × map`.
    pub increase_in_confidence: bool,
    /// Area under the probability curve while deleting the map's pixels (lower is better).
    pub deletion_auc: f32,
    /// Area under the probability curve while inserting them (higher is better).
    pub insertion_auc: f32,
    /// Class probability after deleting 0, 1/STEPS, ..., all of the pixels.
    pub deletion_curve: Vec<f32>,
    /// Class probability after inserting 0, 1/STEPS, ..., all of the pixels.
    pub insertion_curve: Vec<f32>,
}

/// Faithfulness of `maps` (row-major, the inputs' size) for `classes`, on the normalized
/// `images` `[N, 3, H, W]`, computed with the inference copy of a model.
pub fn faithfulness(
    model: &dyn Network,
    images: Tensor<4>,
    maps: &[Vec<f32>],
    classes: &[usize],
) -> Vec<Faithfulness> {
    let [n, c, h, w] = images.dims();
    let device = images.device();
    let plane = h * w;
    let map_tensor = |values: Vec<f32>, count: usize| {
        Tensor::<4>::from_data(TensorData::new(values, [count, 1, h, w]), &device)
    };

    let before = probabilities(model, images.clone(), classes);
    let multiplied = images.clone() * map_tensor(maps.concat(), n);
    let after = probabilities(model, multiplied, classes);

    // Keep-masks per step: 1 where the pixel is among the top `step/STEPS` of the map.
    let steps = PERTURBATION_STEPS + 1;
    let mut keep = Vec::with_capacity(n * steps * plane);
    for map in maps {
        let mut order: Vec<usize> = (0..plane).collect();
        order.sort_by(|&a, &b| map[b].total_cmp(&map[a]));
        let mut rank = vec![0usize; plane];
        for (r, &p) in order.iter().enumerate() {
            rank[p] = r;
        }
        for step in 0..steps {
            let top = plane * step / PERTURBATION_STEPS;
            keep.extend(rank.iter().map(|&r| if r < top { 1.0f32 } else { 0.0 }));
        }
    }
    let top = map_tensor(keep, n * steps);
    let repeated = images
        .reshape([n, 1, c, h, w])
        .repeat_dim(1, steps)
        .reshape([n * steps, c, h, w]);
    let step_classes: Vec<usize> = classes
        .iter()
        .flat_map(|&k| std::iter::repeat_n(k, steps))
        .collect();
    let deleted = probabilities(
        model,
        repeated.clone() * (top.clone().neg() + 1.0),
        &step_classes,
    );
    let inserted = probabilities(model, repeated * top, &step_classes);
    let auc = |curve: &[f32]| {
        curve.windows(2).map(|p| (p[0] + p[1]) / 2.0).sum::<f32>() / PERTURBATION_STEPS as f32
    };
    (0..n)
        .map(|i| {
            let (deletion, insertion) = (
                &deleted[i * steps..(i + 1) * steps],
                &inserted[i * steps..(i + 1) * steps],
            );
            Faithfulness {
                confidence_change: after[i] - before[i],
                drop_in_confidence: (before[i] - after[i]).max(0.0),
                increase_in_confidence: after[i] > before[i],
                deletion_auc: auc(deletion),
                insertion_auc: auc(insertion),
                deletion_curve: deletion.to_vec(),
                insertion_curve: insertion.to_vec(),
            }
        })
        .collect()
}
