//! Image-folder datasets: scanning, robust parallel decoding, augmentation, batching, and the
//! embedded default dataset.

mod batch;
mod cache;
mod decode;
mod files;
pub mod fingerprint;
mod folder;
mod masks;
mod prefetch;
mod split;
pub mod synthetic;

pub use batch::{Batch, HostBatch};
pub use cache::{Cache, Choice};
pub use decode::Sample;
pub use decode::decode_view;
pub use folder::{Item, Scan, Skipped, TestFolder, scan, scan_test, scan_validation, sub_folders};
pub use masks::{MASK_SUFFIX, MaskFinder, mask_beside};
pub use prefetch::Prefetch;
pub use split::Split;

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use rayon::prelude::*;
use vision::{EvalTransform, RandomResizedCrop};
use vision::{Normalization, Resize};

use crate::progress::bar;

/// Where the default dataset is generated.
pub const DEFAULT_DATASET: &str = "datasets/textures";

/// Which dataset, and how its images become model inputs.
#[derive(Clone, Debug)]
pub struct DataConfig {
    /// The image folder; `None` for the default dataset.
    pub root: Option<PathBuf>,
    /// A folder of object masks mirroring the image folder.
    pub masks: Option<PathBuf>,
    /// The class count the user expects, checked against the class folders.
    pub num_classes: Option<usize>,
    /// Square model input size in pixels.
    pub image_size: usize,
    /// How images are fitted to the input.
    pub resize: Resize,
    /// Smallest share of an image's area a training crop keeps.
    pub crop_scale: f64,
    /// Share of each class held out for validation when the folder has no `val/` split.
    pub val_split: f64,
    /// Train-time augmentation (random resized crop, horizontal flip).
    pub augment: bool,
    /// Whether decoded images are kept in memory.
    pub cache: Cache,
}

impl DataConfig {
    /// The dataset folder: `root`, or the default dataset, generated when missing.
    pub fn dataset_root(&self) -> anyhow::Result<PathBuf> {
        if let Some(root) = &self.root {
            return Ok(root.clone());
        }
        let root = PathBuf::from(DEFAULT_DATASET);
        if !synthetic::is_complete(&root) {
            let progress = bar(0, "generate");
            progress.set_message(format!("default dataset into {}", root.display()));
            synthetic::generate(&root, synthetic::Spec::default(), &progress)?;
            progress.finish_and_clear();
            println!(
                "generated the default textures dataset in {}",
                root.display()
            );
        }
        Ok(root)
    }
}

/// Batches a worker thread prepares ahead of the model.
const PREFETCH: usize = 2;

/// A dataset ready for training: its splits, checked and decodable.
pub struct Data {
    /// Dataset folder.
    pub root: PathBuf,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Training samples.
    pub train: Arc<Split>,
    /// Validation samples, in a fixed order (indices are stable across epochs and resumes).
    pub val: Arc<Split>,
    /// Files left out at loading (not images, or undecodable), each with its reason.
    left_out: Vec<Skipped>,
    /// Input normalization.
    pub normalization: Normalization,
    /// Square input size.
    pub image_size: usize,
}

impl Data {
    /// Files not used (not images, or undecodable), each with its reason.
    pub fn skipped(&self) -> Vec<Skipped> {
        let mut skipped = self.left_out.clone();
        skipped.extend(self.train.failed());
        skipped.extend(self.val.failed());
        skipped
    }

    /// Batches of `split`'s samples in `order`, `batch_size` at a time, decoded and prepared on
    /// a worker thread ahead of the model. With `augment`, batch `k` takes random crops seeded
    /// from `seed + 1024·k`.
    pub fn batches(
        &self,
        split: &Arc<Split>,
        order: Vec<usize>,
        batch_size: usize,
        augment: Option<(RandomResizedCrop, u64)>,
    ) -> Prefetch<HostBatch> {
        let normalization = self.normalization.clone();
        prefetch(
            split,
            order,
            batch_size,
            move |split, step, indices| match augment {
                Some((crop, seed)) => {
                    let sources = split.crop_sources(indices);
                    let seed = seed.wrapping_add(step as u64 * 1024);
                    HostBatch::crops(&sources, &normalization, crop, seed)
                }
                None => HostBatch::views(&split.samples(indices), &normalization),
            },
        )
    }

    /// The validation samples in order, `batch_size` at a time, each batch with its decoded
    /// samples (for the monitor's pictures and masks), prepared ahead like [`Data::batches`].
    pub fn val_batches(&self, batch_size: usize) -> Prefetch<(Vec<Sample>, HostBatch)> {
        let normalization = self.normalization.clone();
        let order = (0..self.val.len()).collect();
        prefetch(&self.val, order, batch_size, move |split, _, indices| {
            let samples = split.samples(indices);
            let batch = HostBatch::views(&samples, &normalization);
            (samples, batch)
        })
    }
}

