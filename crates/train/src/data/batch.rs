//! Turning decoded images into model batches: prepared in host memory (on a worker thread
//! while the model runs), then uploaded.

use burn::prelude::*;
use image::RgbImage;
use rayon::prelude::*;
use vision::Normalization;

use vision::RandomResizedCrop;

use super::Sample;

/// A batch on the device: normalized images `[N, 3, H, W]` and labels `[N]`.
pub struct Batch {
    /// Normalized images.
    pub images: Tensor<4>,
    /// Class indices.
    pub labels: Tensor<1, Int>,
}

impl Batch {
    /// The samples' model views on `device`.
    pub fn new(samples: &[Sample], normalization: &Normalization, device: &Device) -> Self {
        HostBatch::views(samples, normalization).upload(device)
    }
}

/// A batch in host memory, ready to upload.
pub struct HostBatch {
    /// Normalized CHW pixels, image after image.
    pixels: Vec<f32>,
    labels: Vec<i64>,
    /// Square image side.
    size: usize,
}

impl HostBatch {
    /// The samples' model views, normalized.
    pub fn views(samples: &[Sample], normalization: &Normalization) -> Self {
        let pixels = samples
            .par_iter()
            .flat_map_iter(|s| vision::normalize(&s.image, normalization))
            .collect();
        let labels = samples.iter().map(|s| s.label).collect();
        Self::from_parts(pixels, labels, samples[0].image.width() as usize)
    }

    /// Random resized crops of `sources` (image and label), normalized; image `i` of the batch
    /// is cropped with seed `seed + i`.
    pub fn crops(
        sources: &[(RgbImage, usize)],
        normalization: &Normalization,
        crop: RandomResizedCrop,
        seed: u64,
    ) -> Self {
        let pixels = sources
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, (image, _))| {
                let image = crop.apply(image, seed.wrapping_add(i as u64));
                vision::normalize(&image, normalization)
            })
            .collect();
        let labels = sources.iter().map(|&(_, label)| label).collect();
        Self::from_parts(pixels, labels, crop.size)
    }

    fn from_parts(pixels: Vec<f32>, labels: Vec<usize>, size: usize) -> Self {
        Self {
            pixels,
            labels: labels.into_iter().map(|l| l as i64).collect(),
            size,
        }
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch has no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The batch as tensors on `device`.
    pub fn upload(self, device: &Device) -> Batch {
        let shape = [self.labels.len(), 3, self.size, self.size];
        Batch {
            images: Tensor::from_data(TensorData::new(self.pixels, shape), device),
            labels: Tensor::from_ints(self.labels.as_slice(), device),
        }
    }
}
