//! Decoding every sample once, in parallel, into an in-memory cache: the model's view of each
//! image, and for training images the base that crops are taken from.

use std::path::PathBuf;

use image::{GrayImage, RgbImage};
use indicatif::ProgressBar;
use rayon::prelude::*;

use cam::preprocess::EvalTransform;

use super::{Item, Skipped};

/// A decoded sample.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The image as the model sees it at evaluation, `size × size`.
    pub image: RgbImage,
    /// Its base image (resized, not yet cropped), which training crops come from: training
    /// samples only, and only where it differs from `image` (not with `--resize squash`).
    pub base: Option<RgbImage>,
    /// Class index.
    pub label: usize,
    /// Object mask (255 = object), through the same geometry as `image`.
    pub mask: Option<GrayImage>,
    /// Source file.
    pub path: PathBuf,
}

impl Sample {
    /// `<class folder>/<file name>`, short enough for titles and tables.
    pub fn short_name(&self) -> String {
        let file = self.path.file_name().unwrap_or_default().to_string_lossy();
        match self.path.parent().and_then(|p| p.file_name()) {
            Some(parent) => format!("{}/{file}", parent.to_string_lossy()),
            None => file.into_owned(),
        }
    }
}

/// Decoded samples and the files that could not be decoded.
pub struct Decoded {
    /// The samples, in input order.
    pub samples: Vec<Sample>,
    /// Undecodable files (corrupt, truncated, empty, not an image).
    pub skipped: Vec<Skipped>,
}

/// Decodes and resizes `items` in parallel; a file that fails is skipped with a warning, a mask
/// that fails is dropped with one.
pub fn decode_all(
    items: &[Item],
    transform: EvalTransform,
    keep_base: bool,
    progress: &ProgressBar,
) -> Decoded {
    let results: Vec<Result<Sample, Skipped>> = items
        .par_iter()
        .map(|item| {
            let result = decode(item, transform, keep_base);
            progress.inc(1);
            result
        })
        .collect();
    let mut samples = Vec::with_capacity(results.len());
    let mut skipped = Vec::new();
    for result in results {
        match result {
            Ok(sample) => samples.push(sample),
            Err(skip) => {
                progress.suspend(|| {
                    eprintln!("warning: skipping {}: {}", skip.path.display(), skip.reason)
                });
                skipped.push(skip);
            }
        }
    }
    Decoded { samples, skipped }
}

fn decode(item: &Item, transform: EvalTransform, keep_base: bool) -> Result<Sample, Skipped> {
    let skip = |reason: String| Skipped {
        path: item.path.clone(),
        reason,
    };
    let image = cam::preprocess::load_rgb_for(&item.path, transform.base_side())
        .map_err(|e| skip(e.reason()))?;
    // A mask that cannot be read costs the image its mask scores, not the image.
    let mask = item.mask.as_deref().and_then(|path| {
        cam::preprocess::load_mask(path)
            .inspect_err(|e| {
                eprintln!(
                    "warning: {e}; {} is used without its mask",
                    item.path.display()
                )
            })
            .ok()
            .map(|m| transform.apply_mask(&m, image.dimensions()))
    });
    let base = transform.base(&image);
    let view = transform.crop(&base);
    Ok(Sample {
        base: (keep_base && base.dimensions() != view.dimensions()).then_some(base),
        image: view,
        label: item.label,
        mask,
        path: item.path.clone(),
    })
}
