//! The run report the monitor writes: heatmap grids of misclassified and probe validation
//! images, scores, plots and offline HTML pages.

mod baselines;
mod drift;
mod epoch;
mod generalization;
mod html;
mod metrics;
pub(crate) mod plots;
pub mod training_issues;

use anyhow::Context;

pub use baselines::{MapScores, baseline_scores};
pub use epoch::{Collector, Diagnosis, EpochInputs, Observation, observe, probes, write_epoch};

use crate::data::Data;
use crate::diagnosis::LabelIssue;
use crate::run_dir::{History, RunDir};
use crate::writer::Writer;

/// Rewrites `reports/<run>/index.html`, and has `writer` draw and write its plots from the
/// whole history.
pub fn run_index(
    history: &History,
    data: &Data,
    run: &RunDir,
    probe_count: usize,
    training_issues: &TrainingIssues<'_>,
    writer: &Writer,
) -> anyhow::Result<()> {
    let last = history.epochs.last().context("no epoch to report")?;
    let probes = epoch::probes(data, probe_count);
    let file = |name: &str| run.reports.join(name);
    writer.draw_png(
        file("probes.png"),
        drift::strip(run, history, data, &probes),
    );
    let curves = history.clone();
    writer.draw_png(file("curves.png"), move || plots::curves(&curves));
    let (confusion, classes) = (last.confusion.clone(), data.classes.clone());
    writer.draw_png(file("confusion.png"), move || {
        plots::confusion(&confusion, &classes)
    });
    let page = html::run_page(run, history, data, training_issues);
    atomic_write::write_bytes(&run.reports.join("index.html"), page.as_bytes())?;
    Ok(())
}

/// The training images whose label looks wrong, as the run page shows them.
pub struct TrainingIssues<'a> {
    /// All of them, most doubtful first.
    pub issues: &'a [LabelIssue],
    /// Whether the first [`training_issues::SHOWN`] have their pictures and maps.
    pub drawn: bool,
}

/// `reports/<run>/live.js`, which the open run page reads every few seconds: how many epochs
/// the run has, and whether more may come.
pub fn live(run: &RunDir, epochs: usize, running: bool) -> anyhow::Result<()> {
    let script =
        format!("window.camwatchLive = {{\"epochs\": {epochs}, \"running\": {running}}};\n");
    atomic_write::write_bytes(&run.reports.join("live.js"), script.as_bytes())?;
    Ok(())
}
