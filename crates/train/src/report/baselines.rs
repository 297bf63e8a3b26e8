//! The epoch's heatmaps scored beside trivial maps (random, centred Gaussian, Sobel edges) on
//! every validation image, so that a reader sees whether the CAM beats maps that know nothing
//! of the model. The trivial maps depend on the images alone: they are scored once per run.

use burn::prelude::*;
use cam::metrics::{Baseline, MapStats, baseline_map, faithfulness};
use image::RgbImage;
use models::Network;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::Data;
use crate::progress::bar;

/// Mean scores of one kind of map over the validation images (true-class maps).
#[derive(Clone, Debug, Serialize)]
pub struct MapScores {
    /// The CAM method, or the baseline's name.
    pub name: String,
    /// Maps scored (every validation image).
    pub images: usize,
    /// Of them, maps scored against an object mask.
    pub masked: usize,
    /// Mean normalized entropy (lower = more concentrated).
    pub entropy: f64,
    /// Mean Gini sparseness (higher = more concentrated).
    pub gini: f64,
    /// Mean IoU of the top 20% with the object (images with masks).
    pub iou_top20: Option<f64>,
    /// Share of maps whose maximum lies on the object (images with masks).
    pub pointing_game: Option<f64>,
    /// Mean share of map mass on the object (images with masks).
    pub energy_in_mask: Option<f64>,
    /// Mean deletion AUC over the shown images (lower is better; with `--faithfulness`).
    pub deletion_auc: Option<f64>,
    /// Mean insertion AUC over the shown images (higher is better; with `--faithfulness`).
    pub insertion_auc: Option<f64>,
}

/// Running sums of [`MapStats`], for means over a validation pass.
#[derive(Clone, Debug, Default)]
pub struct ScoreSums {
    images: usize,
    masked: usize,
    entropy: f64,
    gini: f64,
    iou: f64,
    hits: usize,
    on_object: f64,
}

impl ScoreSums {
    /// Adds one map's statistics.
    pub fn add(&mut self, stats: &MapStats) {
        self.images += 1;
        self.entropy += stats.entropy;
        self.gini += stats.gini;
        if let (Some(iou), Some(hit), Some(energy)) =
            (stats.iou_top20, stats.pointing_hit, stats.energy_in_mask)
        {
            self.masked += 1;
            self.iou += iou;
            self.hits += usize::from(hit);
            self.on_object += energy;
        }
    }

    /// The means, under `name`.
    pub fn finish(&self, name: &str) -> MapScores {
        let all = self.images.max(1) as f64;
        let masked = |sum: f64| (self.masked > 0).then(|| sum / self.masked as f64);
        MapScores {
            name: name.to_owned(),
            images: self.images,
            masked: self.masked,
            entropy: self.entropy / all,
            gini: self.gini / all,
            iou_top20: masked(self.iou),
            pointing_game: masked(self.hits as f64),
            energy_in_mask: masked(self.on_object),
            deletion_auc: None,
            insertion_auc: None,
        }
    }
}

/// Images decoded per step of [`baseline_scores`].
const CHUNK: usize = 64;

/// Every baseline's scores on every validation image (with a progress bar).
pub fn baseline_scores(data: &Data) -> Vec<MapScores> {
    let progress = bar(data.val.len(), "baselines");
    let mut sums = vec![ScoreSums::default(); Baseline::ALL.len()];
    let indices: Vec<usize> = (0..data.val.len()).collect();
    for chunk in indices.chunks(CHUNK) {
        let samples = data.val.samples(chunk);
        let stats: Vec<Vec<MapStats>> = (samples.par_iter().zip(chunk))
            .map(|(sample, &index)| {
                (Baseline::ALL.iter())
                    .map(|&b| {
                        let map = baseline_map(b, &sample.image, index as u64);
                        MapStats::new(&map, sample.mask.as_ref())
                    })
                    .collect()
            })
            .collect();
        for per_image in &stats {
            for (sum, s) in sums.iter_mut().zip(per_image) {
                sum.add(s);
            }
        }
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    (sums.iter().zip(Baseline::ALL))
        .map(|(sum, b)| sum.finish(b.name()))
        .collect()
}

/// The shown images, for faithfulness: the model, its normalized inputs `[N, 3, H, W]`, their
/// pictures, true classes and the CAM's true-class maps.
pub struct FaithfulnessInputs<'a> {
    /// The inference copy of the model the maps explain.
    pub model: &'a dyn Network,
    /// Normalized model inputs.
    pub images: Tensor<4>,
    /// The same images as pictures (the model's view).
    pub pictures: &'a [RgbImage],
    /// One class per image.
    pub classes: &'a [usize],
    /// The CAM's map of each image for its class.
    pub maps: &'a [Vec<f32>],
}

/// Adds deletion and insertion AUC over the shown images to `rows` (the CAM's, then the
/// baselines' in [`Baseline::ALL`] order).
pub fn add_faithfulness(rows: &mut [MapScores], shown: &FaithfulnessInputs<'_>) {
    let baselines = Baseline::ALL.iter().map(|&b| {
        (shown.pictures.iter().enumerate())
            .map(|(i, picture)| baseline_map(b, picture, i as u64))
            .collect::<Vec<_>>()
    });
    let maps = std::iter::once(shown.maps.to_vec()).chain(baselines);
    for (row, maps) in rows.iter_mut().zip(maps) {
        let scores = faithfulness(shown.model, shown.images.clone(), &maps, shown.classes);
        let mean = |f: fn(&cam::metrics::Faithfulness) -> f32| {
            (!scores.is_empty())
                .then(|| scores.iter().map(|s| f64::from(f(s))).sum::<f64>() / scores.len() as f64)
        };
        row.deletion_auc = mean(|f| f.deletion_auc);
        row.insertion_auc = mean(|f| f.insertion_auc);
    }
}
