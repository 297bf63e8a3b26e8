//! The per-epoch monitor and the run report: Grad-CAM grids of misclassified and probe
//! validation images, metrics, plots and offline HTML.

mod attention;
mod baselines;
mod drift;
mod html;
pub mod metrics;
mod plots;

use std::path::PathBuf;

use anyhow::Context;
use burn::prelude::*;
use cam::figure::{Panel, grid, save_png};
use cam::{CamEngine, TargetLayer, Targets, input, overlay};
use mobilenetv2::MobileNetV2;
use serde::Serialize;

use crate::cli::TrainArgs;
use crate::data::{Batch, Data};
use crate::evaluation::Evaluation;
use crate::progress::bar;
use crate::run::{EpochRecord, History, Run, TrainStats};
pub use attention::{ClassAttention, audit as audit_attention};
use cam::metrics::MapStats;
use metrics::ClassScores;

/// Side of each grid panel.
const CELL: u32 = 160;
/// Images per CAM pass.
const CAM_BATCH: usize = 16;

/// What the monitor needs after a validation pass.
pub struct EpochInputs<'a> {
    /// The inference copy of the model.
    pub model: &'a MobileNetV2,
    /// The dataset.
    pub data: &'a Data,
    /// Validation outputs.
    pub evaluation: &'a Evaluation,
    /// Flags.
    pub args: &'a TrainArgs,
    /// The run's folders.
    pub run: &'a Run,
    /// This epoch (1-based).
    pub epoch: usize,
    /// Training numbers of this epoch.
    pub train: &'a TrainStats,
    /// The plain device.
    pub device: &'a Device,
}

/// Why a sample is in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Misclassified this epoch.
    Misclassified,
    /// One of the fixed probe samples.
    Probe,
}

/// A reported sample, as written to `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Index into the validation set.
    pub index: usize,
    /// Source file.
    pub path: PathBuf,
    /// Why it is shown.
    pub reason: Reason,
    /// True class.
    pub label: String,
    /// Predicted class.
    pub predicted: String,
    /// Probability of the true class.
    pub p_true: f32,
    /// Probability of the predicted class.
    pub p_predicted: f32,
    /// Cross-entropy loss.
    pub loss: f32,
    /// Statistics of the true-class map.
    pub true_map: MapStats,
    /// Statistics of the predicted-class map.
    pub predicted_map: MapStats,
    /// The true-class map had no positive evidence.
    pub true_map_empty: bool,
    /// The predicted-class map had no positive evidence.
    pub predicted_map_empty: bool,
}

/// `metrics.json` of an epoch.
#[derive(Serialize)]
struct EpochMetrics<'a> {
    epoch: usize,
    train_loss: f64,
    train_accuracy: f64,
    val_loss: f64,
    val_accuracy: f64,
    lr: f64,
    per_class: &'a [ClassScores],
    confusion: &'a [Vec<usize>],
    cam_method: String,
    cam_layers: Vec<String>,
    samples: &'a [SampleReport],
    map_scores: &'a [baselines::MapScores],
    attention: &'a [ClassAttention],
    skipped_files: usize,
}

/// Fixed probe samples: the first validation image of each class, then the next ones.
pub fn probes(data: &Data, count: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = (0..data.classes.len())
        .filter_map(|c| data.val.iter().position(|s| s.label == c))
        .take(count)
        .collect();
    let rest: Vec<usize> = (0..data.val.len())
        .filter(|i| !chosen.contains(i))
        .take(count - chosen.len())
        .collect();
    chosen.extend(rest);
    chosen
}

