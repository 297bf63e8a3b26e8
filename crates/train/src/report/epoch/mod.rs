//! An epoch's report: what the validation pass keeps ([`collect`]: every image for the mistakes
//! [`browser`], the grid's images at full size), their panels and rows ([`explain`]), the
//! scores, drift and shortcut audit beside them ([`observe`]), and the files ([`write`]).

mod collect;
mod explain;
mod select;
mod write;

use burn::prelude::*;
use cam::CamEngine;
use cam::render::figure::grid;
use serde::Serialize;

pub use collect::{Collector, Kept};
pub use explain::SampleReport;
pub use select::{Reason, probes};
pub use write::{Diagnosis, write_epoch};

use super::baselines::{self, MapScores, ScoreSums};
use super::drift;
use crate::audit::{self, Audit, ClassAttention};
use crate::data::{Batch, Data};
use crate::monitor::config::MonitorConfig;
use crate::run_dir::RunDir;
use crate::writer::Writer;

/// Side of each grid panel.
const CELL: u32 = 160;

/// What the monitor needs after a validation pass.
pub struct EpochInputs<'a> {
    /// The epoch's CAM engine, on the inference copy of the model.
    pub engine: &'a CamEngine,
    /// The dataset.
    pub data: &'a Data,
    /// The images to show, with the maps the validation pass kept.
    pub shown: Vec<Kept>,
    /// Every validation image's true-class map statistics, summed.
    pub cam_scores: ScoreSums,
    /// The baseline maps' scores on the validation images (see [`baselines::baseline_scores`]).
    pub baselines: &'a [MapScores],
    /// What the monitor shows.
    pub config: &'a MonitorConfig,
    /// The run's folders.
    pub run: &'a RunDir,
    /// This epoch (1-based).
    pub epoch: usize,
    /// The accuracy the audit waits on: it starts once the model has learned something.
    pub learned: f64,
    /// The plain device.
    pub device: &'a Device,
    /// The run's shortcut audit.
    pub audit: &'a mut Audit,
    /// Writes the epoch's files.
    pub writer: &'a Writer,
}

/// What the monitor saw in an epoch: what goes into the epoch's record, and what its page shows
/// beside it.
pub struct Observation {
    /// The shortcut audit, per class (empty before the model has learned enough).
    pub attention: Vec<ClassAttention>,
    /// Mean change of the probe maps since the previous epoch.
    pub drift: Option<f64>,
    /// The shown images and their scores.
    pub shown: Shown,
}

/// The epoch page's images and scores, as `metrics.json` lists them.
#[derive(Serialize)]
pub struct Shown {
    /// The CAM method's name.
    #[serde(rename = "cam_method")]
    pub method: String,
    /// The CAM target layers.
    #[serde(rename = "cam_layers")]
    pub layers: Vec<String>,
    /// The layer the shortcut audit takes its Grad-CAM maps at.
    #[serde(default)]
    pub audit_layer: String,
    /// The shown images, with their map statistics.
    pub samples: Vec<SampleReport>,
    /// The true-class maps scored beside the baseline maps.
    pub map_scores: Vec<MapScores>,
}

/// Draws the grid of the shown mistakes and probes (`epoch-NNN/grid.png`), saves the probe
/// maps, scores the maps, and audits what the right answers rest on.
pub fn observe(inputs: EpochInputs<'_>) -> anyhow::Result<Observation> {
    let EpochInputs {
        engine,
        data,
        shown,
        cam_scores,
        baselines,
        config,
        run,
        epoch,
        learned,
        device,
        audit,
        writer,
    } = inputs;
    let dir = run.epoch_reports(epoch);
    // An untrained model's answers rest on nothing yet: audit once it has learned something.
    // The audit's tensor work comes first, while LibTorch's threads are still awake from
    // validation's.
    let attention = if learned >= audit::MIN_TRAIN_ACCURACY {
        audit.run(engine, data, config.audit, device, &dir, Some(epoch))?
    } else {
        Vec::new()
    };
    let probe_indices = probes(data, config.probes);
    let selected: Vec<usize> = shown.iter().map(|k| k.index).collect();
    let explained = explain::explain(shown, data);
    let rows = explained.rows;
    writer.draw_png(dir.join("grid.png"), move || grid(&rows, CELL));

    let shown = &explained.shown;
    let method = engine.method().to_string();
    let mut map_scores = vec![cam_scores.finish(&method)];
    map_scores.extend(baselines.iter().cloned());
    if config.faithfulness && !shown.is_empty() {
        let pictures: Vec<_> = shown.iter().map(|s| s.image.clone()).collect();
        let classes: Vec<usize> = shown.iter().map(|s| s.label).collect();
        let images = Batch::new(shown, &data.normalization, device).images;
        let shown = baselines::FaithfulnessInputs {
            model: engine.model(),
            images,
            pictures: &pictures,
            classes: &classes,
            maps: &explained.true_maps,
        };
        baselines::add_faithfulness(&mut map_scores, &shown);
    }
    let probe_maps: Vec<Vec<f32>> = probe_indices
        .iter()
        .filter_map(|p| selected.iter().position(|i| i == p))
        .map(|at| explained.true_maps[at].clone())
        .collect();
    drift::save(run, epoch, &probe_maps, [data.image_size, data.image_size])?;
    Ok(Observation {
        attention,
        drift: drift::since_previous(run, epoch),
        shown: Shown {
            samples: explained.samples,
            map_scores,
            method,
            layers: engine.layers().iter().map(ToString::to_string).collect(),
            audit_layer: audit.layer().to_string(),
        },
    })
}
