//! The training run: a custom Burn loop on the LibTorch autodiff device, with validation and
//! the heatmap monitor after every epoch.

mod config;
mod epoch;
mod feature_cache;
mod optim;
mod setup;

use std::time::Instant;

use anyhow::{Context, bail};
use burn::module::Module;
use burn_dataset::Dataset;
use mobilenetv2::checkpoint;

pub use config::{ModelConfig, OptimizationConfig, TrainConfig};
pub use optim::{OptimizerKind, Schedule};

use cam::{CamEngine, TargetLayer};

use crate::audit::Audit;
use crate::evaluation::{prepare_kernels, validate};
use crate::report::{self, Collector, EpochInputs, Writer};
use crate::run_dir::EpochRecord;
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
    let mut schedule = optim::schedule(optimization, steps_per_epoch, history.epochs.len())?;
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
    let layers = TargetLayer::or_default_for(&config.monitor.layers, data.image_size);
    // The baselines know nothing of the model: their scores hold for every epoch.
    let baselines = report::baseline_scores(&data);
    let mut audit = Audit::new(data.classes.len());
    // Kernels for the monitor's batch shapes, prepared once before the epochs that use them.
    {
        let engine = CamEngine::new(&model.valid(), config.monitor.method, &layers);
        prepare_kernels(&engine, &data, &device);
        audit.prepare_kernels(&engine, &data, config.monitor.audit, &device);
    }
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
        let train_seconds = started.elapsed().as_secs_f64();
        // Validation runs through the CAM engine: past the plain forward pass (what any
        // validation costs, `val_seconds`), the maps and everything after them are the
        // monitor's cost.
        let monitor_started = Instant::now();
        let valid = model.valid();
        let engine = CamEngine::new(&valid, config.monitor.method, &layers);
        let monitor = &config.monitor;
        let probes = report::probes(&data, monitor.probes);
        let writer = Writer::new();
        let mut collector = Collector::new(
            &run,
            &writer,
            epoch,
            &history,
            data.val.len(),
            monitor.samples,
            probes,
        );
        let (evaluation, val_seconds) =
            validate(&engine, &data, &device, |batch| collector.add(batch));
        let (shown, cam_scores) = collector.finish(&data.classes)?;
        let report::Observation {
            attention,
            drift,
            shown,
        } = report::observe(EpochInputs {
            engine: &engine,
            data: &data,
            shown,
            cam_scores,
            baselines: &baselines,
            config: monitor,
            run: &run,
            epoch,
            train_accuracy: train.accuracy,
            device: &device,
            audit: &mut audit,
            writer: &writer,
        })?;
        let val_accuracy = evaluation.accuracy();
        let record = EpochRecord {
            epoch,
            train_loss: train.loss,
            train_accuracy: train.accuracy,
            val_loss: evaluation.loss(),
            val_accuracy,
            lr: train.lr,
            images_per_second: train.images_per_second,
            seconds: [
                train_seconds,
                val_seconds,
                monitor_started.elapsed().as_secs_f64() - val_seconds,
            ],
            confusion: evaluation.confusion(data.classes.len()),
            misclassified: evaluation.misclassified(),
            best: history.best_accuracy().is_none_or(|b| val_accuracy > b),
            attention_drift: drift,
            attention,
        };
        let writing_started = Instant::now();
        report::write_epoch(&run, &record, &shown, &data)?;
        let best = record.best;
        history.epochs.push(record);
        report::run_index(&history, &data, &run, monitor.probes, &writer)?;
        let mut writing = writing_started.elapsed().as_secs_f64();
        let meta = checkpoint::Metadata {
            epoch,
            val_accuracy: Some(val_accuracy),
            ..metadata.clone()
        };
        run.save(&model, &optimizer, &meta, best)?;
        // The report's files are written in the background while the checkpoint is: waiting
        // for the rest is the monitor's cost too.
        let waited = Instant::now();
        writer
            .finish()
            .context("writing the epoch's report files")?;
        writing += waited.elapsed().as_secs_f64();
        // The pages are the monitor's too: history.json and the summary line count their
        // writing; the run page written above shows this epoch's cost without it.
        history.epochs.last_mut().expect("this epoch").seconds[2] += writing;
        run.save_history(&history)?;
        println!("{}", history.summary_line(epochs));
    }
    println!(
        "done: report {}, checkpoints {}",
        run.reports.join("index.html").display(),
        run.checkpoints.display()
    );
    Ok(())
}
