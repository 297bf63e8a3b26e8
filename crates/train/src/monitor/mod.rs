//! The per-epoch monitor: everything camwatch observes of a model after an epoch, whoever
//! trained it. [`Monitor::observe`] validates with every image's maps, keeps the mistakes and
//! probes, scores the maps beside the baselines, audits shortcuts, and writes the epoch's
//! record and pages; the figures and small files keep being written in the background until
//! [`EpochFiles::finish`], so that a caller can save its checkpoint meanwhile.

use std::time::Instant;

use anyhow::Context;
use burn::prelude::*;
use cam::{CamEngine, TargetLayer};
use models::{Classifier, Model};

use crate::audit::Audit;
use crate::browser;
use crate::data::Data;
use crate::diagnosis;
use crate::evaluation::{prepare_kernels, validate};
use crate::report::{self, Collector, EpochInputs, MapScores};
use crate::run_dir::{EpochRecord, History, RunDir, TrainNumbers};
use crate::writer::Writer;

pub(crate) mod config;

pub use config::MonitorConfig;

/// The monitor of one run: its target layers, the baselines' scores (which know nothing of the
/// model, so they hold for every epoch) and the shortcut audit's rolling state.
pub struct Monitor<'a> {
    data: &'a Data,
    run: &'a RunDir,
    config: &'a MonitorConfig,
    device: &'a Device,
    layers: Vec<TargetLayer>,
    baselines: Vec<MapScores>,
    audit: Audit,
    /// What the last epoch's mistakes may be made of, in a line.
    diagnosis: Option<String>,
}

/// An epoch of training, as the monitor records it beside what it observes.
pub struct TrainedEpoch {
    /// The epoch (1-based).
    pub epoch: usize,
    /// What training measured, where known.
    pub train: TrainNumbers,
    /// Seconds the epoch's training took (0 where unknown).
    pub seconds: f64,
}

/// The epoch's report files still being written in the background.
#[must_use = "the epoch's files are complete only after `finish`"]
pub struct EpochFiles {
    writer: Writer,
    /// Seconds spent writing the epoch's files so far (the monitor's cost).
    writing: f64,
}

impl<'a> Monitor<'a> {
    /// A monitor of `data`'s validation split writing into `run`. Before the epochs, prepares
    /// LibTorch's kernels for the monitor's batch shapes and writes the validation pictures the
    /// epoch pages show.
    pub fn new(
        model: &Model,
        data: &'a Data,
        run: &'a RunDir,
        config: &'a MonitorConfig,
        device: &'a Device,
    ) -> anyhow::Result<Self> {
        let network = model.fold();
        let layers =
            TargetLayer::find_or_default(network.as_ref(), &config.layers, data.image_size)
                .map_err(anyhow::Error::msg)?;
        let audit = Audit::new(data.classes.len(), network.as_ref());
        let engine = CamEngine::new(network.as_ref(), config.method, &layers);
        prepare_kernels(&engine, data, device);
        audit.prepare_kernels(&engine, data, config.audit, device);
        browser::write_pictures(data, run)?;
        Ok(Self {
            data,
            run,
            config,
            device,
            layers,
            baselines: report::baseline_scores(data),
            audit,
            diagnosis: None,
        })
    }

