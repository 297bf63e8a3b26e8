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

    /// The class each of [`Self::misclassified`] was taken for.
    pub fn misclassified_as(&self) -> Vec<usize> {
        self.misclassified()
            .into_iter()
            .map(|i| self.predictions[i])
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
    /// Every image's map for its true class.
    pub truth: Explanation,
    /// Each mistake's map for its predicted class (in `mistakes` order, then padding); `None`
    /// without mistakes.
    pub predicted: Option<Explanation>,
}

impl BatchMaps {
    /// The true-class map of image `j`, and whether it was empty.
    pub fn true_map(&self, j: usize) -> (&[f32], bool) {
        (self.truth.map(0, j), self.truth.is_empty(0, j))
    }

    /// The predicted-class map of image `j` if it is misclassified, and whether it was empty.
    pub fn predicted_map(&self, j: usize) -> Option<(&[f32], bool)> {
        let at = self.mistakes.iter().position(|&m| m == j)?;
        let maps = self.predicted.as_ref()?;
        Some((maps.map(0, at), maps.is_empty(0, at)))
    }
}

/// Input pixels per evaluation batch: 64 images at 224 px (no gradients but the tail's, so
/// more than a training batch).
const EVAL_PIXELS: usize = 64 * 224 * 224;
/// Images per evaluation batch at most: small inputs take few, large batches (each pass of the
/// maps costs 3-8 ms beside its images, so the default run's 200 images at 96 px take one
/// instead of two at 128 or four at 64).
const MAX_EVAL_BATCH: usize = 256;

/// Images per evaluation batch at `image_size`: [`EVAL_PIXELS`]' worth, 8 to
/// [`MAX_EVAL_BATCH`].
fn eval_batch(image_size: usize) -> usize {
    (EVAL_PIXELS / (image_size * image_size)).clamp(8, MAX_EVAL_BATCH)
}
/// The mistakes' rows are padded to a multiple of this, so that their maps' pass takes few
/// batch shapes, whose kernels LibTorch prepares once.
const MISTAKE_ROWS: usize = 8;

/// Runs the model over the validation set through `engine`, and hands `monitor` each batch's
/// answers and maps: every image's for its true class, and every mistake's for its predicted
/// class. Returns the answers and the seconds of the forward pass, what any validation costs.
///
/// The forward pass past the first target layer is recorded for the backward (see
/// [`CamEngine::forward`]): the true-class maps then cost one backward, and the predicted-class
/// maps one more pass over the mistakes' rows from the first target layer on.
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
    // Waiting for a batch is validation's cost too: the clock runs from the end of the
    // previous batch's maps.
    let mut started = Instant::now();
    for (samples, batch) in data.val_batches(eval_batch(data.image_size)) {
        let start = evaluation.predictions.len();
        let front = engine.front(batch.upload(device).images);
        let forward = engine.forward(front.clone());
        let logits = forward.logits();
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
        let truth = engine.explain_forward(forward, &Targets::Classes(labels));
        let predicted = (!mistakes.is_empty()).then(|| {
            let (rows, classes) = padded_mistakes(&mistakes, &predictions);
            engine.explain_front(front.select(&rows), &[Targets::Classes(classes)])
        });
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
            truth,
            predicted,
        });
        started = Instant::now();
    }
    progress.finish_and_clear();
    (evaluation, forward_seconds)
}

/// LibTorch prepares kernels for each batch shape once per process (8-12 ms a shape for the
/// maps' passes here): runs [`validate`]'s passes once on blank images in every shape an epoch
/// gives them (the validation batches, the mistakes' padded rows), so that the first epochs do
/// not pay for it.
pub fn prepare_kernels(engine: &CamEngine, data: &Data, device: &Device) {
    let val = data.val.len();
    let side = data.image_size;
    let blank = |n: usize| engine.front(Tensor::<4>::zeros([n, 3, side, side], device));
    let batch = eval_batch(side);
    let full = batch.min(val);
    let mut shapes = vec![full, val % batch];
    shapes.retain(|&n| n > 0);
    shapes.dedup();
    for n in shapes {
        let forward = engine.forward(blank(n));
        engine.explain_forward(forward, &Targets::Classes(vec![0; n]));
    }
    if full == 0 {
        return;
    }
    let front = blank(full);
    for rows in (MISTAKE_ROWS..=full.next_multiple_of(MISTAKE_ROWS)).step_by(MISTAKE_ROWS) {
        let targets = [Targets::Classes(vec![0; rows])];
        engine.explain_front(front.select(&vec![0; rows]), &targets);
    }
}

/// The batch rows of the mistakes and their predicted classes, padded to a multiple of
/// [`MISTAKE_ROWS`] (with the first mistake).
fn padded_mistakes(mistakes: &[usize], predictions: &[usize]) -> (Vec<usize>, Vec<usize>) {
    let padded = mistakes.len().next_multiple_of(MISTAKE_ROWS);
    let mut rows = mistakes.to_vec();
    rows.resize(padded, mistakes[0]);
    let classes = rows.iter().map(|&j| predictions[j]).collect();
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
    fn the_mistakes_are_explained_for_their_prediction_in_padded_rows() {
        let (rows, classes) = padded_mistakes(&[1, 4], &[0, 2, 2, 0, 3]);
        assert_eq!(rows.len(), MISTAKE_ROWS);
        assert_eq!(&rows[..3], [1, 4, 1]);
        assert_eq!(&classes[..3], [2, 3, 2]);
        let every: Vec<usize> = (0..MISTAKE_ROWS).collect();
        let (rows, _) = padded_mistakes(&every, &every);
        assert_eq!(rows, every, "no padding when the rows fill it");
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
