//! The training run: a custom Burn loop on the LibTorch autodiff device with a Grad-CAM
//! report after every validation pass.

mod epoch;
mod feature_cache;
mod optim;
mod setup;

use std::time::Instant;

use anyhow::bail;
use burn::module::Module;
use burn_dataset::Dataset;
use mobilenetv2::checkpoint;

use crate::cli::TrainArgs;
use crate::evaluation::validate;
use crate::report::{self, EpochInputs};
use crate::run::EpochRecord;
use epoch::{Inputs, train_epoch};
use feature_cache::FeatureCache;

/// Trains as `args` says; see `train --help`.
pub fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let setup::Setup {
        device,
        data,
        run,
        mut model,
        mut optimizer,
        mut history,
        metadata,
    } = setup::prepare(args)?;
    let steps_per_epoch = data.train.len().div_ceil(args.batch_size);
    let mut schedule = optim::schedule(args, steps_per_epoch, history.epochs.len())?;
    let start = history.epochs.len();
    if start >= args.epochs {
        println!(
            "run '{}' already finished {start} of {} epochs; raise --epochs to train further",
            run.name, args.epochs
        );
        return Ok(());
    }
    // A frozen backbone without augmentation sees the same images every epoch: its pooled
    // features are computed once, and the epochs train only the classifier.
    let cache = (args.freeze_features && args.no_augment && !args.no_feature_cache)
        .then(|| FeatureCache::build(&model, &data, args.batch_size, &device));
    for epoch in start + 1..=args.epochs {
        let started = Instant::now();
        let inputs = match &cache {
            Some(cache) => Inputs::Features(&data, cache),
            None => Inputs::Images(&data),
        };
        let (trained, train_stats) = train_epoch(
            model,
            &mut optimizer,
            &mut schedule,
            inputs,
            args,
            epoch,
            &device,
        );
        model = trained;
        if !train_stats.loss.is_finite() {
            let kept = if history.epochs.is_empty() {
                "no epoch completed, so no checkpoint was written".to_owned()
            } else {
                format!("the last good checkpoint is {}", run.last().display())
            };
            bail!(
                "the training loss became {} in epoch {epoch}; lower --lr (now {}) or check the data; {kept}",
                train_stats.loss,
                args.lr
            );
        }
        let train_seconds = started.elapsed().as_secs_f64();
        let val_started = Instant::now();
        let valid = model.valid();
        let evaluation = validate(&valid, &data, &device);
        let val_seconds = val_started.elapsed().as_secs_f64();

        let report_started = Instant::now();
        let record = report::epoch(EpochInputs {
            model: &valid,
            data: &data,
            evaluation: &evaluation,
            args,
            run: &run,
            epoch,
            train: &train_stats,
            device: &device,
        })?;
        let mut record = EpochRecord {
            seconds: [
                train_seconds,
                val_seconds,
                report_started.elapsed().as_secs_f64(),
            ],
            ..record
        };
        let best = history
            .best_accuracy()
            .is_none_or(|b| record.val_accuracy > b);
        let meta = checkpoint::Metadata {
            epoch,
            val_accuracy: Some(record.val_accuracy),
            ..metadata.clone()
        };
        run.save(&model, &optimizer, &meta, best)?;
        record.best = best;
        history.epochs.push(record);
        run.save_history(&history)?;
        report::run_index(&history, &data, &run, args.probes)?;
        println!("{}", history.summary_line(args.epochs));
    }
    println!(
        "done: report {}, checkpoints {}",
        run.reports.join("index.html").display(),
        run.checkpoints.display()
    );
    Ok(())
}
