//! The one path of an image into the model and back: decoding any file to RGB, the geometry
//! (torchvision's resize and crops, masks with them), normalization into a tensor, and
//! de-normalization into a picture again.

mod decode;
mod geometry;

pub use decode::{ImageError, SUPPORTED, load_mask, load_rgb, load_rgb_for, probe};
pub use geometry::{EvalTransform, RandomResizedCrop, Region};

use burn::prelude::*;
use image::RgbImage;
use mobilenetv2::Normalization;

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
