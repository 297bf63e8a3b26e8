//! Each image's perceptual hash, as CleanVision finds near-duplicates (pHash: the lowest
//! frequencies of the image's DCT, each above or below their median; here 16×16 of them), on
//! the model's view of the image.

use std::sync::LazyLock;

use image::RgbImage;
use image::imageops::FilterType;
use image_hasher::{HashAlg, Hasher, HasherConfig, ImageHash};

/// Most differing bits of two 256-bit hashes that still make a near-duplicate. A resized,
/// re-encoded copy differs by up to 8 bits, distinct images of the generated dataset by 88 or
/// more (half of the bits on average); a test checks both. (The usual 64-bit hash put distinct
/// plain-background pictures with their objects in the same place 2 to 4 bits apart, as close
/// as copies.)
pub const MAX_DISTANCE: u32 = 20;

/// An image's 256-bit perceptual hash.
pub type Fingerprint = [u64; 4];

static HASHER: LazyLock<Hasher<[u8; 32]>> = LazyLock::new(|| {
    HasherConfig::with_bytes_type::<[u8; 32]>()
        .hash_size(16, 16)
        // The median, as pHash takes it: the mean of the lowest frequencies is the DC term's,
        // which leaves nearly every bit zero.
        .hash_alg(HashAlg::Median)
        .preproc_dct()
        .resize_filter(FilterType::Triangle)
        .to_hasher()
});

/// The perceptual hash of an image.
pub fn fingerprint(image: &RgbImage) -> Fingerprint {
    let hash: ImageHash<[u8; 32]> = HASHER.hash_image(image);
    let bytes = hash.into_inner();
    std::array::from_fn(|k| {
        u64::from_le_bytes(bytes[8 * k..8 * k + 8].try_into().expect("8 bytes"))
    })
}

/// The bits in which two fingerprints differ.
pub fn distance(a: &Fingerprint, b: &Fingerprint) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resized_copy_keeps_its_fingerprint_and_another_picture_does_not() {
        // Two pictures of the generated dataset (smooth synthetic pictures have flat spectra,
        // whose bits are noise).
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::data::synthetic::Spec {
            train_per_class: 1,
            val_per_class: 1,
            ..Default::default()
        };
        crate::data::synthetic::generate(dir.path(), spec, &indicatif::ProgressBar::hidden())
            .unwrap();
        let open = |path: &str| image::open(dir.path().join(path)).unwrap().to_rgb8();
        let (picture, other) = (open("train/dots/0000.png"), open("val/dots/0000.png"));
        let resized = image::imageops::resize(&picture, 100, 100, FilterType::CatmullRom);
        let (a, b, c) = (
            fingerprint(&picture),
            fingerprint(&resized),
            fingerprint(&other),
        );
        assert!(distance(&a, &b) <= MAX_DISTANCE, "{}", distance(&a, &b));
        assert!(distance(&a, &c) > 3 * MAX_DISTANCE, "{}", distance(&a, &c));
    }
}
