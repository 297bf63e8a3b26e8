//! Exact and near-duplicate images within and across the splits, found by perceptual hash as
//! CleanVision finds them (pHash: the 8×8 lowest frequencies of the image's DCT, each above or
//! below their median), on
//! the model's view of each image, hashed where the image is decoded anyway. A validation image
//! with a near-twin in training is leakage: its right answer says little.

use std::sync::LazyLock;

use image::RgbImage;
use image::imageops::FilterType;
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::relative_path;
use crate::data::Data;

/// Most differing bits of two 64-bit hashes that still make a near-duplicate. A resized,
/// re-encoded copy differs by 0 to 2 bits, distinct images of the generated dataset by 16 or
/// more (half of the bits on average); a test checks both.
pub const MAX_DISTANCE: u32 = 4;

static HASHER: LazyLock<Hasher<[u8; 8]>> = LazyLock::new(|| {
    HasherConfig::with_bytes_type::<[u8; 8]>()
        // The median, as pHash takes it: the mean of the lowest frequencies is the DC term's,
        // which leaves nearly every bit zero.
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .resize_filter(FilterType::Triangle)
        .to_hasher()
});

/// The 64-bit perceptual hash of an image.
pub fn fingerprint(image: &RgbImage) -> u64 {
    let hash: ImageHash<[u8; 8]> = HASHER.hash_image(image);
    u64::from_le_bytes(hash.into_inner())
}

/// One image of a duplicate pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// `train` or `val`.
    pub split: String,
    /// Index in its split.
    pub index: usize,
    /// The file, relative to its split's folder.
    pub path: String,
}

/// Two images whose hashes differ by at most [`MAX_DISTANCE`] bits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Duplicate {
    /// The first image (validation before training; lower index first within a split).
    pub first: Member,
    /// The second image.
    pub second: Member,
    /// Differing bits of their hashes (0: the same picture to the hash).
    pub distance: u32,
}

impl Duplicate {
    /// Whether the pair leaks a validation image into training.
    pub fn crosses_splits(&self) -> bool {
        self.first.split != self.second.split
    }
}

/// Every near-duplicate pair among `data`'s images, given their fingerprints in split order:
/// validation with training first, then within each split.
pub fn find(data: &Data, train: &[u64], val: &[u64]) -> Vec<Duplicate> {
    let member = |split: &str, index: usize| {
        let item = if split == "val" {
            data.val.item(index)
        } else {
            data.train.item(index)
        };
        Member {
            split: split.to_owned(),
            index,
            path: relative_path(&item.path, &data.root, split),
        }
    };
    let pairs = |a: &[u64], b: &[u64], same: bool| -> Vec<(usize, usize, u32)> {
        (0..a.len())
            .into_par_iter()
            .flat_map_iter(|i| {
                let from = if same { i + 1 } else { 0 };
                (from..b.len()).filter_map(move |j| {
                    let distance = (a[i] ^ b[j]).count_ones();
                    (distance <= MAX_DISTANCE).then_some((i, j, distance))
                })
            })
            .collect()
    };
    let mut found = Vec::new();
    for (first, second, a, b) in [
        ("val", "train", val, train),
        ("val", "val", val, val),
        ("train", "train", train, train),
    ] {
        for (i, j, distance) in pairs(a, b, first == second) {
            found.push(Duplicate {
                first: member(first, i),
                second: member(second, j),
                distance,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resized_copy_keeps_its_fingerprint_and_another_picture_does_not() {
        // Smooth shapes at several scales, as in photos (a flat blocky picture leaves many
        // frequencies at zero, whose bits are noise).
        let picture = RgbImage::from_fn(96, 96, |x, y| {
            let (x, y) = (f64::from(x), f64::from(y));
            let v = 128.0
                + 60.0 * (x * 0.07 + 1.0).sin() * (y * 0.05).cos()
                + 40.0 * ((x + 2.0 * y) * 0.03).sin()
                + 20.0 * (x * 0.21 - y * 0.13).cos();
            image::Rgb([v as u8, (255.0 - v) as u8, (v / 2.0) as u8])
        });
        let resized = image::imageops::resize(&picture, 80, 80, FilterType::CatmullRom);
        let flipped = image::imageops::flip_vertical(&picture);
        let (a, b, c) = (
            fingerprint(&picture),
            fingerprint(&resized),
            fingerprint(&flipped),
        );
        assert!(
            (a ^ b).count_ones() <= MAX_DISTANCE,
            "{}",
            (a ^ b).count_ones()
        );
        assert!(
            (a ^ c).count_ones() > MAX_DISTANCE,
            "{}",
            (a ^ c).count_ones()
        );
    }
}
