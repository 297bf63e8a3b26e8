//! One training epoch.

use std::time::Instant;

use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn_dataset::transform::SelectionDataset;
use models::{Classifier, Model};

use super::TrainConfig;
use super::feature_cache::FeatureCache;
use vision::RandomResizedCrop;

use crate::data::{Data, Split};
use crate::diagnosis::margins::{EpochMargins, Margin};
use crate::progress::bar;
use crate::run_dir::TrainStats;
use cam::argmax;

/// What an epoch trains on.
#[derive(Clone, Copy)]
pub enum Inputs<'a> {
    /// The decoded training images (augmented unless `--no-augment`).
    Images(&'a Data),
    /// The cached pooled features of a frozen backbone: only the classifier runs.
    Features(&'a Data, &'a FeatureCache),
}

/// Trains one epoch; batches are shuffled and augmented deterministically from the seed
/// and the epoch number, so a resumed run sees the same batches as an uninterrupted one.
pub fn train_epoch(
    mut model: Model,
    optimizer: &mut ModuleOptimizer,
    schedule: &mut ModuleLrScheduler,
    inputs: Inputs<'_>,
    config: &TrainConfig,
    epoch: usize,
    device: &Device,
) -> (Model, TrainStats) {
    let (Inputs::Images(data) | Inputs::Features(data, _)) = inputs;
    let epoch_seed = config
        .seed
        .wrapping_mul(1_000_003)
        .wrapping_add(epoch as u64);
    device.seed(epoch_seed);
    let autodiff = device.clone().autodiff();
    let order: Vec<usize> =
        SelectionDataset::<Split, _>::new_shuffled(data.train.clone(), epoch_seed).indices;
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let batch_size = config.optimization.batch_size;
    let progress = bar(order.len(), &format!("epoch {epoch}"));
    let started = Instant::now();
    let (mut loss_sum, mut correct, mut seen, mut lr) = (0.0, 0usize, 0usize, 0.0);
    let labels: Vec<usize> = data.train.labels().collect();
    let mut margins = EpochMargins(vec![None; labels.len()]);
    let mut images = match inputs {
        Inputs::Images(data) => {
            let augment = config.data.augment.then(|| {
                let crop = RandomResizedCrop {
                    size: data.image_size,
                    min_scale: config.data.crop_scale,
                };
                (crop, epoch_seed.wrapping_mul(7919))
            });
            Some(data.batches(&data.train, order.clone(), batch_size, augment))
        }
        Inputs::Features(..) => None,
    };
    for indices in order.chunks(batch_size) {
        let (logits, targets) = match inputs {
            Inputs::Features(_, cache) => {
                let (features, labels) = cache.batch(indices, &autodiff);
                (model.classify(features), labels)
            }
            Inputs::Images(_) => {
                let batch = images.as_mut().and_then(Iterator::next);
                let batch = batch
                    .expect("one prepared batch per step")
                    .upload(&autodiff);
                (model.forward(batch.images), batch.labels)
            }
        };
        let loss = loss_fn.forward(logits.clone(), targets);
        let loss_value = f64::from(loss.clone().into_scalar::<f32>());
        let n = indices.len();
        if !loss_value.is_finite() {
            progress.abandon();
            return (
                model,
                TrainStats {
                    loss: loss_value,
                    accuracy: 0.0,
                    images_per_second: 0.0,
                    lr,
                    margins,
                },
            );
        }
        // The step's logits give the accuracy and each image's margin (no extra pass).
        let values = logits.clone().inner().into_data().try_to_vec::<f32>();
        let values = values.expect("f32 logits");
        for (row, &i) in values.chunks(values.len() / n).zip(indices) {
            correct += usize::from(argmax(row) == labels[i]);
            margins.0[i] = Some(Margin::new(row, labels[i]));
        }
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
        margins,
    };
    (model, stats)
}
