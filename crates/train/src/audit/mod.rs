//! Shortcut detection: what the model's right answers rest on, per class.
//!
//! The audit holds, per class, the [`PER_CLASS`] most recent training images (the split a
//! shortcut was learned from) that the model classified correctly, each tested by occlusion:
//! parts of the image hidden (set to the dataset's mean colour). During training every epoch
//! adds up to [`EPOCH_STEP`]`.right` of them per class, searched in turn among the class's first
//! [`POOL`] images, so a verdict covers the last few epochs at a small cost per epoch; an audit
//! of a checkpoint ([`audit`]) measures all of them at once. A class with fewer than
//! [`MIN_IMAGES`] right answers held gets no verdict, and the report says so and why.
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

mod evidence;
mod measure;
mod window;

use burn::prelude::*;
use cam::render::figure::{safe_file_name, save_png};
use cam::{CamEngine, Method, TargetLayer};
use models::{Classifier, Model, Network};
use serde::{Deserialize, Serialize};

use crate::data::Data;
use measure::{Search, Step};
use window::{ClassWindow, ObjectTest};

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

/// Right answers held per class.
pub(crate) const PER_CLASS: usize = 16;
/// Training images per class searched for them: a class the model gets right only a quarter
/// of the time still gets a verdict.
pub(crate) const POOL: usize = 4 * PER_CLASS;
/// What each training epoch adds per class: the right answers among the next eighth of the
/// held number of candidates, in turn (one batch of a fixed shape for all classes), so that a
/// verdict follows two audited epochs and covers the last eight.
pub(crate) const EPOCH_STEP: Step = Step {
    right: PER_CLASS / 8,
    search: PER_CLASS / 8,
};
/// An audit of a checkpoint: every right answer at once, from the whole pool.
const AT_ONCE: Step = Step {
    right: PER_CLASS,
    search: POOL,
};
/// Fewest correctly classified images for a verdict.
pub(crate) const MIN_IMAGES: usize = 4;
/// Smallest lead of the background-only probability, over the object-only one and over the
/// class's probability on other classes' backgrounds, that flags a class: midway between what
/// marked and clean classes show in the shortcut test (see BENCHMARKS.md).
const BACKGROUND_MARGIN: f64 = 0.5;
/// Smallest mean relative confidence drop, when one fixed spot is hidden, that flags a class.
const FIXED_SPOT: f64 = 0.5;
/// Training accuracy from which the monitor audits (an untrained model rests on nothing).
pub const MIN_TRAIN_ACCURACY: f64 = 0.5;
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
    /// The first and last epoch of the right answers judged (training only).
    #[serde(default)]
    pub epochs: Option<[usize; 2]>,
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
            epochs: None,
        }
    }
}

/// The shortcut audit of a training run: per class, the right answers held between epochs.
pub struct Audit {
    step: Step,
    windows: Vec<ClassWindow>,
    /// The Grad-CAM layer of the evidence: the network's last at output stride 16 (6×6 at
    /// 96 px; MobileNetV2's `features.13`, a ResNet's `layer3`).
    layer: TargetLayer,
}

impl Audit {
    /// The audit of a run of `network` over `classes` classes, adding [`EPOCH_STEP`] per
    /// epoch.
    pub fn new(classes: usize, network: &dyn Network) -> Self {
        Self::with_step(classes, EPOCH_STEP, network)
    }

    fn with_step(classes: usize, step: Step, network: &dyn Network) -> Self {
        Self {
            step,
            windows: (0..classes).map(|_| ClassWindow::new(PER_CLASS)).collect(),
            layer: TargetLayer::last_at_stride_16(network),
        }
    }

    /// The layer the audit takes its Grad-CAM maps at.
    pub fn layer(&self) -> &TargetLayer {
        &self.layer
    }

    /// LibTorch prepares kernels for each batch shape once per process: runs this audit's
    /// passes once on blank images in the shape of a step, so that the first audited epoch
    /// does not pay for it.
    pub fn prepare_kernels(
        &self,
        engine: &CamEngine,
        data: &Data,
        scope: AuditScope,
        device: &Device,
    ) {
        if scope != AuditScope::Off {
            let (_, _, searches) = self.searches(data, scope);
            measure::prepare_kernels(
                &engine.with(Method::GradCam, std::slice::from_ref(&self.layer)),
                data,
                device,
                &searches,
            );
        }
    }

