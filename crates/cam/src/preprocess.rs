//! The one path of an image into the model and back: decoding any file to RGB, the geometry
//! (resizing to model size, masks with it), normalization into a tensor, and de-normalization
//! into a picture again.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use image::imageops::FilterType;
use image::{GrayImage, ImageReader, RgbImage};
use mobilenetv2::Normalization;

/// An image that could not be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file is missing or unreadable.
    #[error("cannot read image {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The bytes are not an image in a supported format, or are truncated.
    #[error("cannot decode image {path}: {reason} ({SUPPORTED})")]
    Decode { path: PathBuf, reason: String },
}

/// Supported formats, named in decoding errors.
const SUPPORTED: &str = "supported: JPEG, PNG, BMP, GIF, WebP";

impl ImageError {
    /// What went wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            Self::Io { cause, .. } => cause.to_string(),
            Self::Decode { reason, .. } => format!("{reason} ({SUPPORTED})"),
        }
    }
}

/// Decodes any supported image (format detected from content, not the extension) into 8-bit
/// RGB: grayscale is replicated, alpha dropped, 16-bit and float images scaled down.
pub fn load_rgb(path: &Path) -> Result<RgbImage, ImageError> {
    let decode = |reason: String| ImageError::Decode {
        path: path.to_owned(),
        reason,
    };
    let reader = ImageReader::open(path)
        .map_err(|cause| ImageError::Io {
            path: path.to_owned(),
            cause,
        })?
        .with_guessed_format()
        .map_err(|e| decode(e.to_string()))?;
    if reader.format().is_none() {
        return Err(decode("unrecognized file content".to_owned()));
    }
    Ok(reader
        .decode()
        .map_err(|e| decode(e.to_string()))?
        .to_rgb8())
}

/// Resizes to `size × size` (bilinear, aspect ratio not kept, as `transforms.Resize((s, s))`).
pub fn resize(image: &RgbImage, size: usize) -> RgbImage {
    if image.dimensions() == (size as u32, size as u32) {
        return image.clone();
    }
    image::imageops::resize(image, size as u32, size as u32, FilterType::Triangle)
}

/// The object mask at `path` (255 = object), resized like its image (nearest neighbour, so it
/// stays binary); the error says what is wrong.
pub fn load_mask(path: &Path, size: usize) -> Result<GrayImage, String> {
    let mask = image::open(path).map_err(|e| format!("bad mask {}: {e}", path.display()))?;
    Ok(image::imageops::resize(
        &mask.to_luma8(),
        size as u32,
        size as u32,
        FilterType::Nearest,
    ))
}

/// Normalized CHW floats of an image already at model size (`ToTensor` then `Normalize`).
pub fn normalize(image: &RgbImage, normalization: &Normalization) -> Vec<f32> {
    let (w, h) = image.dimensions();
    let plane = (w * h) as usize;
    let mut chw = vec![0.0; 3 * plane];
    for (i, pixel) in image.pixels().enumerate() {
        for c in 0..3 {
            let value = f32::from(pixel[c]) / 255.0;
            chw[c * plane + i] = (value - normalization.mean[c]) / normalization.std[c];
        }
    }
    chw
}

/// A batch tensor `[N, 3, H, W]` from images already at model size.
pub fn batch(images: &[RgbImage], normalization: &Normalization, device: &Device) -> Tensor<4> {
    let (w, h) = images[0].dimensions();
    let data: Vec<f32> = images
        .iter()
        .flat_map(|image| normalize(image, normalization))
        .collect();
    Tensor::from_data(
        TensorData::new(data, [images.len(), 3, h as usize, w as usize]),
        device,
    )
}

/// Undoes the normalization of a batch `[N, 3, H, W]`, giving displayable RGB images.
pub fn denormalize(batch: Tensor<4>, normalization: &Normalization) -> Vec<RgbImage> {
    let [n, _, h, w] = batch.dims();
    let data: Vec<f32> = batch.into_data().try_to_vec().expect("f32 data");
    let plane = h * w;
    (0..n)
        .map(|i| {
            let sample = &data[i * 3 * plane..(i + 1) * 3 * plane];
            RgbImage::from_fn(w as u32, h as u32, |x, y| {
                let p = y as usize * w + x as usize;
                image::Rgb(std::array::from_fn(|c| {
                    let v = sample[c * plane + p] * normalization.std[c] + normalization.mean[c];
                    (v.clamp(0.0, 1.0) * 255.0).round() as u8
                }))
            })
        })
        .collect()
}
