//! Running the model over the validation set, and what its answers add up to.

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::activation::softmax;
use cam::{CamEngine, Explanation, Targets, argmax};

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

/// What one validation batch gives the monitor beside the answers: its samples and heatmaps.
pub struct BatchMaps {
    /// Validation index of the batch's first image (the others follow in order).
    pub start: usize,
    /// The decoded samples.
    pub samples: Vec<Sample>,
    /// The predicted class of each image.
    pub predictions: Vec<usize>,
    /// Softmax probabilities of each image.
    pub probabilities: Vec<Vec<f32>>,
    /// Cross-entropy loss of each image.
    pub losses: Vec<f32>,
    /// Batch positions of the misclassified images.
    pub mistakes: Vec<usize>,
    /// One map per row: first every image's for its true class, then each mistake's for its
    /// predicted class (in `mistakes` order), then padding.
    pub maps: Explanation,
}

impl BatchMaps {
    /// The true-class map of image `j`, and whether it was empty.
    pub fn true_map(&self, j: usize) -> (&[f32], bool) {
        (self.maps.map(0, j), self.maps.is_empty(0, j))
    }

    /// The predicted-class map of image `j` if it is misclassified, and whether it was empty.
    pub fn predicted_map(&self, j: usize) -> Option<(&[f32], bool)> {
        let at = self.samples.len() + self.mistakes.iter().position(|&m| m == j)?;
        Some((self.maps.map(0, at), self.maps.is_empty(0, at)))
    }
}

/// Evaluation batch size (no gradients but the tail's, so larger than training's).
const EVAL_BATCH: usize = 64;
/// The mistakes' rows are padded to a multiple of this, so that the maps' pass takes few batch
/// shapes, whose kernels LibTorch prepares once.
const MISTAKE_ROWS: usize = 16;

/// Runs the model over the validation set through `engine`: the plain forward pass (what any
/// validation costs), then from the first target layer on the maps of every image's true class
/// and of every mistake's predicted class in one backward pass, which `monitor` receives batch
/// by batch. Returns the answers and the seconds of the plain forward pass.
pub fn validate(
    engine: &CamEngine,
    data: &Data,
    device: &Device,
    mut monitor: impl FnMut(BatchMaps),
) -> (Evaluation, f64) {
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
        let logits = engine.logits(&front);
        let probabilities = rows(softmax(logits.clone(), 1));
        let logits = rows(logits);
        forward_seconds += started.elapsed().as_secs_f64();
        let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
        let predictions: Vec<usize> = logits.iter().map(|l| argmax(l)).collect();
        let losses: Vec<f32> = (logits.iter().zip(&labels))
            .map(|(l, &label)| cross_entropy(l, label))
            .collect();
        let mistakes: Vec<usize> = (0..samples.len())
            .filter(|&j| predictions[j] != labels[j])
            .collect();
        let (rows, classes) = rows_to_explain(labels, &mistakes, &predictions);
        let front = if rows.len() == samples.len() {
            front
        } else {
            front.select(&rows)
        };
        let maps = engine.explain_front(front, &[Targets::Classes(classes)]);
        evaluation.predictions.extend(&predictions);
        evaluation.losses.extend(&losses);
        evaluation
            .probabilities
            .extend(probabilities.iter().cloned());
        progress.inc(samples.len() as u64);
        monitor(BatchMaps {
            start,
            samples,
            predictions,
            probabilities,
            losses,
            mistakes,
            maps,
        });
    }
    progress.finish_and_clear();
    (evaluation, forward_seconds)
}

/// The batch rows to explain and their classes: every image for its true class, then each
/// mistake for its predicted class, padded to a multiple of [`MISTAKE_ROWS`] (with image 0).
fn rows_to_explain(
    labels: Vec<usize>,
    mistakes: &[usize],
    predictions: &[usize],
) -> (Vec<usize>, Vec<usize>) {
    let padded = mistakes.len().next_multiple_of(MISTAKE_ROWS);
    let padding = std::iter::repeat_n(0, padded - mistakes.len());
    let mut rows: Vec<usize> = (0..labels.len()).collect();
    rows.extend(mistakes.iter().copied().chain(padding.clone()));
    let mut classes = labels;
    classes.extend(mistakes.iter().map(|&j| predictions[j]).chain(padding));
    (rows, classes)
}

/// The rows of a `[N, C]` tensor.
fn rows(t: Tensor<2>) -> Vec<Vec<f32>> {
    let [_, c] = t.dims();
    let flat: Vec<f32> = t.into_data().try_to_vec::<f32>().expect("f32 data");
    flat.chunks(c).map(<[f32]>::to_vec).collect()
}

/// `-log softmax(logits)[label]`, computed stably in double precision.
fn cross_entropy(logits: &[f32], label: usize) -> f32 {
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
    fn each_mistake_is_explained_again_for_its_prediction_in_padded_rows() {
        let (rows, classes) = rows_to_explain(vec![0, 1, 2], &[1], &[0, 2, 2]);
        assert_eq!(rows.len(), 3 + MISTAKE_ROWS);
        assert_eq!(&rows[..4], [0, 1, 2, 1]);
        assert_eq!(&classes[..4], [0, 1, 2, 2]);
        let (rows, classes) = rows_to_explain(vec![0, 1], &[], &[0, 1]);
        assert_eq!((rows, classes), (vec![0, 1], vec![0, 1]));
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
