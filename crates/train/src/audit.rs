//! Shortcut detection: what the model's right answers rest on, per class.
//!
//! Every audited epoch, the first [`PER_CLASS`] training images of each class (the split a
//! shortcut was learned from) that the model classifies correctly, searched among the class's
//! first [`POOL`], are tested by occlusion, hiding parts of the image (set to the dataset's mean
//! colour). A class with fewer than [`MIN_IMAGES`] right answers gets no verdict, and the
//! report says so and why.
//!
//! - **With object masks**: the class probability with only the object kept and with only the
//!   background kept. The class is flagged when the background alone keeps the answer, the
//!   object alone loses it, and the background points at this class rather than at whatever the
//!   model makes of a hidden object: mean(background only) exceeds both mean(object only) and
//!   the class's mean probability on the *other* classes' images with their objects hidden by
//!   at least [`BACKGROUND_MARGIN`]. (A model may read a blank where an object was as one class;
//!   that class then keeps its answer without its object on every image, its own or not.)
//! - **Without masks** (opt-in, it costs ~50 forwards per image): a patch of a quarter of the
//!   side slides over the image, and each position gets the class probability's relative drop
//!   when hidden. The class is flagged when hiding the *same* spot of every image takes away
//!   at least [`FIXED_SPOT`] of the class's confidence on average: the decision sits at one
//!   place of the frame, wherever the objects are.
//!
//! The margins these thresholds leave, measured across CPU instruction sets and thread counts,
//! are in BENCHMARKS.md (the test in `tests/integration/shortcut.rs` prints them).
//!
//! Why occlusion and not the Grad-CAM maps themselves: on such models the share of Grad-CAM mass
//! on the object overlaps between watermarked and clean classes (features.10, .13 and .18 are
//! 12, 6 and 3 cells wide at 96 px; the mark is 12 px), while the occlusion tests separate them
//! by far. The Grad-CAM maps are shown as the evidence: the class's mean map and example
//! overlays, beside the mean occlusion map where one was computed.

use burn::prelude::*;
use cam::metrics::{MapStats, ObjectReliance, object_reliance, occlusion_drops};
use cam::render::figure::{Panel, grid, safe_file_name, save_png};
use cam::render::overlay;
use cam::{CamEngine, Method, TargetLayer, Targets};
use image::{GrayImage, RgbImage};
use mobilenetv2::MobileNetV2;
use serde::{Deserialize, Serialize};

use crate::data::{Batch, Data, Sample};

/// Which classes the shortcut audit covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AuditScope {
    /// No audit.
    Off,
    /// Classes whose images have object masks (two occlusion forwards per image).
    Masks,
    /// Also classes without masks, by searching for a fixed decisive spot (~50 forwards per
    /// image).
    All,
}

/// Audited training images per class (correctly classified ones).
pub(crate) const PER_CLASS: usize = 16;
/// Training images per class searched for them: a class the model gets right only a quarter
/// of the time still gets a verdict.
pub(crate) const POOL: usize = 4 * PER_CLASS;
/// Fewest correctly classified images for a verdict.
pub(crate) const MIN_IMAGES: usize = 4;
/// Smallest lead of the background-only probability, over the object-only one and over the
/// class's probability on other classes' backgrounds, that flags a class: midway between what
/// marked and clean classes show in the shortcut test (see BENCHMARKS.md).
const BACKGROUND_MARGIN: f64 = 0.5;
/// Smallest mean relative confidence drop, when one fixed spot is hidden, that flags a class.
const FIXED_SPOT: f64 = 0.5;
/// Example overlays drawn for a flagged class.
const EXAMPLES: usize = 3;
/// Training accuracy from which the monitor audits (an untrained model rests on nothing).
pub const MIN_TRAIN_ACCURACY: f64 = 0.5;
/// The Grad-CAM layer of the evidence: the last at output stride 16 (6×6 at 96 px).
pub(crate) const LAYER: TargetLayer = TargetLayer::LAST_STRIDE_16;

