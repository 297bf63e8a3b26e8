//! Running the model over the validation set, and what its answers add up to.

use std::time::Instant;

use burn::prelude::*;
use cam::{CamEngine, Explanation, Targets};

use crate::data::{Data, Sample};
use crate::progress::bar;

/// Validation outputs for every sample, in `data.val` order.
pub struct Evaluation {
    /// True class per sample.
    pub labels: Vec<usize>,
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

    /// Share of samples predicted right.
    pub fn accuracy(&self) -> f64 {
        let wrong = self.misclassified().len();
        1.0 - wrong as f64 / self.labels.len() as f64
    }

    /// Indices of the samples predicted wrong, in validation order.
    pub fn misclassified(&self) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&i| self.predictions[i] != self.labels[i])
            .collect()
    }

    /// `confusion[true][predicted]` counts over `classes` classes.
    pub fn confusion(&self, classes: usize) -> Vec<Vec<usize>> {
        let mut matrix = vec![vec![0; classes]; classes];
        for (&l, &p) in self.labels.iter().zip(&self.predictions) {
            matrix[l][p] += 1;
        }
        matrix
    }
}

/// Evaluation batch size (no gradients but the tail's, so larger than training's).
const EVAL_BATCH: usize = 64;

/// What one validation batch gives the monitor beside the answers: its samples and heatmaps.
pub struct BatchMaps {
    /// Validation index of the batch's first image (the others follow in order).
    pub start: usize,
    /// The decoded samples.
    pub samples: Vec<Sample>,
    /// Two maps per image: target 0 its true class, target 1 its predicted class (the same
    /// map when the answer is right).
    pub maps: Explanation,
}

/// Runs the model over the validation set through `engine`: the plain forward pass to the first
/// target layer (what any validation costs), then from there the maps of every image's true and
/// predicted class in one backward pass (one batch shape, whose kernels LibTorch keeps ready),
/// which `monitor` receives batch by batch. Returns the answers and the seconds of the plain
/// forward part.
pub fn validate(
    engine: &CamEngine,
    data: &Data,
    device: &Device,
    mut monitor: impl FnMut(BatchMaps) -> anyhow::Result<()>,
) -> anyhow::Result<(Evaluation, f64)> {
    let progress = bar(data.val.len(), "validate");
    let mut evaluation = Evaluation {
        labels: data.val.labels().collect(),
        probabilities: Vec::with_capacity(data.val.len()),
        losses: Vec::with_capacity(data.val.len()),
        predictions: Vec::with_capacity(data.val.len()),
    };
    let mut forward_seconds = 0.0;
    for (samples, batch) in data.val_batches(EVAL_BATCH) {
        let start = evaluation.predictions.len();
        let started = Instant::now();
        let front = engine.front(batch.upload(device).images);
        forward_seconds += started.elapsed().as_secs_f64();
        let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
        let maps = engine.explain_front(front, &[Targets::Classes(labels), Targets::Predicted]);
        for (j, (logits, sample)) in maps.logits.iter().zip(&samples).enumerate() {
            evaluation.predictions.push(maps.predicted(j));
            evaluation.losses.push(cross_entropy(logits, sample.label));
        }
        evaluation
            .probabilities
            .extend(maps.probabilities.iter().cloned());
        progress.inc(samples.len() as u64);
        monitor(BatchMaps {
            start,
            samples,
            maps,
        })?;
    }
    progress.finish_and_clear();
    Ok((evaluation, forward_seconds))
}

/// `-log softmax(logits)[label]`, computed stably in double precision.
pub fn cross_entropy(logits: &[f32], label: usize) -> f32 {
    let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f64 = logits.iter().map(|&l| f64::from(l - max).exp()).sum();
    (sum.ln() - f64::from(logits[label] - max)) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_accuracy_and_mistakes_agree() {
        let evaluation = Evaluation {
            labels: vec![0, 0, 1, 2],
            predictions: vec![0, 1, 1, 0],
            probabilities: Vec::new(),
            losses: vec![0.5, 1.5, 1.0, 1.0],
        };
        assert_eq!(evaluation.confusion(3), [[1, 1, 0], [0, 1, 0], [1, 0, 0]]);
        assert_eq!(evaluation.misclassified(), [1, 3]);
        assert_eq!(evaluation.accuracy(), 0.5);
        assert_eq!(evaluation.loss(), 1.0);
    }

    #[test]
    fn cross_entropy_is_the_negative_log_softmax() {
        let logits = [2.0f32, -1.0, 0.5];
        let sum: f64 = logits.iter().map(|&l| f64::from(l).exp()).sum();
        let expected = -(f64::from(logits[2]).exp() / sum).ln();
        assert!((f64::from(cross_entropy(&logits, 2)) - expected).abs() < 1e-6);
        assert!(cross_entropy(&[1000.0, 0.0], 0).abs() < 1e-6, "no overflow");
    }
}
