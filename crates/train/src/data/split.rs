//! One split's images (training or validation): checked up front, then decoded on demand or
//! once into memory.

use std::sync::{Mutex, OnceLock};

use burn_dataset::{Dataset, DatasetError};
use image::RgbImage;
use indicatif::ProgressBar;
use rayon::prelude::*;

use vision::EvalTransform;

use super::decode::{decode, decode_crop_source, keeps_original};
use super::fingerprint::{Fingerprint, fingerprint};
use super::{Item, Sample, Skipped};

/// A split's samples, in a fixed order: indices are stable across epochs and resumes.
pub struct Split {
    items: Vec<Item>,
    transform: EvalTransform,
    /// Whether this is the training split, whose samples keep their crop source.
    training: bool,
    /// Every sample decoded, with `--cache memory`.
    cache: Option<Vec<Sample>>,
    /// Files that passed the check but failed to decode later, each reported once.
    failed: Mutex<Vec<Skipped>>,
    /// Each sample's perceptual hash, taken the first time it is decoded.
    fingerprints: Vec<OnceLock<Fingerprint>>,
}

impl Split {
    /// Samples decoded from disk whenever they are needed.
    pub(super) fn streamed(items: Vec<Item>, transform: EvalTransform, training: bool) -> Self {
        Self {
            fingerprints: items.iter().map(|_| OnceLock::new()).collect(),
            items,
            transform,
            training,
            cache: None,
            failed: Mutex::new(Vec::new()),
        }
    }

    /// Samples decoded once, in parallel, and kept in memory; files that fail are left out and
    /// returned.
    pub(super) fn cached(
        items: Vec<Item>,
        transform: EvalTransform,
        training: bool,
        progress: &ProgressBar,
    ) -> (Self, Vec<Skipped>) {
        // Each image is hashed as it is decoded, for the duplicates the monitor looks for.
        let results: Vec<Result<(Sample, Fingerprint), Skipped>> = items
            .par_iter()
            .map(|item| {
                let sample = decode(item, transform, training);
                progress.inc(1);
                sample.map(|s| {
                    let hash = fingerprint(&s.image);
                    (s, hash)
                })
            })
            .collect();
        let (mut kept, mut samples, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        let mut hashes = Vec::new();
        for (item, result) in items.into_iter().zip(results) {
            match result {
                Ok((sample, hash)) => {
                    kept.push(item);
                    samples.push(sample);
                    hashes.push(OnceLock::from(hash));
                }
                Err(skip) => skipped.push(skip),
            }
        }
        let mut split = Self::streamed(kept, transform, training);
        split.cache = Some(samples);
        split.fingerprints = hashes;
        (split, skipped)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the split has no samples.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The file, label and mask of sample `index`.
    pub fn item(&self, index: usize) -> &Item {
        &self.items[index]
    }

    /// Labels in sample order.
    pub fn labels(&self) -> impl Iterator<Item = usize> + '_ {
        self.items.iter().map(|item| item.label)
    }

    /// Sample `index`, from memory or decoded now. A file that fails now (it changed since the
    /// check, or its data is damaged past its header) is reported once and stands in as a
    /// grey image, so batches and indices keep their shape.
    pub fn sample(&self, index: usize) -> Sample {
        if let Some(cache) = &self.cache {
            return cache[index].clone();
        }
        let item = &self.items[index];
        match decode(item, self.transform, self.training) {
            Ok(sample) => {
                self.fingerprints[index].get_or_init(|| fingerprint(&sample.image));
                sample
            }
            Err(skip) => self.failed_now(skip, item),
        }
    }

    /// The image training crops of sample `index` come from, and its label: from memory, or
    /// decoded now without the evaluation view (a file that fails is handled as in
    /// [`Split::sample`]).
    pub fn crop_source(&self, index: usize) -> (RgbImage, usize) {
        let item = &self.items[index];
        let image = match &self.cache {
            Some(cache) => {
                let sample = &cache[index];
                sample.original.as_ref().unwrap_or(&sample.image).clone()
            }
            None => match decode_crop_source(item, self.transform) {
                Ok(image) => {
                    // Hashed on the model's view, as validation images are.
                    self.fingerprints[index].get_or_init(|| {
                        fingerprint(&if keeps_original(self.transform, self.training) {
                            self.transform.apply(&image)
                        } else {
                            image.clone()
                        })
                    });
                    image
                }
                Err(skip) => self.failed_now(skip, item).image,
            },
        };
        (image, item.label)
    }

    /// Every sample's perceptual hash: those not yet decoded are decoded and hashed now, in
    /// parallel.
    pub fn fingerprints(&self) -> Vec<Fingerprint> {
        (0..self.len())
            .into_par_iter()
            .map(|i| {
                if let Some(&known) = self.fingerprints[i].get() {
                    return known;
                }
                // Decoding sets it, unless the file failed (then its grey stand-in's).
                let hash = fingerprint(&self.sample(i).image);
                *self.fingerprints[i].get_or_init(|| hash)
            })
            .collect()
    }

    /// The crop sources of the samples at `indices`, decoded in parallel.
    pub fn crop_sources(&self, indices: &[usize]) -> Vec<(RgbImage, usize)> {
        indices.par_iter().map(|&i| self.crop_source(i)).collect()
    }

    /// Reports a file that failed after the check (once) and returns its grey stand-in.
    fn failed_now(&self, skip: Skipped, item: &Item) -> Sample {
        let mut failed = self.failed.lock().expect("no panics while locked");
        if !failed.iter().any(|f| f.path == skip.path) {
            eprintln!(
                "warning: {} failed to decode after the check ({}); it is used as a grey image until replaced",
                skip.path.display(),
                skip.reason
            );
            failed.push(skip);
        }
        self.grey(item)
    }

    /// The samples at `indices`, decoded in parallel.
    pub fn samples(&self, indices: &[usize]) -> Vec<Sample> {
        indices.par_iter().map(|&i| self.sample(i)).collect()
    }

    /// Files that failed to decode after the check.
    pub fn failed(&self) -> Vec<Skipped> {
        self.failed.lock().expect("no panics while locked").clone()
    }

    /// A mid-grey stand-in for `item` (crops come from its view).
    fn grey(&self, item: &Item) -> Sample {
        let side = self.transform.size as u32;
        Sample {
            image: RgbImage::from_pixel(side, side, image::Rgb([128; 3])),
            original: None,
            label: item.label,
            mask: None,
            path: item.path.clone(),
        }
    }
}

/// burn's dataset view (shuffles, selections); like `InMemDataset`, an index out of bounds
/// panics.
impl Dataset<Sample> for Split {
    fn get(&self, index: usize) -> Result<Sample, DatasetError> {
        Ok(self.sample(index))
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}
