//! Image-folder datasets: scanning, robust parallel decoding, augmentation, batching, and the
//! embedded default dataset.

mod augment;
mod batch;
mod decode;
mod folder;
pub mod synthetic;

pub use augment::Augment;
pub use batch::Batch;
pub use decode::{Decoded, Sample, decode_all, load_mask};
pub use folder::{Item, Scan, Skipped, mask_beside, scan};

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use burn_dataset::InMemDataset;
use mobilenetv2::Normalization;

use crate::progress::bar;

/// A dataset ready for training: decoded samples at model size.
pub struct Data {
    /// Dataset folder.
    pub root: PathBuf,
    /// Class names in label order.
    pub classes: Vec<String>,
    /// Training samples.
    pub train: Arc<InMemDataset<Sample>>,
    /// Validation samples, in a fixed order (indices are stable across epochs and resumes).
    pub val: Vec<Sample>,
    /// Files not used (not images, or undecodable), each with its reason.
    pub skipped: Vec<Skipped>,
    /// Input normalization.
    pub normalization: Normalization,
    /// Square input size.
    pub image_size: usize,
}

/// Decodes the scanned samples with a progress bar.
pub fn load(root: PathBuf, scan: Scan, image_size: usize) -> anyhow::Result<Data> {
    let total = scan.train.len() + scan.val.len();
    let progress = bar(total, "decode");
    let train = decode_all(&scan.train, image_size, &progress);
    let val = decode_all(&scan.val, image_size, &progress);
    progress.finish_and_clear();
    let mut skipped = scan.skipped;
    for s in &skipped {
        eprintln!("warning: skipping {}: {}", s.path.display(), s.reason);
    }
    skipped.extend(train.skipped);
    skipped.extend(val.skipped);
    if train.samples.is_empty() || val.samples.is_empty() {
        bail!(
            "{} has no decodable {} images; add images or check the folder",
            root.display(),
            if train.samples.is_empty() {
                "training"
            } else {
                "validation"
            }
        );
    }
    Ok(Data {
        root,
        classes: scan.classes,
        train: Arc::new(InMemDataset::new(train.samples)),
        val: val.samples,
        skipped,
        normalization: Normalization::default(),
        image_size,
    })
}
