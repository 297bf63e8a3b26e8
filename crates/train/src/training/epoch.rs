//! One training epoch and one validation pass.

use std::time::Instant;

use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::log_softmax;
use burn_dataset::Dataset;
use burn_dataset::transform::ShuffledDataset;
use mobilenetv2::MobileNetV2;

use crate::cli::TrainArgs;
use crate::data::{Augment, Batch, Data};
use crate::progress::bar;

/// What an epoch of training measured.
pub struct TrainStats {
    /// Mean loss (non-finite if training diverged; the epoch then stops early).
    pub loss: f64,
    /// Accuracy on the (augmented) training batches.
    pub accuracy: f64,
    /// Throughput.
    pub images_per_second: f64,
    /// Learning rate of the last step.
    pub lr: f64,
}

/// Trains one epoch; batches are shuffled and augmented deterministically from `--seed`
/// and the epoch number, so a resumed run sees the same batches as an uninterrupted one.
pub fn train_epoch(
    mut model: MobileNetV2,
    optimizer: &mut ModuleOptimizer,
    schedule: &mut ModuleLrScheduler,
    data: &Data,
    args: &TrainArgs,
    epoch: usize,
    device: &Device,
) -> (MobileNetV2, TrainStats) {
    let epoch_seed = args.seed.wrapping_mul(1_000_003).wrapping_add(epoch as u64);
    device.seed(epoch_seed);
    let autodiff = device.clone().autodiff();
    let order = ShuffledDataset::new(data.train.clone(), epoch_seed);
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let progress = bar(order.len(), &format!("epoch {epoch}"));
    let started = Instant::now();
    let (mut loss_sum, mut correct, mut seen, mut lr) = (0.0, 0usize, 0usize, 0.0);
    for (step, start) in (0..order.len()).step_by(args.batch_size).enumerate() {
        let indices: Vec<usize> = (start..(start + args.batch_size).min(order.len())).collect();
        let samples = order.get_many(indices).expect("in-memory samples");
        let augment = (!args.no_augment).then(|| {
            (
                Augment::default(),
                epoch_seed
                    .wrapping_mul(7919)
                    .wrapping_add(step as u64 * 1024),
            )
        });
        let batch = Batch::new(&samples, &data.normalization, augment, &autodiff);
        let logits = model.forward(batch.images);
        let loss = loss_fn.forward(logits.clone(), batch.labels.clone());
        let loss_value = f64::from(loss.clone().into_scalar::<f32>());
        let n = samples.len();
        if !loss_value.is_finite() {
            progress.abandon();
            return (
                model,
                TrainStats {
                    loss: loss_value,
                    accuracy: 0.0,
                    images_per_second: 0.0,
                    lr,
                },
            );
        }
        correct += logits
            .inner()
            .argmax(1)
            .flatten::<1>(0, 1)
            .equal(batch.labels.inner())
            .int()
            .sum()
            .into_scalar::<i64>() as usize;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        let rate = schedule.step();
        lr = rate.base();
        model = optimizer.step(rate, model, grads);
        loss_sum += loss_value * n as f64;
        seen += n;
        progress.inc(n as u64);
        progress.set_message(format!(
            "loss {:.3} acc {:.1}% {:.0} img/s",
            loss_sum / seen as f64,
            100.0 * correct as f64 / seen as f64,
            seen as f64 / started.elapsed().as_secs_f64()
        ));
    }
    progress.finish_and_clear();
    let stats = TrainStats {
        loss: loss_sum / seen as f64,
        accuracy: correct as f64 / seen as f64,
        images_per_second: seen as f64 / started.elapsed().as_secs_f64(),
        lr,
    };
    (model, stats)
}

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
