//! Running the model over the validation set, and what its answers add up to.

use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use mobilenetv2::MobileNetV2;

use crate::data::Data;
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

/// Evaluation batch size (no gradients, so larger than training's).
const EVAL_BATCH: usize = 64;

/// Runs the inference copy of the model over the validation set.
pub fn validate(model: &MobileNetV2, data: &Data, device: &Device) -> Evaluation {
    let progress = bar(data.val.len(), "validate");
    let mut evaluation = Evaluation {
        labels: data.val.labels().collect(),
        probabilities: Vec::with_capacity(data.val.len()),
        losses: Vec::with_capacity(data.val.len()),
        predictions: Vec::with_capacity(data.val.len()),
    };
    let order = (0..data.val.len()).collect();
    for batch in data.batches(&data.val, order, EVAL_BATCH, None) {
        let n = batch.len();
        let batch = batch.upload(device);
        let log_probs = log_softmax(model.forward(batch.images), 1);
        let classes = log_probs.dims()[1];
        let losses = -log_probs.clone().gather(1, batch.labels.reshape([n, 1]));
        let values: Vec<f32> = log_probs.exp().into_data().try_to_vec().expect("f32 data");
        for row in values.chunks(classes) {
            evaluation.predictions.push(cam::argmax(row));
            evaluation.probabilities.push(row.to_vec());
        }
        evaluation.losses.extend(losses.into_data().iter::<f32>());
        progress.inc(n as u64);
    }
    progress.finish_and_clear();
    evaluation
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
}
