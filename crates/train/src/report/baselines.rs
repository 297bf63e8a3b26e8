//! The epoch's heatmaps scored beside trivial maps (random, centred Gaussian, Sobel edges) on
//! the same images, so that a reader sees whether the CAM beats maps that know nothing of the
//! model.

use burn::prelude::*;
use cam::metrics::{Baseline, MapStats, baseline_map, faithfulness};
use image::{GrayImage, RgbImage};
use mobilenetv2::MobileNetV2;
use serde::Serialize;

/// Mean scores of one kind of map over the reported images (true-class maps).
#[derive(Clone, Debug, Serialize)]
pub struct MapScores {
    /// The CAM method, or the baseline's name.
    pub name: String,
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
    /// Mean deletion AUC (lower is better; with `--faithfulness`).
    pub deletion_auc: Option<f64>,
    /// Mean insertion AUC (higher is better; with `--faithfulness`).
    pub insertion_auc: Option<f64>,
}

/// What is scored: the normalized images `[N, 3, H, W]`, their pictures, true classes, masks and
/// the CAM's true-class maps.
pub struct Scored<'a> {
    /// The model the maps explain.
    pub model: &'a MobileNetV2,
    /// Normalized model inputs.
    pub images: Tensor<4>,
    /// The same images as pictures (the model's view).
    pub pictures: &'a [RgbImage],
    /// One class per image.
    pub classes: &'a [usize],
    /// Object masks, where the dataset has them.
    pub masks: &'a [Option<GrayImage>],
    /// The CAM's map of each image for its class.
    pub maps: &'a [Vec<f32>],
}

/// Scores of the CAM (named `method`) and of every baseline; faithfulness only when asked.
pub fn compare(scored: &Scored<'_>, method: &str, with_faithfulness: bool) -> Vec<MapScores> {
    let mut rows = vec![score(scored, method, scored.maps, with_faithfulness)];
    for baseline in Baseline::ALL {
        let maps: Vec<Vec<f32>> = scored
            .pictures
            .iter()
            .enumerate()
            .map(|(i, picture)| baseline_map(baseline, picture, i as u64))
            .collect();
        rows.push(score(scored, baseline.name(), &maps, with_faithfulness));
    }
    rows
}

fn score(scored: &Scored<'_>, name: &str, maps: &[Vec<f32>], with_faithfulness: bool) -> MapScores {
    let stats: Vec<MapStats> = maps
        .iter()
        .zip(scored.masks)
        .map(|(map, mask)| MapStats::new(map, mask.as_ref()))
        .collect();
    let mean = |values: Vec<f64>| {
        (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
    };
    let masked = |f: fn(&MapStats) -> Option<f64>| mean(stats.iter().filter_map(f).collect());
    let faithful = with_faithfulness
        .then(|| faithfulness(scored.model, scored.images.clone(), maps, scored.classes));
    let auc = |f: fn(&cam::metrics::Faithfulness) -> f32| {
        faithful
            .as_ref()
            .and_then(|s| mean(s.iter().map(|x| f64::from(f(x))).collect()))
    };
    MapScores {
        name: name.to_owned(),
        entropy: mean(stats.iter().map(|s| s.entropy).collect()).unwrap_or_default(),
        gini: mean(stats.iter().map(|s| s.gini).collect()).unwrap_or_default(),
        iou_top20: masked(|s| s.iou_top20),
        pointing_game: masked(|s| s.pointing_hit.map(|h| f64::from(u8::from(h)))),
        energy_in_mask: masked(|s| s.energy_in_mask),
        deletion_auc: auc(|f| f.deletion_auc),
        insertion_auc: auc(|f| f.insertion_auc),
    }
}
