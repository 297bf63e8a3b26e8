//! Turning decoded samples into model batches: prepared in host memory (on a worker thread
//! while the model runs), then uploaded.

use burn::prelude::*;
use mobilenetv2::Normalization;
use rayon::prelude::*;

use cam::preprocess::RandomResizedCrop;

use super::Sample;

/// A batch on the device: normalized images `[N, 3, H, W]` and labels `[N]`.
pub struct Batch {
    /// Normalized images.
    pub images: Tensor<4>,
    /// Class indices.
    pub labels: Tensor<1, Int>,
}

impl Batch {
    /// The batch of `samples` on `device` (see [`HostBatch::new`]).
    pub fn new(
        samples: &[Sample],
        normalization: &Normalization,
        augment: Option<(RandomResizedCrop, u64)>,
        device: &Device,
    ) -> Self {
        HostBatch::new(samples, normalization, augment).upload(device)
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
    /// The samples' model views, or (in parallel) random crops of their originals when
    /// `augment` holds a crop and a seed (sample `i` of the batch uses `seed + i`).
    pub fn new(
        samples: &[Sample],
        normalization: &Normalization,
        augment: Option<(RandomResizedCrop, u64)>,
    ) -> Self {
        let pixels: Vec<f32> = samples
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, sample)| match augment {
                Some((augment, seed)) => {
                    let source = sample.original.as_ref().unwrap_or(&sample.image);
                    let image = augment.apply(source, seed.wrapping_add(i as u64));
                    cam::preprocess::normalize(&image, normalization)
                }
                None => cam::preprocess::normalize(&sample.image, normalization),
            })
            .collect();
        Self {
            pixels,
            labels: samples.iter().map(|s| s.label as i64).collect(),
            size: samples[0].image.width() as usize,
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