    /// Observes `model` after `trained`: appends the epoch's record to `history` and rewrites
    /// the run page. Validation runs through the CAM engine: past the plain forward pass (what
    /// any validation costs), the maps and everything after them are the monitor's cost, in
    /// the record's `seconds[2]`.
    pub fn observe(
        &mut self,
        model: &Model,
        trained: TrainedEpoch,
        history: &mut History,
    ) -> anyhow::Result<EpochFiles> {
        let TrainedEpoch {
            epoch,
            train,
            seconds,
        } = trained;
        let started = Instant::now();
        let engine = CamEngine::new(model.fold().as_ref(), self.config.method, &self.layers);
        let (data, run, config) = (self.data, self.run, self.config);
        let writer = Writer::new();
        let mut collector = Collector::new(
            run,
            epoch,
            history,
            data.val.len(),
            config.samples,
            report::probes(data, config.probes),
        );
        let (evaluation, val_seconds) =
            validate(&engine, data, self.device, |batch| collector.add(batch));
        let label_issues = diagnosis::validation_label_issues(&evaluation, data, history, epoch);
        // Every image has been decoded by now (and hashed on the way): pairs are found once.
        let duplicates = history.duplicates.get_or_insert_with(|| {
            diagnosis::duplicates::find(data, &data.train.fingerprints(), &data.val.fingerprints())
        });
        let (shown, cam_scores) = collector.finish(&data.classes, &label_issues, duplicates)?;
        let val_accuracy = evaluation.accuracy();
        let calibration = diagnosis::calibration(&evaluation);
        let dir = run.epoch_reports(epoch);
        let drawn = calibration.clone();
        writer.draw_png(dir.join("reliability.png"), move || {
            report::plots::reliability(&drawn)
        });
        // Every answer's probabilities, for cleanlab or any analysis of the user's own.
        let shape = [evaluation.labels.len(), data.classes.len()];
        cam::render::npy::save_npy(
            &evaluation.probabilities.concat(),
            &shape,
            &dir.join("probabilities.npy"),
        )?;
        let report::Observation {
            attention,
            drift,
            shown,
        } = report::observe(EpochInputs {
            engine: &engine,
            data,
            shown,
            cam_scores,
            baselines: &self.baselines,
            config,
            run,
            epoch,
            // The audit waits for the model to learn: training accuracy, or validation's where
            // the trainer did not say.
            learned: train.train_accuracy.unwrap_or(val_accuracy),
            device: self.device,
            audit: &mut self.audit,
            writer: &writer,
        })?;
        let record = EpochRecord {
            epoch,
            train,
            val_loss: evaluation.loss(),
            val_accuracy,
            seconds: [
                seconds,
                val_seconds,
                started.elapsed().as_secs_f64() - val_seconds,
            ],
            confusion: evaluation.confusion(data.classes.len()),
            misclassified: evaluation.misclassified(),
            misclassified_as: evaluation.misclassified_as(),
            calibration: Some(calibration),
            best: history.best_accuracy().is_none_or(|b| val_accuracy > b),
            attention_drift: drift,
            attention,
        };
        let writing = Instant::now();
        let diagnosis = report::Diagnosis {
            label_issues: &label_issues,
            duplicates: history.duplicates.as_deref().unwrap_or_default(),
        };
        report::write_epoch(run, &record, &shown, &diagnosis, data)?;
        let twins = diagnosis::duplicates::validation_twins(diagnosis.duplicates).len();
        let ece = record.calibration.as_ref().map_or(0.0, |c| c.ece);
        history.epochs.push(record);
        let training_issues = (history.margins.as_ref())
            .map(|m| diagnosis::training_label_issues(m, data))
            .unwrap_or_default();
        if history.margins.is_some() {
            report::training_issues::save(&training_issues, run)?;
        }
        let listed = report::TrainingIssues {
            issues: &training_issues,
            drawn: false,
        };
        report::run_index(history, data, run, config.probes, &listed, &writer)?;
        let training = match history.margins {
            Some(_) => format!(", {} training", training_issues.len()),
            _ => String::new(),
        };
        self.diagnosis = Some(format!(
            "labels that look wrong: {} validation{training} (the epoch pages, label_issues.json); validation images also in training: {twins}; calibration error (ECE) {ece:.3}",
            label_issues.len(),
        ));
        Ok(EpochFiles {
            writer,
            writing: writing.elapsed().as_secs_f64(),
        })
    }
}

impl Monitor<'_> {
    /// Draws the training images whose label looks wrong with `model`'s maps for the given and
    /// the suggested class, and the run page with them: once, after a training run's last
    /// epoch (each epoch lists them without).
    pub fn draw_training_issues(&self, model: &Model, history: &History) -> anyhow::Result<()> {
        let Some(margins) = &history.margins else {
            return Ok(());
        };
        let issues = diagnosis::training_label_issues(margins, self.data);
        let engine = CamEngine::new(model.fold().as_ref(), self.config.method, &self.layers);
        let writer = Writer::new();
        let (data, run) = (self.data, self.run);
        report::training_issues::draw(&engine, data, &issues, run, &writer, self.device)?;
        let drawn = report::TrainingIssues {
            issues: &issues,
            drawn: true,
        };
        report::run_index(history, data, run, self.config.probes, &drawn, &writer)?;
        writer
            .finish()
            .context("writing the training issues' maps")?;
        Ok(())
    }

    /// Tells an open run page that no epoch follows `history`'s last, and says in a line what
    /// the last epoch's mistakes may be made of.
    pub fn close(&self, history: &History) -> anyhow::Result<()> {
        if let Some(line) = &self.diagnosis {
            println!("{line}");
        }
        report::live(self.run, history.epochs.len(), false)
    }
}

impl EpochFiles {
    /// Waits for the epoch's files, adds the writing to the monitor's share of the last
    /// epoch's record (the run page written before shows the epoch's cost without it), and
    /// saves `history`.
    pub fn finish(self, run: &RunDir, history: &mut History) -> anyhow::Result<()> {
        let waited = Instant::now();
        self.writer
            .finish()
            .context("writing the epoch's report files")?;
        let writing = self.writing + waited.elapsed().as_secs_f64();
        let last = history.epochs.last_mut().context("no epoch observed")?;
        last.seconds[2] += writing;
        run.save_history(history)?;
        report::live(run, history.epochs.len(), true)
    }
}