/// What one class's correctly classified training images rest on.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ClassAttention {
    /// Class name.
    pub class: String,
    /// Audited images (classified correctly).
    pub images: usize,
    /// Mean class probability with only the object kept (masks).
    pub object_only: Option<f64>,
    /// Mean class probability with the object hidden (masks).
    pub background_only: Option<f64>,
    /// Mean probability of this class on the other classes' audited images with their objects
    /// hidden (masks): what the model says of a hidden object anyway.
    pub background_elsewhere: Option<f64>,
    /// Mean share of Grad-CAM mass on the object (masks).
    pub on_object: Option<f64>,
    /// Mean share of the image the object covers (what a uniform map would put on it).
    pub object_area: Option<f64>,
    /// Largest mean relative confidence drop from hiding one fixed spot (no masks).
    pub fixed_spot: Option<f64>,
    /// The answers rest off the object or on one fixed spot: a shortcut is suspected.
    pub flagged: bool,
    /// For a flagged class, its evidence image, relative to the epoch folder.
    pub evidence: Option<String>,
    /// Why the class got no verdict (too few right answers, no masks); `None` when audited.
    pub not_audited: Option<String>,
}

impl ClassAttention {
    /// A class not audited yet.
    fn new(class: &str) -> Self {
        Self {
            class: class.to_owned(),
            images: 0,
            object_only: None,
            background_only: None,
            background_elsewhere: None,
            on_object: None,
            object_area: None,
            fixed_spot: None,
            flagged: false,
            evidence: None,
            not_audited: None,
        }
    }
}

