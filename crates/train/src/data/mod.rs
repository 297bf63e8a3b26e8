//! Image-folder datasets: scanning, robust parallel decoding, augmentation, batching, and the
//! embedded default dataset.

mod augment;
mod batch;
mod decode;
mod folder;
pub mod synthetic;

pub use augment::Augment;
pub use batch::Batch;
pub use decode::{Decoded, Sample, decode_all};
pub use folder::{Item, Scan, Skipped, scan};

use std::path::PathBuf;
use std::sync::Arc;

use burn_dataset::InMemDataset;
use mobilenetv2::Normalization;

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
