//! Image-folder datasets: scanning, robust parallel decoding, augmentation, batching, and the
//! embedded default dataset.

mod batch;
mod decode;
mod files;
mod folder;
mod masks;
pub mod synthetic;

pub use batch::Batch;
pub use decode::{Decoded, Sample, decode_all};
pub use folder::{Item, Scan, Skipped, scan};
pub use masks::{MASK_SUFFIX, MaskFinder, mask_beside};

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::bail;
use burn_dataset::InMemDataset;
use cam::preprocess::EvalTransform;
use mobilenetv2::{Normalization, Resize};

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

/// Decodes the scanned samples with a progress bar, after one line each on what the scan passed
/// over and on the masks it found.
pub fn load(scan: Scan, transform: EvalTransform) -> anyhow::Result<Data> {
    if scan.ignored > 0 {
        println!(
            "ignored {} hidden or system files and folders (.DS_Store, Thumbs.db, @eaDir, ...)",
            scan.ignored
        );
    }
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
    let total = scan.train.len() + scan.val.len();
    let progress = bar(total, "decode");
    let train = decode_all(&scan.train, transform, true, &progress);
    let val = decode_all(&scan.val, transform, false, &progress);
    progress.finish_and_clear();
    let mut skipped = scan.skipped;
    for s in &skipped {
        eprintln!("warning: skipping {}: {}", s.path.display(), s.reason);
    }
    let root = scan.root;
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
        image_size: transform.size,
    })
}
