//! Shortcut detection: where the model's decisions point, relative to the object masks.
//!
//! Every epoch, Grad-CAM maps at features.13 (stride 16: fine enough to localize a small mark,
//! which features.18 is not) are computed for a fixed audit set — the first training images of
//! each class that have masks — and, among those the model classifies correctly, compared with
//! the masks: what do its right answers rest on? A class is flagged when its maps almost never
//! peak on the object (pointing game at most [`MAX_HITS`]): the model decides on its images by
//! something other than the object, such as a watermark.
//!
//! Calibrated on two models trained on the textures dataset, with and without a planted
//! watermark (`tests/fixtures/shortcut.bpk`, `clean.bpk`): the watermark model's maps peak on
//! the object for 0%, 6%, 12%, 31% and 50% of its classes' images, the clean model's for 17%
//! to 100%. The margin is thin; treat a flag as a reason to look at the evidence.

use burn::prelude::*;
use cam::figure::{Panel, grid, safe_file_name, save_png};
use cam::metrics::MapStats;
use cam::{CamEngine, Method, TargetLayer, Targets, input, overlay};
use mobilenetv2::MobileNetV2;
use serde::{Deserialize, Serialize};

use burn_dataset::Dataset;

use crate::data::{Batch, Data};

/// Audited validation images per class.
const PER_CLASS: usize = 16;
/// Fewest located maps for a verdict.
const MIN_IMAGES: usize = 4;
/// Largest share of maps peaking on the object for which a class is flagged.
const MAX_HITS: f64 = 0.15;
/// Example overlays drawn for a flagged class.
const EXAMPLES: usize = 3;
/// Training accuracy from which the monitor audits (an untrained model's maps point anywhere).
pub const MIN_TRAIN_ACCURACY: f64 = 0.5;
/// The audit layer (output stride 16).
const LAYER: usize = 13;

/// Where the maps of one class's correctly classified training images fall.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassAttention {
    /// Class name.
    pub class: String,
    /// Audited images (classified correctly, with a map that has any mass).
    pub images: usize,
    /// Mean share of map mass on the object.
    pub on_object: f64,
    /// Share of maps whose peak lies on the object (pointing game).
    pub peak_on_object: f64,
    /// Mean share of the image the object covers (what a uniform map would score).
    pub object_area: f64,
    /// Attention lies mostly off the object: a shortcut is suspected.
    pub flagged: bool,
    /// For a flagged class, its evidence image (mean map and example overlays), relative to the
    /// epoch folder.
    pub evidence: Option<String>,
}

/// Audits every class that has masks; writes an evidence image into `dir` for each flagged one.
pub fn audit(
    model: &MobileNetV2,
    data: &Data,
    device: &Device,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<ClassAttention>> {
    let layer = TargetLayer::new(LAYER).expect("a MobileNetV2 layer");
    let engine = CamEngine::new(model, Method::GradCam, &[layer]);
    let mut result = Vec::with_capacity(data.classes.len());
    for (label, class) in data.classes.iter().enumerate() {
        let samples: Vec<_> = data
            .train
            .iter()
            .filter_map(Result::ok)
            .filter(|s| s.label == label && s.mask.is_some())
            .take(PER_CLASS)
            .collect();
        if samples.len() < MIN_IMAGES {
            continue;
        }
        let batch = Batch::new(&samples, &data.normalization, None, device);
        let explanation = engine.explain(batch.images.clone(), &[Targets::Predicted]);
        // Right answers only; maps with no mass (no positive evidence) say nothing about location.
        let located: Vec<usize> = (0..samples.len())
            .filter(|&i| explanation.classes[0][i] == label)
            .filter(|&i| explanation.map(0, i).iter().any(|&v| v > 0.0))
            .collect();
        if located.len() < MIN_IMAGES {
            continue;
        }
        let mask = |i: usize| {
            samples[i]
                .mask
                .as_ref()
                .expect("audited samples have masks")
        };
        let mean = |value: &dyn Fn(usize) -> f64| {
            located.iter().map(|&i| value(i)).sum::<f64>() / located.len() as f64
        };
        let stats: Vec<MapStats> = (0..samples.len())
            .map(|i| MapStats::new(explanation.map(0, i), Some(mask(i))))
            .collect();
        let on_object = mean(&|i| stats[i].energy_in_mask.unwrap_or_default());
        let peak_on_object = mean(&|i| f64::from(u8::from(stats[i].pointing_hit == Some(true))));
        let object_area = mean(&|i| {
            mask(i).pixels().filter(|p| p[0] > 127).count() as f64 / mask(i).len() as f64
        });
        let flagged = peak_on_object <= MAX_HITS;
        let evidence = if flagged {
            let name = format!("attention-{}.png", safe_file_name(class));
            let images = input::denormalize(batch.images, &data.normalization);
            save_png(
                &evidence(&explanation, &images, &located, class, on_object),
                &dir.join(&name),
            )?;
            Some(name)
        } else {
            None
        };
        result.push(ClassAttention {
            class: class.clone(),
            images: located.len(),
            on_object,
            peak_on_object,
            object_area,
            flagged,
            evidence,
        });
    }
    Ok(result)
}

/// The class's mean map, then a few of its overlays.
fn evidence(
    explanation: &cam::Explanation,
    images: &[image::RgbImage],
    located: &[usize],
    class: &str,
    on_object: f64,
) -> image::RgbImage {
    let [h, w] = explanation.size;
    let n = located.len() as f32;
    let mean: Vec<f32> = (0..h * w)
        .map(|p| {
            located
                .iter()
                .map(|&i| explanation.map(0, i)[p])
                .sum::<f32>()
                / n
        })
        .collect();
    let mut row = vec![Panel {
        title: format!(
            "mean '{class}' map\n{:.0}% on the object",
            100.0 * on_object
        ),
        image: overlay::heatmap(&mean, w as u32, h as u32),
    }];
    row.extend(
        located
            .iter()
            .take(EXAMPLES)
            .enumerate()
            .map(|(k, &i)| Panel {
                title: format!("'{class}' map\ntraining image {}", k + 1),
                image: overlay::overlay(
                    &images[i],
                    explanation.map(0, i),
                    overlay::DEFAULT_IMAGE_WEIGHT,
                ),
            }),
    );
    grid(&[row], 160)
}