    /// Per class, its pool of candidates, whether they all have mask files, and what this
    /// step searches.
    fn searches(
        &self,
        data: &Data,
        scope: AuditScope,
    ) -> (Vec<Vec<usize>>, Vec<bool>, Vec<Search>) {
        let pools: Vec<Vec<usize>> = (0..data.classes.len())
            .map(|label| {
                (data.train.labels().enumerate())
                    .filter(|&(_, l)| l == label)
                    .map(|(i, _)| i)
                    .take(POOL)
                    .collect()
            })
            .collect();
        // Whether masks exist is known from the files; whether they decode, from the images.
        let mask_files: Vec<bool> = pools
            .iter()
            .map(|pool| pool.iter().all(|&i| data.train.item(i).mask.is_some()))
            .collect();
        let searches: Vec<Search> = (pools.iter().zip(&mask_files).zip(&self.windows))
            .map(|((pool, &masks), window)| {
                let audited = masks || scope == AuditScope::All;
                let tried = if audited {
                    self.step.search.min(pool.len())
                } else {
                    0
                };
                Search {
                    candidates: (0..tried)
                        .map(|k| pool[(window.cursor + k) % pool.len()])
                        .collect(),
                    masks,
                }
            })
            .collect();
        (pools, mask_files, searches)
    }

    /// Adds this epoch's right answers of every class in `scope` and judges each class on those
    /// held; writes an evidence image into `dir` for each flagged one. A class without a
    /// verdict (too few right answers, no masks) is listed with the reason. The model is
    /// `engine`'s inference copy (any method and layers: the audit takes Grad-CAM at [`Self::layer`]).
    pub fn run(
        &mut self,
        engine: &CamEngine,
        data: &Data,
        scope: AuditScope,
        device: &Device,
        dir: &std::path::Path,
        epoch: Option<usize>,
    ) -> anyhow::Result<Vec<ClassAttention>> {
        if scope == AuditScope::Off {
            return Ok(Vec::new());
        }
        let (pools, mask_files, searches) = self.searches(data, scope);
        let engine = engine.with(Method::GradCam, std::slice::from_ref(&self.layer));
        let found = measure::measure(&engine, data, device, self.step, &searches, epoch);
        for ((window, (right, searched)), pool) in self.windows.iter_mut().zip(found).zip(&pools) {
            window.cursor = (window.cursor + searched) % pool.len().max(1);
            window.push(right);
        }
        let mut classes: Vec<(ClassAttention, Option<Judged>)> = (data.classes.iter())
            .zip(&self.windows)
            .zip(&mask_files)
            .map(|((class, window), &masks)| judge(class, window, masks, scope, data))
            .collect();
        flag(&mut classes);
        for ((attention, judged), window) in classes.iter_mut().zip(&self.windows) {
            if let (true, Some(judged)) = (attention.flagged, judged) {
                let name = format!("attention-{}.png", safe_file_name(&attention.class));
                let size = [data.image_size; 2];
                let figure = evidence::figure(
                    &window.held(),
                    &attention.class,
                    size,
                    judged.spot_map.take(),
                );
                save_png(&figure, &dir.join(&name))?;
                attention.evidence = Some(name);
            }
        }
        Ok(classes
            .into_iter()
            .map(|(attention, _)| attention)
            .collect())
    }
}

/// Audits a trained model at once: [`PER_CLASS`] right answers per class searched among the
/// first [`POOL`]; as [`Audit::run`] otherwise.
pub fn audit(
    model: &Model,
    data: &Data,
    scope: AuditScope,
    device: &Device,
    dir: &std::path::Path,
) -> anyhow::Result<Vec<ClassAttention>> {
    let network = model.fold();
    let mut audit = Audit::with_step(data.classes.len(), AT_ONCE, network.as_ref());
    let engine = CamEngine::new(network.as_ref(), Method::GradCam, &[audit.layer.clone()]);
    audit.run(&engine, data, scope, device, dir, None)
}

