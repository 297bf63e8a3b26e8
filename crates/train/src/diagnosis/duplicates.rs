//! Exact and near-duplicate images within and across the splits, found by their perceptual
//! hashes ([`crate::data::fingerprint`], taken where the images are decoded anyway). A
//! validation image with a near-twin in training is leakage: its right answer says little.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::relative_path;
use crate::data::Data;
use crate::data::fingerprint::{Fingerprint, MAX_DISTANCE, distance};

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

/// The validation images with a near-twin in training, by index, each once.
pub fn validation_twins(duplicates: &[Duplicate]) -> Vec<usize> {
    let mut twins: Vec<usize> = (duplicates.iter())
        .filter(|d| d.crosses_splits())
        .map(|d| d.first.index)
        .collect();
    twins.sort_unstable();
    twins.dedup();
    twins
}

/// Every near-duplicate pair among `data`'s images, given their fingerprints in split order:
/// validation with training first, then within each split.
pub fn find(data: &Data, train: &[Fingerprint], val: &[Fingerprint]) -> Vec<Duplicate> {
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
    let pairs = |a: &[Fingerprint], b: &[Fingerprint], same: bool| -> Vec<(usize, usize, u32)> {
        (0..a.len())
            .into_par_iter()
            .flat_map_iter(|i| {
                let from = if same { i + 1 } else { 0 };
                (from..b.len()).filter_map(move |j| {
                    let distance = distance(&a[i], &b[j]);
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
