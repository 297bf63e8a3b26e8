//! Decoding a sample: the model's view of an image, and for training images the decoded
//! original that crops are taken from.

use std::path::PathBuf;

use image::{GrayImage, RgbImage};

use vision::EvalTransform;
use vision::Resize;

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

/// Whether samples keep their decoded original: training samples (`training`) with
/// `--resize crop`, whose crops come from it (with `squash` they come from the view).
pub(super) fn keeps_original(transform: EvalTransform, training: bool) -> bool {
    training && transform.resize == Resize::Crop
}

/// The decoded file of `item` (DCT-scaled for the transform), or why it cannot be used.
fn load(item: &Item, transform: EvalTransform) -> Result<RgbImage, Skipped> {
    vision::load_rgb_for(&item.path, transform.base_side()).map_err(|e| Skipped {
        path: item.path.clone(),
        reason: e.reason(),
    })
}

/// Decodes the image training crops of `item` come from (see [`Sample::original`]), without
/// the evaluation view, which training with augmentation does not need.
pub(super) fn decode_crop_source(
    item: &Item,
    transform: EvalTransform,
) -> Result<RgbImage, Skipped> {
    let image = load(item, transform)?;
    Ok(if keeps_original(transform, true) {
        image
    } else {
        transform.apply(&image)
    })
}

/// Decodes `item` as evaluation sees it: its model view and its mask (see [`decode`]).
pub fn decode_view(item: &Item, transform: EvalTransform) -> Result<Sample, Skipped> {
    decode(item, transform, false)
}

/// Decodes one sample: its model view, its original when training crops need it (see
/// [`keeps_original`]), and its mask through the same geometry. A mask that fails is dropped
/// with a warning.
pub(super) fn decode(
    item: &Item,
    transform: EvalTransform,
    training: bool,
) -> Result<Sample, Skipped> {
    let image = load(item, transform)?;
    // A mask that cannot be read costs the image its mask scores, not the image.
    let mask = item.mask.as_deref().and_then(|path| {
        vision::load_mask(path)
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
        original: keeps_original(transform, training).then_some(image),
        image: view,
        label: item.label,
        mask,
        path: item.path.clone(),
    })
}