/// `make(split, step, indices)` for each batch of `split`'s samples in `order`, on a worker
/// thread.
fn prefetch<T: Send + 'static>(
    split: &Arc<Split>,
    order: Vec<usize>,
    batch_size: usize,
    make: impl Fn(&Split, usize, &[usize]) -> T + Send + Sync + 'static,
) -> Prefetch<T> {
    let split = split.clone();
    let steps = order.len().div_ceil(batch_size);
    Prefetch::new(0..steps, PREFETCH, move |step| {
        let indices = &order[step * batch_size..((step + 1) * batch_size).min(order.len())];
        make(&split, step, indices)
    })
}

/// Says how many hidden or system files and folders a scan passed over, if any.
pub fn print_ignored(ignored: usize) {
    if ignored > 0 {
        println!(
            "ignored {ignored} hidden or system files and folders (.DS_Store, Thumbs.db, @eaDir, ...)"
        );
    }
}

/// Checks every scanned file, chooses where decoded images live (`cache`), and decodes them up
/// front when in memory; one line each on what the scan passed over, the masks it found and
/// the cache chosen.
pub fn load(scan: Scan, transform: EvalTransform, cache: Cache) -> anyhow::Result<Data> {
    load_splits(scan, transform, cache, true)
}

/// [`load`] for a model trained elsewhere: the training split may be empty.
pub fn load_validation(scan: Scan, transform: EvalTransform, cache: Cache) -> anyhow::Result<Data> {
    load_splits(scan, transform, cache, false)
}

fn load_splits(
    scan: Scan,
    transform: EvalTransform,
    cache: Cache,
    need_train: bool,
) -> anyhow::Result<Data> {
    print_ignored(scan.ignored);
    let (masked, all) = scan.mask_count();
    match &scan.mask_tree {
        Some(tree) => println!(
            "object masks: found for {masked} of {all} images in {}",
            tree.display()
        ),
        None if masked > 0 => {
            println!(
                "object masks: found for {masked} of {all} images (NAME{MASK_SUFFIX} beside each)"
            )
        }
        None => {}
    }
    let Scan {
        root,
        classes,
        train,
        val,
        skipped: mut left_out,
        ..
    } = scan;
    for skip in &left_out {
        warn_skipped(skip);
    }
    let progress = bar(train.len() + val.len(), "check");
    let (train, train_bytes) = check(train, transform, true, &progress, &mut left_out);
    let (val, val_bytes) = check(val, transform, false, &progress, &mut left_out);
    progress.finish_and_clear();
    let choice = cache.choose(train_bytes + val_bytes, Cache::available_memory());
    println!("{choice}");
    let (train, val) = match choice.cache {
        Cache::Memory => {
            let progress = bar(train.len() + val.len(), "decode");
            let (train, train_failed) = Split::cached(train, transform, true, &progress);
            let (val, val_failed) = Split::cached(val, transform, false, &progress);
            progress.finish_and_clear();
            for skip in train_failed.iter().chain(&val_failed) {
                warn_skipped(skip);
            }
            left_out.extend(train_failed.into_iter().chain(val_failed));
            (train, val)
        }
        _ => (
            Split::streamed(train, transform, true),
            Split::streamed(val, transform, false),
        ),
    };
    if (need_train && train.is_empty()) || val.is_empty() {
        bail!(
            "{} has no decodable {} images; add images or check the folder",
            root.display(),
            if train.is_empty() {
                "training"
            } else {
                "validation"
            }
        );
    }
    Ok(Data {
        root,
        classes,
        train: Arc::new(train),
        val: Arc::new(val),
        left_out,
        normalization: Normalization::default(),
        image_size: transform.size,
    })
}

/// The items whose files pass [`vision::probe`] (the others are warned about and
/// added to `left_out`), and the bytes their decoded samples take in memory.
fn check(
    items: Vec<Item>,
    transform: EvalTransform,
    training: bool,
    progress: &indicatif::ProgressBar,
    left_out: &mut Vec<Skipped>,
) -> (Vec<Item>, u64) {
    let probed: Vec<_> = items
        .par_iter()
        .map(|item| {
            let probe = vision::probe(&item.path, transform.base_side());
            progress.inc(1);
            probe
        })
        .collect();
    let side = transform.size as u64;
    let (mut kept, mut bytes) = (Vec::with_capacity(items.len()), 0);
    for (item, probe) in items.into_iter().zip(probed) {
        match probe {
            Ok((width, height)) => {
                let original = if decode::keeps_original(transform, training) {
                    3 * u64::from(width) * u64::from(height)
                } else {
                    0
                };
                let mask = if item.mask.is_some() { side * side } else { 0 };
                bytes += original + 3 * side * side + mask;
                kept.push(item);
            }
            Err(e) => {
                let skip = Skipped {
                    path: item.path,
                    reason: e.reason(),
                };
                progress.suspend(|| warn_skipped(&skip));
                left_out.push(skip);
            }
        }
    }
    (kept, bytes)
}

/// The one-line warning for a file left out.
fn warn_skipped(skip: &Skipped) {
    eprintln!("warning: skipping {}: {}", skip.path.display(), skip.reason);
}
