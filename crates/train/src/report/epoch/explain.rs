//! The heatmaps of an epoch's selected images: true and predicted class, one engine pass per
//! chunk, drawn over the pictures the dataset already holds.

use std::path::PathBuf;

use burn::prelude::*;
use cam::metrics::MapStats;
use cam::render::figure::Panel;
use cam::render::overlay::{DEFAULT_IMAGE_WEIGHT, overlay};
use cam::{CamEngine, Targets};
use indicatif::ProgressBar;
use serde::Serialize;

use super::select::Reason;
use crate::data::{Batch, Data, Sample};
use crate::evaluation::Evaluation;

/// Images per CAM pass.
const CAM_BATCH: usize = 16;

/// A reported sample, as written to `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Index into the validation set.
    pub index: usize,
    /// Source file.
    pub path: PathBuf,
    /// Why it is shown.
    pub reason: Reason,
    /// True class.
    pub label: String,
    /// Predicted class.
    pub predicted: String,
    /// Probability of the true class.
    pub p_true: f32,
    /// Probability of the predicted class.
    pub p_predicted: f32,
    /// Cross-entropy loss.
    pub loss: f32,
    /// Statistics of the true-class map.
    pub true_map: MapStats,
    /// Statistics of the predicted-class map.
    pub predicted_map: MapStats,
    /// The true-class map had no positive evidence.
    pub true_map_empty: bool,
    /// The predicted-class map had no positive evidence.
    pub predicted_map_empty: bool,
}

/// What the selected images' maps give the report.
pub struct Explained {
    /// Per image: the picture, its true-class and its predicted-class overlay.
    pub rows: Vec<Vec<Panel>>,
    /// Per image: its row of `metrics.json`.
    pub samples: Vec<SampleReport>,
    /// Per image: its true-class map, `image_size²` values.
    pub true_maps: Vec<Vec<f32>>,
    /// The normalized images `[N, 3, H, W]`, in selection order.
    pub inputs: Tensor<4>,
    /// The decoded images, in selection order.
    pub shown: Vec<Sample>,
}

/// Explains the true and the predicted class of every selected validation image.
pub fn explain(
    engine: &CamEngine,
    data: &Data,
    evaluation: &Evaluation,
    selected: &[(usize, Reason)],
    device: &Device,
    progress: &ProgressBar,
) -> Explained {
    let mut explained = Explained {
        rows: Vec::with_capacity(selected.len()),
        samples: Vec::with_capacity(selected.len()),
        true_maps: Vec::with_capacity(selected.len()),
        inputs: Tensor::empty([0, 3, data.image_size, data.image_size], device),
        shown: Vec::with_capacity(selected.len()),
    };
    let mut inputs = Vec::new();
    let name = |c: usize| data.classes[c].as_str();
    for chunk in selected.chunks(CAM_BATCH) {
        let indices: Vec<usize> = chunk.iter().map(|&(i, _)| i).collect();
        let samples = data.val.samples(&indices);
        let batch = Batch::new(&samples, &data.normalization, None, device);
        let truth: Vec<usize> = samples.iter().map(|s| s.label).collect();
        let explanation = engine.explain(
            batch.images.clone(),
            &[Targets::Classes(truth), Targets::Predicted],
        );
        inputs.push(batch.images);
        for (j, (&(index, reason), sample)) in chunk.iter().zip(&samples).enumerate() {
            let predicted = explanation.classes[1][j];
            let probabilities = &evaluation.probabilities[index];
            let loss = evaluation.losses[index];
            let [true_map, predicted_map] = [0, 1].map(|t| explanation.map(t, j));
            let tag = match reason {
                Reason::Misclassified => "misclassified",
                Reason::Probe => "probe",
            };
            explained.rows.push(vec![
                Panel {
                    title: format!("#{index} {}\n{tag}, loss {loss:.2}", sample.short_name()),
                    image: sample.image.clone(),
                },
                Panel {
                    title: format!(
                        "true: {}\np={:.2}",
                        name(sample.label),
                        probabilities[sample.label]
                    ),
                    image: overlay(&sample.image, true_map, DEFAULT_IMAGE_WEIGHT),
                },
                Panel {
                    title: format!(
                        "pred: {}\np={:.2}",
                        name(predicted),
                        probabilities[predicted]
                    ),
                    image: overlay(&sample.image, predicted_map, DEFAULT_IMAGE_WEIGHT),
                },
            ]);
            explained.samples.push(SampleReport {
                index,
                path: sample.path.clone(),
                reason,
                label: name(sample.label).to_owned(),
                predicted: name(predicted).to_owned(),
                p_true: probabilities[sample.label],
                p_predicted: probabilities[predicted],
                loss,
                true_map: MapStats::new(true_map, sample.mask.as_ref()),
                predicted_map: MapStats::new(predicted_map, sample.mask.as_ref()),
                true_map_empty: explanation.is_empty(0, j),
                predicted_map_empty: explanation.is_empty(1, j),
            });
            explained.true_maps.push(true_map.to_vec());
            progress.inc(1);
        }
        explained.shown.extend(samples);
    }
    if !inputs.is_empty() {
        explained.inputs = Tensor::cat(inputs, 0);
    }
    explained
}