/// Audits every class in `scope`; writes an evidence image into `dir` for each flagged one.
/// A class without a verdict (too few right answers, no masks) is listed with the reason.
pub fn audit(
    model: &MobileNetV2,
    data: &Data,
    scope: AuditScope,
    device: &Device,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<ClassAttention>> {
    if scope == AuditScope::Off {
        return Ok(Vec::new());
    }
    let engine = CamEngine::new(model, Method::GradCam, &[LAYER]);
    let candidates: Vec<Vec<usize>> = (0..data.classes.len())
        .map(|label| {
            (data.train.labels().enumerate())
                .filter(|&(_, l)| l == label)
                .map(|(i, _)| i)
                .take(POOL)
                .collect()
        })
        .collect();
    // Whether masks exist is known from the files; whether they decode, from the images used.
    let mask_files: Vec<bool> = candidates
        .iter()
        .map(|indices| indices.iter().all(|&i| data.train.item(i).mask.is_some()))
        .collect();
    let searched: Vec<&[usize]> = candidates
        .iter()
        .zip(&mask_files)
        .map(|(indices, &masks)| {
            if masks || scope == AuditScope::All {
                indices.as_slice()
            } else {
                &[]
            }
        })
        .collect();
    let right = correctly_classified(&engine, &searched, data, device);
    let reliance = reliance_of(model, &right, data, device);
    let mut classes: Vec<(ClassAttention, Option<Audited>)> = (data.classes.iter().enumerate())
        .zip(right.into_iter().zip(reliance))
        .map(|((label, class), (right, reliance))| {
            let measured = Measured {
                searched: candidates[label].len(),
                mask_files: mask_files[label],
                right,
                reliance,
            };
            audit_class(model, data, scope, label, class, measured, device)
        })
        .collect();
    // What the model says of a hidden object anyway, per class: the mean probability of each
    // class on the other classes' images with their objects hidden.
    let hidden: Vec<Option<Vec<f64>>> = classes
        .iter()
        .map(|(_, audited)| audited.as_ref().and_then(|a| a.hidden_object.clone()))
        .collect();
    for (label, (attention, audited)) in classes.iter_mut().enumerate() {
        let Some(audited) = audited else { continue };
        if let (Some(object), Some(background)) = (attention.object_only, attention.background_only)
        {
            let elsewhere: Vec<f64> = hidden
                .iter()
                .enumerate()
                .filter(|&(k, _)| k != label)
                .filter_map(|(_, h)| h.as_ref().map(|h| h[label]))
                .collect();
            let elsewhere = (!elsewhere.is_empty())
                .then(|| elsewhere.iter().sum::<f64>() / elsewhere.len() as f64);
            attention.background_elsewhere = elsewhere;
            attention.flagged = background - object >= BACKGROUND_MARGIN
                && background - elsewhere.unwrap_or(0.0) >= BACKGROUND_MARGIN;
        }
        if attention.flagged {
            let name = format!("attention-{}.png", safe_file_name(&attention.class));
            let figure = evidence(&audited.right, &attention.class, audited.spot_map.take());
            save_png(&figure, &dir.join(&name))?;
            attention.evidence = Some(name);
        }
    }
    Ok(classes
        .into_iter()
        .map(|(attention, _)| attention)
        .collect())
}

/// What an audited class leaves for its verdict and its evidence.
struct Audited {
    right: RightAnswers,
    /// Mean occlusion drops and their grid (no masks).
    spot_map: Option<(Vec<f32>, [usize; 2])>,
    /// Mean probability of every class on this class's images with their objects hidden (masks).
    hidden_object: Option<Vec<f64>>,
}

/// What the batched passes of [`audit`] measured of one class.
struct Measured {
    /// Training images searched for right answers.
    searched: usize,
    /// Every searched image has a mask file.
    mask_files: bool,
    right: RightAnswers,
    /// Per right answer, the occlusion test with its mask (`None` unless every one has a mask).
    reliance: Option<Vec<ObjectReliance>>,
}

/// One class's verdict inputs; the verdict with masks needs every class's (see [`audit`]).
fn audit_class(
    model: &MobileNetV2,
    data: &Data,
    scope: AuditScope,
    label: usize,
    class: &str,
    measured: Measured,
    device: &Device,
) -> (ClassAttention, Option<Audited>) {
    let Measured {
        searched,
        mask_files,
        right,
        reliance,
    } = measured;
    let mut attention = ClassAttention::new(class);
    let no_masks = |mut attention: ClassAttention| {
        attention.not_audited = Some(
            "no object masks (--shortcut-audit all audits without them, at a higher cost)"
                .to_owned(),
        );
        (attention, None)
    };
    let masked = mask_files && reliance.is_some();
    if !masked && scope != AuditScope::All {
        return no_masks(attention);
    }
    attention.images = right.samples.len();
    if right.samples.len() < MIN_IMAGES {
        attention.not_audited = Some(format!(
            "only {} of its first {searched} training images classified correctly (a verdict needs {MIN_IMAGES})",
            right.samples.len(),
        ));
        return (attention, None);
    }
    let labels = vec![label; right.samples.len()];
    let n = right.samples.len() as f64;
    let mean = |values: &mut dyn Iterator<Item = f64>| values.sum::<f64>() / n;
    let mut audited = Audited {
        right,
        spot_map: None,
        hidden_object: None,
    };
    if masked {
        let masks: Vec<&GrayImage> = audited
            .right
            .samples
            .iter()
            .map(|s| s.mask.as_ref().expect("masked class"))
            .collect();
        let reliance = reliance.expect("masked class");
        attention.object_only = Some(mean(&mut reliance.iter().map(|r| f64::from(r.object_only))));
        attention.background_only = Some(mean(
            &mut reliance.iter().map(|r| f64::from(r.background_only)),
        ));
        audited.hidden_object = Some(
            (0..data.classes.len())
                .map(|k| mean(&mut reliance.iter().map(|r| f64::from(r.background_classes[k]))))
                .collect(),
        );
        attention.on_object = Some(mean(&mut audited.right.maps.iter().zip(&masks).map(
            |(map, m)| {
                MapStats::new(map, Some(m))
                    .energy_in_mask
                    .unwrap_or_default()
            },
        )));
        attention.object_area =
            Some(mean(&mut masks.iter().map(|m| {
                m.pixels().filter(|p| p[0] > 127).count() as f64 / m.len() as f64
            })));
    } else {
        let side = data.image_size;
        let images = Batch::new(&audited.right.samples, &data.normalization, device).images;
        let ([rows, cols], drops) = occlusion_drops(model, images, &labels, side / 4, side / 8);
        let mean_drops: Vec<f32> = (0..rows * cols)
            .map(|p| drops.iter().map(|d| d[p]).sum::<f32>() / drops.len() as f32)
            .collect();
        let spot = mean_drops.iter().copied().fold(0.0f32, f32::max);
        attention.fixed_spot = Some(f64::from(spot));
        attention.flagged = f64::from(spot) >= FIXED_SPOT;
        audited.spot_map = Some((mean_drops, [rows, cols]));
    }
    (attention, Some(audited))
}

/// Up to [`PER_CLASS`] correctly classified images of a class and their Grad-CAM maps.
struct RightAnswers {
    samples: Vec<Sample>,
    /// One map per sample, `size` pixels.
    maps: Vec<Vec<f32>>,
    size: [usize; 2],
}

/// Per class, the first [`PER_CLASS`] of its training images at `candidates[class]` that the
/// model classifies right, with their maps. The classes are searched together, chunk by chunk
/// (one batch for all: a class the model mostly gets right costs one chunk).
fn correctly_classified(
    engine: &CamEngine,
    candidates: &[&[usize]],
    data: &Data,
    device: &Device,
) -> Vec<RightAnswers> {
    let mut right: Vec<RightAnswers> = candidates
        .iter()
        .map(|_| RightAnswers {
            samples: Vec::new(),
            maps: Vec::new(),
            size: [data.image_size; 2],
        })
        .collect();
    for chunk in 0..POOL.div_ceil(PER_CLASS) {
        let wanted: Vec<(usize, usize)> = (candidates.iter().enumerate())
            .filter(|&(label, _)| right[label].samples.len() < PER_CLASS)
            .flat_map(|(label, indices)| {
                let from = (chunk * PER_CLASS).min(indices.len());
                let to = ((chunk + 1) * PER_CLASS).min(indices.len());
                indices[from..to].iter().map(move |&i| (label, i))
            })
            .collect();
        if wanted.is_empty() {
            break;
        }
        let indices: Vec<usize> = wanted.iter().map(|&(_, i)| i).collect();
        let samples = data.train.samples(&indices);
        let images = Batch::new(&samples, &data.normalization, device).images;
        let explanation = engine.explain(images, &[Targets::Predicted]);
        for (i, (sample, &(label, _))) in samples.into_iter().zip(&wanted).enumerate() {
            let class = &mut right[label];
            class.size = explanation.size;
            if explanation.predicted(i) == label && class.samples.len() < PER_CLASS {
                class.samples.push(sample);
                class.maps.push(explanation.map(0, i).to_vec());
            }
        }
    }
    right
}

/// Per class, the occlusion test of its right answers with their masks, for the classes whose
/// right answers all have one; all classes in one batched pass.
fn reliance_of(
    model: &MobileNetV2,
    right: &[RightAnswers],
    data: &Data,
    device: &Device,
) -> Vec<Option<Vec<ObjectReliance>>> {
    let masked: Vec<bool> = right
        .iter()
        .map(|r| !r.samples.is_empty() && r.samples.iter().all(|s| s.mask.is_some()))
        .collect();
    let samples: Vec<Sample> = (right.iter().zip(&masked))
        .filter(|(_, m)| **m)
        .flat_map(|(r, _)| r.samples.iter().cloned())
        .collect();
    let mut measured = if samples.is_empty() {
        Vec::new()
    } else {
        let images = Batch::new(&samples, &data.normalization, device).images;
        let masks: Vec<&GrayImage> = samples.iter().filter_map(|s| s.mask.as_ref()).collect();
        let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
        object_reliance(model, images, &masks, &labels)
    }
    .into_iter();
    (right.iter().zip(masked))
        .map(|(r, m)| m.then(|| measured.by_ref().take(r.samples.len()).collect()))
        .collect()
}

/// The class's mean Grad-CAM map, its mean occlusion map (if any), then example overlays.
fn evidence(
    right: &RightAnswers,
    class: &str,
    spot_map: Option<(Vec<f32>, [usize; 2])>,
) -> RgbImage {
    let [h, w] = right.size;
    let n = right.maps.len() as f32;
    let mean: Vec<f32> = (0..h * w)
        .map(|p| right.maps.iter().map(|m| m[p]).sum::<f32>() / n)
        .collect();
    let mut row = vec![Panel {
        title: format!(
            "mean '{class}' Grad-CAM\n{} training images",
            right.maps.len()
        ),
        image: overlay::heatmap(&mean, w as u32, h as u32),
    }];
    if let Some((drops, [rows, cols])) = spot_map {
        let small = overlay::heatmap(&drops, cols as u32, rows as u32);
        row.push(Panel {
            title: "where hiding hurts\n(mean confidence drop)".to_owned(),
            image: image::imageops::resize(
                &small,
                w as u32,
                h as u32,
                image::imageops::FilterType::Nearest,
            ),
        });
    }
    row.extend(
        right
            .samples
            .iter()
            .zip(&right.maps)
            .take(EXAMPLES)
            .enumerate()
            .map(|(k, (sample, map))| Panel {
                title: format!("'{class}' Grad-CAM\ntraining image {}", k + 1),
                image: overlay::overlay(&sample.image, map, overlay::DEFAULT_IMAGE_WEIGHT),
            }),
    );
    grid(&[row], 160)
}
