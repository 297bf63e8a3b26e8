//! An epoch's files: `metrics.json` and `index.html`.

use anyhow::Context;
use serde::Serialize;

use super::Shown;
use crate::data::Data;
use crate::diagnosis::LabelIssue;
use crate::diagnosis::duplicates::Duplicate;
use crate::report::html;
use crate::report::metrics::{ClassScores, per_class};
use crate::run_dir::{EpochRecord, RunDir};

/// `metrics.json` of an epoch: its record, and what the report shows beside it.
#[derive(Serialize)]
struct EpochMetrics<'a> {
    #[serde(flatten)]
    record: &'a EpochRecord,
    per_class: &'a [ClassScores],
    #[serde(flatten)]
    shown: &'a Shown,
    skipped_files: usize,
    #[serde(flatten)]
    diagnosis: &'a Diagnosis<'a>,
}

/// What an epoch's mistakes may be made of besides the model, as `metrics.json` lists it.
#[derive(Serialize)]
pub struct Diagnosis<'a> {
    /// Validation images whose label confident learning doubts, most doubtful first.
    pub label_issues: &'a [LabelIssue],
    /// Near-duplicate pairs within and across the splits.
    pub duplicates: &'a [Duplicate],
}

/// Writes `epoch-NNN/metrics.json` and `epoch-NNN/index.html`.
pub fn write_epoch(
    run: &RunDir,
    record: &EpochRecord,
    shown: &Shown,
    diagnosis: &Diagnosis<'_>,
    data: &Data,
) -> anyhow::Result<()> {
    let dir = run.epoch_reports(record.epoch);
    let per_class = per_class(&record.confusion, &data.classes);
    let metrics = EpochMetrics {
        record,
        per_class: &per_class,
        shown,
        skipped_files: data.skipped().len(),
        diagnosis,
    };
    let json = serde_json::to_vec_pretty(&metrics).context("JSON encoding")?;
    atomic_write::write_bytes(&dir.join("metrics.json"), &json)?;
    let page = html::epoch_page(run, record, &per_class, shown, diagnosis, &data.classes);
    atomic_write::write_bytes(&dir.join("index.html"), page.as_bytes())?;
    Ok(())
}
