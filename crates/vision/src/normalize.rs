//! Normalization: pictures at model size into the model's input tensor (`ToTensor` then
//! `Normalize`), and back into displayable pictures.

use burn::prelude::*;
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Per-channel mean and standard deviation the model's inputs were normalized with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Channel means (RGB), in `[0, 1]` pixel units.
    pub mean: [f32; 3],
    /// Channel standard deviations (RGB).
    pub std: [f32; 3],
}

impl Default for Normalization {
    /// ImageNet's statistics, as torchvision's pretrained models expect.
    fn default() -> Self {
        Self {
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }
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
