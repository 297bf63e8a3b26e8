//! Train-time augmentation: random resized crop and horizontal flip (torchvision's
//! `RandomResizedCrop(scale=(0.7, 1))` and `RandomHorizontalFlip()`).

use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Train-time augmentation settings.
#[derive(Clone, Copy, Debug)]
pub struct Augment {
    /// Smallest share of the image area a crop keeps.
    pub min_scale: f64,
}

impl Default for Augment {
    fn default() -> Self {
        Self { min_scale: 0.7 }
    }
}

impl Augment {
    /// Augments `image` (kept at its size), deterministically for a given `seed`.
    pub fn apply(&self, image: &RgbImage, seed: u64) -> RgbImage {
        let mut rng = StdRng::seed_from_u64(seed);
        let (w, h) = image.dimensions();
        let area = f64::from(w * h) * rng.random_range(self.min_scale..=1.0);
        let ratio = rng
            .random_range((3.0f64 / 4.0).ln()..=(4.0f64 / 3.0).ln())
            .exp();
        let cw = ((area * ratio).sqrt().round() as u32).clamp(1, w);
        let ch = ((area / ratio).sqrt().round() as u32).clamp(1, h);
        let x = rng.random_range(0..=w - cw);
        let y = rng.random_range(0..=h - ch);
        let crop = image::imageops::crop_imm(image, x, y, cw, ch).to_image();
        let resized = image::imageops::resize(&crop, w, h, image::imageops::FilterType::Triangle);
        if rng.random_bool(0.5) {
            image::imageops::flip_horizontal(&resized)
        } else {
            resized
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    #[test]
    fn augmentation_keeps_the_size_and_repeats_for_its_seed() {
        let image = RgbImage::from_fn(40, 30, |x, y| Rgb([x as u8 * 6, y as u8 * 8, 0]));
        let augment = Augment::default();
        let once = augment.apply(&image, 7);
        assert_eq!(once.dimensions(), (40, 30));
        assert_eq!(once, augment.apply(&image, 7));
        assert_ne!(once, augment.apply(&image, 8));
    }
}
