//! Decoding a sample: the model's view of an image, and for training images the decoded
//! original that crops are taken from.

use std::path::PathBuf;

use image::{GrayImage, RgbImage};

use cam::preprocess::EvalTransform;
use mobilenetv2::Resize;

use super::files::short_name;
use super::{Item, Skipped};

/// A decoded sample.
#[derive(Clone, Debug)]
pub struct Sample {
    /// The image as the model sees it at evaluation, `size × size`.
    pub image: RgbImage,
    /// The decoded file (large JPEGs at 1/2 to 1/8 scale, still at least the evaluation
    /// resize's short side), which training crops come from as torchvision takes them from the
    /// original: training samples with `--resize crop` only (with `squash`, crops come from
    /// `image`).
    pub original: Option<RgbImage>,
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

/// Decodes the image training crops of `item` come from (see [`Sample::original`]), without
/// the evaluation view, which training with augmentation does not need.
pub(super) fn decode_crop_source(
    item: &Item,
    transform: EvalTransform,
) -> Result<RgbImage, Skipped> {
    let image =
        cam::preprocess::load_rgb_for(&item.path, transform.base_side()).map_err(|e| Skipped {
            path: item.path.clone(),
            reason: e.reason(),
        })?;
    Ok(match transform.resize {
        Resize::Crop => image,
        Resize::Squash => transform.apply(&image),
    })
}

/// Decodes one sample: its model view, its original when training crops need it, and its mask
/// through the same geometry. A mask that fails is dropped with a warning.
pub(super) fn decode(
    item: &Item,
    transform: EvalTransform,
    keep_original: bool,
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
    let view = transform.apply(&image);
    Ok(Sample {
        original: (keep_original && transform.resize == Resize::Crop).then_some(image),
        image: view,
        label: item.label,
        mask,
        path: item.path.clone(),
    })
}