/// Builds the epoch's report (`reports/<run>/epoch-NNN/`) and returns its history record.
pub fn epoch(inputs: EpochInputs<'_>) -> anyhow::Result<EpochRecord> {
    let EpochInputs {
        model,
        data,
        evaluation,
        args,
        run,
        epoch,
        train,
        device,
        ..
    } = inputs;
    let labels: Vec<usize> = data.val.iter().map(|s| s.label).collect();
    let confusion = metrics::confusion(&labels, &evaluation.predictions, data.classes.len());
    let per_class = metrics::per_class(&confusion, &data.classes);
    let misclassified: Vec<usize> = (0..labels.len())
        .filter(|&i| evaluation.predictions[i] != labels[i])
        .collect();

    let mut wrong = misclassified.clone();
    wrong.sort_by(|&a, &b| evaluation.losses[b].total_cmp(&evaluation.losses[a]));
    wrong.truncate(args.report_samples);
    let mut selected: Vec<(usize, Reason)> = wrong
        .into_iter()
        .map(|i| (i, Reason::Misclassified))
        .collect();
    let probe_indices = probes(data, args.probes);
    for &i in &probe_indices {
        if !selected.iter().any(|(j, _)| *j == i) {
            selected.push((i, Reason::Probe));
        }
    }

    let progress = bar(selected.len(), "report");
    let mut true_maps: Vec<(usize, Vec<f32>)> = Vec::with_capacity(selected.len());
    let layers = TargetLayer::or_default_for(&args.cam_layers, data.image_size);
    let engine = CamEngine::new(model, args.cam_method, &layers);
    let mut rows = Vec::with_capacity(selected.len());
    let mut samples = Vec::with_capacity(selected.len());
    let (mut inputs, mut pictures, mut masks) = (Vec::new(), Vec::new(), Vec::new());
    for chunk in selected.chunks(CAM_BATCH) {
        let batch_samples: Vec<_> = chunk.iter().map(|(i, _)| data.val[*i].clone()).collect();
        let batch = Batch::new(&batch_samples, &data.normalization, None, device);
        let truth: Vec<usize> = batch_samples.iter().map(|s| s.label).collect();
        let explanation = engine.explain(
            batch.images.clone(),
            &[Targets::Classes(truth), Targets::Predicted],
        );
        let images = input::denormalize(batch.images.clone(), &data.normalization);
        inputs.push(batch.images);
        pictures.extend(images.iter().cloned());
        masks.extend(batch_samples.iter().map(|s| s.mask.clone()));
        for (j, (&(index, reason), sample)) in chunk.iter().zip(&batch_samples).enumerate() {
            let predicted = explanation.classes[1][j];
            let probabilities = &evaluation.probabilities[index];
            let name = |c: usize| data.classes[c].as_str();
            let stem = sample.short_name();
            let tag = match reason {
                Reason::Misclassified => "misclassified",
                Reason::Probe => "probe",
            };
            rows.push(vec![
                Panel {
                    title: format!(
                        "#{index} {stem}\n{tag}, loss {:.2}",
                        evaluation.losses[index]
                    ),
                    image: images[j].clone(),
                },
                Panel {
                    title: format!(
                        "true: {}\np={:.2}",
                        name(sample.label),
                        probabilities[sample.label]
                    ),
                    image: overlay::overlay(
                        &images[j],
                        explanation.map(0, j),
                        overlay::DEFAULT_IMAGE_WEIGHT,
                    ),
                },
                Panel {
                    title: format!(
                        "pred: {}\np={:.2}",
                        name(predicted),
                        probabilities[predicted]
                    ),
                    image: overlay::overlay(
                        &images[j],
                        explanation.map(1, j),
                        overlay::DEFAULT_IMAGE_WEIGHT,
                    ),
                },
            ]);
            true_maps.push((index, explanation.map(0, j).to_vec()));
            samples.push(SampleReport {
                index,
                path: sample.path.clone(),
                reason,
                label: name(sample.label).to_owned(),
                predicted: name(predicted).to_owned(),
                p_true: probabilities[sample.label],
                p_predicted: probabilities[predicted],
                loss: evaluation.losses[index],
                true_map: MapStats::new(explanation.map(0, j), sample.mask.as_ref()),
                predicted_map: MapStats::new(explanation.map(1, j), sample.mask.as_ref()),
                true_map_empty: explanation.is_empty(0, j),
                predicted_map_empty: explanation.is_empty(1, j),
            });
            progress.inc(1);
        }
    }
    let dir = run.reports.join(format!("epoch-{epoch:03}"));
    save_png(&grid(&rows, CELL), &dir.join("grid.png"))?;
    let truth: Vec<usize> = selected.iter().map(|&(i, _)| labels[i]).collect();
    let maps: Vec<Vec<f32>> = true_maps.iter().map(|(_, m)| m.clone()).collect();
    let map_scores = baselines::compare(
        &baselines::Scored {
            model,
            images: Tensor::cat(inputs, 0),
            pictures: &pictures,
            classes: &truth,
            masks: &masks,
            maps: &maps,
        },
        &engine.method().to_string(),
        args.faithfulness,
    );
    let probe_maps: Vec<Vec<f32>> = probe_indices
        .iter()
        .filter_map(|p| {
            true_maps
                .iter()
                .find(|(i, _)| i == p)
                .map(|(_, m)| m.clone())
        })
        .collect();
    drift::save(run, epoch, &probe_maps, [data.image_size, data.image_size])?;
    // An untrained model's answers rest on nothing yet: audit once it has learned something.
    let attention = if train.accuracy >= attention::MIN_TRAIN_ACCURACY {
        attention::audit(model, data, args.shortcut_audit, device, &dir)?
    } else {
        Vec::new()
    };
    let record = EpochRecord {
        epoch,
        train_loss: train.loss,
        train_accuracy: train.accuracy,
        val_loss: evaluation.loss(),
        val_accuracy: evaluation.accuracy(labels.iter().copied()),
        lr: train.lr,
        images_per_second: train.images_per_second,
        seconds: [0.0; 3],
        confusion: confusion.clone(),
        misclassified,
        best: false,
        attention_drift: drift::since_previous(run, epoch),
        attention,
    };
    let metrics = EpochMetrics {
        epoch,
        train_loss: record.train_loss,
        train_accuracy: record.train_accuracy,
        val_loss: record.val_loss,
        val_accuracy: record.val_accuracy,
        lr: record.lr,
        per_class: &per_class,
        confusion: &confusion,
        cam_method: engine.method().to_string(),
        cam_layers: engine.layers().iter().map(ToString::to_string).collect(),
        samples: &samples,
        map_scores: &map_scores,
        attention: &record.attention,
        skipped_files: data.skipped.len(),
    };
    let json = serde_json::to_vec_pretty(&metrics).context("JSON encoding")?;
    mobilenetv2::atomic::write_bytes(&dir.join("metrics.json"), &json)?;
    let page = html::epoch_page(
        run,
        &record,
        &per_class,
        &samples,
        &map_scores,
        &metrics.cam_method,
        &metrics.cam_layers,
    );
    mobilenetv2::atomic::write_bytes(&dir.join("index.html"), page.as_bytes())?;
    progress.finish_and_clear();
    Ok(record)
}

/// Rewrites `reports/<run>/index.html` with its plots from the whole history.
pub fn run_index(
    history: &History,
    data: &Data,
    run: &Run,
    probe_count: usize,
) -> anyhow::Result<()> {
    let last = history.epochs.last().context("no epoch to report")?;
    drift::strip(run, history, data, &probes(data, probe_count))?;
    plots::curves(history, &run.reports.join("curves.png"))?;
    plots::confusion(
        &last.confusion,
        &data.classes,
        &run.reports.join("confusion.png"),
    )?;
    let page = html::run_page(run, history, data);
    mobilenetv2::atomic::write_bytes(&run.reports.join("index.html"), page.as_bytes())?;
    Ok(())
}