/// What a judged class leaves for the verdict across classes and its evidence.
struct Judged {
    /// Mean occlusion drops and their grid (no masks).
    spot_map: Option<(Vec<f32>, [usize; 2])>,
    /// Mean probability of every class on this class's images with their objects hidden (masks).
    hidden_object: Option<Vec<f64>>,
}

/// One class's measurements from the right answers its window holds; the verdict with masks
/// needs every class's (see [`flag`]).
fn judge(
    class: &str,
    window: &ClassWindow,
    mask_files: bool,
    scope: AuditScope,
    data: &Data,
) -> (ClassAttention, Option<Judged>) {
    let mut attention = ClassAttention::new(class);
    let held = window.held();
    let tests: Option<Vec<&ObjectTest>> = held.iter().map(|m| m.object.as_ref()).collect();
    let tests = tests.filter(|_| mask_files);
    if tests.is_none() && scope != AuditScope::All {
        attention.not_audited = Some(
            "no object masks (--shortcut-audit all audits without them, at a higher cost)"
                .to_owned(),
        );
        return (attention, None);
    }
    attention.images = held.len();
    attention.epochs = window.epochs();
    if held.len() < MIN_IMAGES {
        attention.not_audited = Some(format!(
            "only {} of the training images searched classified correctly (a verdict needs {MIN_IMAGES})",
            held.len(),
        ));
        return (attention, None);
    }
    let n = held.len() as f64;
    let mut judged = Judged {
        spot_map: None,
        hidden_object: None,
    };
    if let Some(tests) = tests {
        let mean =
            |value: &dyn Fn(&ObjectTest) -> f64| tests.iter().map(|t| value(t)).sum::<f64>() / n;
        attention.object_only = Some(mean(&|t| f64::from(t.reliance.object_only)));
        attention.background_only = Some(mean(&|t| f64::from(t.reliance.background_only)));
        judged.hidden_object = Some(
            (0..data.classes.len())
                .map(|k| mean(&|t| f64::from(t.reliance.background_classes[k])))
                .collect(),
        );
        attention.on_object = Some(mean(&|t| t.on_object));
        attention.object_area = Some(mean(&|t| t.area));
    } else if let Some((_, grid)) = held.iter().find_map(|m| m.drops.as_ref()) {
        let grid = *grid;
        let drops: Vec<&Vec<f32>> = held
            .iter()
            .filter_map(|m| m.drops.as_ref().map(|d| &d.0))
            .collect();
        let mean_drops: Vec<f32> = (0..grid[0] * grid[1])
            .map(|p| drops.iter().map(|d| d[p]).sum::<f32>() / drops.len() as f32)
            .collect();
        let spot = mean_drops.iter().copied().fold(0.0f32, f32::max);
        attention.fixed_spot = Some(f64::from(spot));
        attention.flagged = f64::from(spot) >= FIXED_SPOT;
        judged.spot_map = Some((mean_drops, grid));
    }
    (attention, Some(judged))
}

/// The verdict with masks: a class is flagged when its background alone keeps the answer, its
/// object alone loses it, and the background points at this class more than the other classes'
/// backgrounds do (the mean probability of each class on the other classes' images with their
/// objects hidden: what the model says of a hidden object anyway).
fn flag(classes: &mut [(ClassAttention, Option<Judged>)]) {
    let hidden: Vec<Option<Vec<f64>>> = classes
        .iter()
        .map(|(_, judged)| judged.as_ref().and_then(|j| j.hidden_object.clone()))
        .collect();
    for (label, (attention, _)) in classes.iter_mut().enumerate() {
        let (Some(object), Some(background)) = (attention.object_only, attention.background_only)
        else {
            continue;
        };
        let elsewhere: Vec<f64> = (hidden.iter().enumerate())
            .filter(|&(k, _)| k != label)
            .filter_map(|(_, h)| h.as_ref().map(|h| h[label]))
            .collect();
        let elsewhere =
            (!elsewhere.is_empty()).then(|| elsewhere.iter().sum::<f64>() / elsewhere.len() as f64);
        attention.background_elsewhere = elsewhere;
        attention.flagged = background - object >= BACKGROUND_MARGIN
            && background - elsewhere.unwrap_or(0.0) >= BACKGROUND_MARGIN;
    }
}
