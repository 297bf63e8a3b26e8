//! An epoch's files: `metrics.json` and `index.html`.

use anyhow::Context;
use serde::Serialize;

use super::{Observation, SampleReport};
use crate::data::Data;
use crate::report::baselines::MapScores;
use crate::report::html;
use crate::report::metrics::{ClassScores, per_class};
use crate::run_dir::{EpochRecord, RunDir};

/// `metrics.json` of an epoch: its record, and what the report shows beside it.
#[derive(Serialize)]
struct EpochMetrics<'a> {
    #[serde(flatten)]
    record: &'a EpochRecord,
    per_class: &'a [ClassScores],
    cam_method: &'a str,
    cam_layers: &'a [String],
    samples: &'a [SampleReport],
    map_scores: &'a [MapScores],
    skipped_files: usize,
}

/// Writes `epoch-NNN/metrics.json` and `epoch-NNN/index.html`.
pub fn write_epoch(
    run: &RunDir,
    record: &EpochRecord,
    observation: &Observation,
    data: &Data,
) -> anyhow::Result<()> {
    let dir = run.epoch_reports(record.epoch);
    let per_class = per_class(&record.confusion, &data.classes);
    let metrics = EpochMetrics {
        record,
        per_class: &per_class,
        cam_method: &observation.method,
        cam_layers: &observation.layers,
        samples: &observation.samples,
        map_scores: &observation.map_scores,
        skipped_files: data.skipped.len(),
    };
    let json = serde_json::to_vec_pretty(&metrics).context("JSON encoding")?;
    atomic_write::write_bytes(&dir.join("metrics.json"), &json)?;
    let page = html::epoch_page(
        run,
        record,
        &per_class,
        &observation.samples,
        &observation.map_scores,
        &observation.method,
        &observation.layers,
    );
    atomic_write::write_bytes(&dir.join("index.html"), page.as_bytes())?;
    Ok(())
}
