//! The per-epoch monitor and the run report: heatmap grids of misclassified and probe
//! validation images, scores, plots and offline HTML pages.

mod baselines;
pub(crate) mod browser;
mod drift;
mod epoch;
mod generalization;
mod html;
mod metrics;
pub(crate) mod plots;
mod writer;

use anyhow::Context;
use cam::{Method, TargetLayer};

pub use baselines::baseline_scores;
pub use epoch::{Collector, EpochInputs, Observation, observe, probes, write_epoch};
pub use writer::Writer;

use crate::audit::AuditScope;
use crate::data::Data;
use crate::run_dir::{History, RunDir};

/// What the per-epoch monitor shows and measures.
#[derive(Clone, Debug)]
pub struct MonitorConfig {
    /// Most misclassified validation images per epoch (highest loss first).
    pub samples: usize,
    /// Fixed validation images shown in every epoch.
    pub probes: usize,
    /// The CAM method.
    pub method: Method,
    /// CAM target layers; empty for the default of the image size.
    pub layers: Vec<TargetLayer>,
    /// Also score the maps by deletion and insertion AUC.
    pub faithfulness: bool,
    /// Which classes the shortcut audit covers.
    pub audit: AuditScope,
}

/// Rewrites `reports/<run>/index.html`, and has `writer` write its plots from the whole
/// history.
pub fn run_index(
    history: &History,
    data: &Data,
    run: &RunDir,
    probe_count: usize,
    writer: &Writer,
) -> anyhow::Result<()> {
    let last = history.epochs.last().context("no epoch to report")?;
    let probes = epoch::probes(data, probe_count);
    let file = |name: &str| run.reports.join(name);
    writer.png(
        file("probes.png"),
        drift::strip(run, history, data, &probes),
    );
    writer.png(file("curves.png"), plots::curves(history));
    writer.png(
        file("confusion.png"),
        plots::confusion(&last.confusion, &data.classes),
    );
    let page = html::run_page(run, history, data);
    atomic_write::write_bytes(&run.reports.join("index.html"), page.as_bytes())?;
    Ok(())
}
