//! Turning decoded samples into model batches.

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
    /// Builds a batch of the samples' model views, or (in parallel) of random crops of their
    /// bases when `augment` holds a seed.
    pub fn new(
        samples: &[Sample],
        normalization: &Normalization,
        augment: Option<(RandomResizedCrop, u64)>,
        device: &Device,
    ) -> Self {
        let size = samples[0].image.width() as usize;
        let pixels: Vec<f32> = samples
            .par_iter()
            .enumerate()
            .flat_map_iter(|(i, sample)| match augment {
                Some((augment, seed)) => {
                    let base = sample
                        .base
                        .as_ref()
                        .expect("training samples keep their base");
                    let image = augment.apply(base, seed.wrapping_add(i as u64));
                    cam::preprocess::normalize(&image, normalization)
                }
                None => cam::preprocess::normalize(&sample.image, normalization),
            })
            .collect();
        let labels: Vec<i64> = samples.iter().map(|s| s.label as i64).collect();
        Self {
            images: Tensor::from_data(
                TensorData::new(pixels, [samples.len(), 3, size, size]),
                device,
            ),
            labels: Tensor::from_ints(labels.as_slice(), device),
        }
    }
}
