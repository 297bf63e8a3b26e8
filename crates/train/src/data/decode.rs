//! Decoding a sample: the model's view of an image, and for training images the base that crops
//! are taken from.

use std::path::PathBuf;

use image::{GrayImage, RgbImage};

use cam::preprocess::EvalTransform;

use super::files::short_name;
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
        short_name(&self.path)
    }
}

/// Decodes one sample: its model view, its base when training crops need it, and its mask
/// through the same geometry. A mask that fails is dropped with a warning.
pub(super) fn decode(
    item: &Item,
    transform: EvalTransform,
    keep_base: bool,
) -> Result<Sample, Skipped> {
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
