//! Running the model over the validation set.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use mobilenetv2::MobileNetV2;

use crate::data::{Batch, Data};
use crate::progress::bar;

/// Validation outputs for every sample, in `data.val` order.
pub struct Evaluation {
    /// Softmax probabilities per sample.
    pub probabilities: Vec<Vec<f32>>,
    /// Cross-entropy loss per sample.
    pub losses: Vec<f32>,
    /// Predicted class per sample.
    pub predictions: Vec<usize>,
}

impl Evaluation {
    /// Mean loss.
    pub fn loss(&self) -> f64 {
        self.losses.iter().map(|&l| f64::from(l)).sum::<f64>() / self.losses.len() as f64
    }

    /// Accuracy against `labels`.
    pub fn accuracy(&self, labels: impl Iterator<Item = usize>) -> f64 {
        let correct = self
            .predictions
            .iter()
            .zip(labels)
            .filter(|(p, l)| *p == l)
            .count();
        correct as f64 / self.predictions.len() as f64
    }
}

/// Evaluation batch size (no gradients, so larger than training's).
const EVAL_BATCH: usize = 64;

/// Runs the inference copy of the model over the validation set.
pub fn validate(model: &MobileNetV2, data: &Data, device: &Device) -> Evaluation {
    let progress = bar(data.val.len(), "validate");
    let mut evaluation = Evaluation {
        probabilities: Vec::with_capacity(data.val.len()),
        losses: Vec::with_capacity(data.val.len()),
        predictions: Vec::with_capacity(data.val.len()),
    };
    for chunk in data.val.chunks(EVAL_BATCH) {
        let batch = Batch::new(chunk, &data.normalization, None, device);
        let log_probs = log_softmax(model.forward(batch.images), 1);
        let classes = log_probs.dims()[1];
        let losses = -log_probs
            .clone()
            .gather(1, batch.labels.reshape([chunk.len(), 1]));
        let values: Vec<f32> = log_probs.exp().into_data().try_to_vec().expect("f32 data");
        for row in values.chunks(classes) {
            let predicted = row
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .map_or(0, |(i, _)| i);
            evaluation.predictions.push(predicted);
            evaluation.probabilities.push(row.to_vec());
        }
        evaluation.losses.extend(losses.into_data().iter::<f32>());
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    evaluation
}
