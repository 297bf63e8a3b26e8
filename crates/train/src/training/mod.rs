//! The training run: a custom Burn loop on the LibTorch autodiff device, with the heatmap
//! monitor after every epoch.

mod config;
mod epoch;
mod feature_cache;
mod optim;
mod recipe;
mod setup;

use std::time::Instant;

use anyhow::{Context, bail};
use burn_dataset::Dataset;
use models::checkpoint;

pub use config::{ModelConfig, OptimizationConfig, TrainConfig};
pub use optim::{OptimizerKind, Schedule};
pub use recipe::Recipe;

use crate::audit::MIN_TRAIN_ACCURACY;
use crate::monitor::{Monitor, TrainedEpoch};
use epoch::{Inputs, train_epoch};
use feature_cache::FeatureCache;

/// Trains as `config` says, writing checkpoints and reports after every epoch.
pub fn fit(config: &TrainConfig) -> anyhow::Result<()> {
    let setup::Setup {
        device,
        data,
        run,
        mut model,
        mut optimizer,
        mut history,
        metadata,
    } = setup::prepare(config)?;
    let optimization = &config.optimization;
    let epochs = optimization.epochs;
    let steps_per_epoch = data.train.len().div_ceil(optimization.batch_size);
    let mut schedule =
        optim::schedule(optimization, &model, steps_per_epoch, history.epochs.len())?;
    let start = history.epochs.len();
    if start >= epochs {
        println!(
            "run '{}' already finished {start} of {epochs} epochs; raise --epochs to train further",
            run.name
        );
        return Ok(());
    }
    // A frozen backbone without augmentation sees the same images every epoch: its pooled
    // features are computed once, and the epochs train only the classifier.
    let cache =
        (config.model.freeze_features && !config.data.augment && config.model.feature_cache)
            .then(|| FeatureCache::build(&model, &data, optimization.batch_size, &device));
    let mut monitor = Monitor::new(&model, &data, &run, &config.monitor, &device)?;
    for epoch in start + 1..=epochs {
        let started = Instant::now();
        let inputs = match &cache {
            Some(cache) => Inputs::Features(&data, cache),
            None => Inputs::Images(&data),
        };
        let (trained, train) = train_epoch(
            model,
            &mut optimizer,
            &mut schedule,
            inputs,
            config,
            epoch,
            &device,
        );
        model = trained;
        // Before the model has learned, every margin is near zero and says nothing of the
        // labels: the areas count the epochs from half the training images answered right.
        let margins = history.margins.get_or_insert_default();
        if train.accuracy >= MIN_TRAIN_ACCURACY {
            margins.add(&train.margins);
        }
        if !train.loss.is_finite() {
            let kept = if history.epochs.is_empty() {
                "no epoch completed, so no checkpoint was written".to_owned()
            } else {
                format!("the last good checkpoint is {}", run.last().display())
            };
            bail!(
                "the training loss became {} in epoch {epoch}; lower --lr (now {}) or check the data; {kept}",
                train.loss,
                optimization.lr
            );
        }
        let trained = TrainedEpoch {
            epoch,
            train: (&train).into(),
            seconds: started.elapsed().as_secs_f64(),
        };
        let files = monitor.observe(&model, trained, &mut history)?;
        let observed = history.epochs.last().context("the epoch just observed")?;
        let meta = checkpoint::Metadata {
            epoch,
            val_accuracy: Some(observed.val_accuracy),
            ..metadata.clone()
        };
        // The history before the checkpoint: a run killed between them resumes from the
        // checkpoint before and trains this epoch again (its record is dropped then), where a
        // history behind `last.bpk` would have this epoch trained twice.
        run.save_history(&history)?;
        // The report's files are written in the background while the checkpoint is; `finish`
        // adds their writing to the epoch's record and saves the history again.
        run.save(&model, &optimizer, &meta, observed.best)?;
        files.finish(&run, &mut history)?;
        println!("{}", history.summary_line(epochs));
    }
    monitor.draw_training_issues(&model, &history)?;
    monitor.close(&history)?;
    println!(
        "done: report {}, checkpoints {}",
        run.reports.join("index.html").display(),
        run.checkpoints.display()
    );
    Ok(())
}
