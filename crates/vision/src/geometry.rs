//! Geometry: how an image of any shape becomes the model's square input, torchvision's way, and
//! how its object mask follows it pixel for pixel.
//!
//! Every image first becomes its *base*: for [`Resize::Crop`] the short side resized to
//! `round(s · 256/224)` (aspect ratio kept, torchvision's `Resize(round(s·256/224))`), for
//! [`Resize::Squash`] the whole frame resized to `s × s`. Evaluation takes the centre `s × s` of
//! the base (`CenterCrop(s)`); training takes a [`RandomResizedCrop`] of the decoded image, as
//! torchvision takes it of the original. Images are resized with Pillow's bilinear filter
//! (antialiasing when shrinking), which torchvision's transforms use on PIL images.

use image::imageops::{FilterType, crop_imm, flip_horizontal, resize};
use image::{GrayImage, ImageBuffer, Pixel, RgbImage};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

/// How an image of any shape is fitted to the model's square input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resize {
    /// torchvision's classification recipe, which pretrained weights expect: for evaluation the
    /// short side is resized to `round(s · 256/224)` and the centre `s × s` cropped (aspect ratio
    /// kept); for training a random resized crop.
    #[default]
    Crop,
    /// The whole frame squashed to `s × s` (`Resize((s, s))`), for data where every pixel of the
    /// frame matters.
    Squash,
}

impl Resize {
    /// What checkpoints from before the field was recorded were trained with.
    pub fn legacy() -> Self {
        Self::Squash
    }
}

/// The evaluation transform of a model with `size × size` inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalTransform {
    /// The model's input side.
    pub size: usize,
    /// How the frame is fitted.
    pub resize: Resize,
}

/// A `(left, top, width, height)` rectangle of an image.
pub type Region = (u32, u32, u32, u32);

impl EvalTransform {
    /// The short side of the base image.
    pub fn base_side(&self) -> u32 {
        match self.resize {
            Resize::Crop => (self.size as f64 * 256.0 / 224.0).round() as u32,
            Resize::Squash => self.size as u32,
        }
    }

    /// The base's size for an image of `width × height`: torchvision truncates the long side.
    pub fn base_size(&self, (width, height): (u32, u32)) -> (u32, u32) {
        let side = self.base_side();
        match self.resize {
            Resize::Squash => (side, side),
            Resize::Crop if width <= height => (
                side,
                (u64::from(side) * u64::from(height) / u64::from(width)) as u32,
            ),
            Resize::Crop => (
                (u64::from(side) * u64::from(width) / u64::from(height)) as u32,
                side,
            ),
        }
    }

    /// The base of `image`: resized with a bilinear (antialiasing) filter.
    pub fn base(&self, image: &RgbImage) -> RgbImage {
        crate::resize::rgb(image, self.base_size(image.dimensions()))
    }

    /// The model's view of the mask of an image of `image_size`: the mask first takes the image's
    /// size, then the same resize and crop, nearest neighbour throughout so that it stays binary.
    pub fn apply_mask(&self, mask: &GrayImage, image_size: (u32, u32)) -> GrayImage {
        let mask = nearest(mask, image_size);
        self.crop(&nearest(&mask, self.base_size(image_size)))
    }

    /// The centre `size × size` of a base (`CenterCrop`, Python's round-half-to-even offsets).
    pub fn crop<P: Pixel + 'static>(
        &self,
        base: &ImageBuffer<P, Vec<P::Subpixel>>,
    ) -> ImageBuffer<P, Vec<P::Subpixel>> {
        let (left, top, width, height) = self.crop_region(base.dimensions());
        crop_imm(base, left, top, width, height).to_image()
    }

    /// Where the centre crop lies in a base of `width × height`.
    pub fn crop_region(&self, (width, height): (u32, u32)) -> Region {
        let side = self.size as u32;
        let offset =
            |extent: u32| (f64::from(extent.saturating_sub(side)) / 2.0).round_ties_even() as u32;
        (
            offset(width),
            offset(height),
            side.min(width),
            side.min(height),
        )
    }

    /// The model's view of `image`: its base, centre-cropped.
    pub fn apply(&self, image: &RgbImage) -> RgbImage {
        self.crop(&self.base(image))
    }

    /// The part of an original of `original` size that the model sees, in its pixels.
    pub fn seen_region(&self, original: (u32, u32)) -> Region {
        let base = self.base_size(original);
        let (left, top, width, height) = self.crop_region(base);
        let (sx, sy) = (
            f64::from(original.0) / f64::from(base.0),
            f64::from(original.1) / f64::from(base.1),
        );
        let scale = |v: u32, s: f64| (f64::from(v) * s).round() as u32;
        (
            scale(left, sx),
            scale(top, sy),
            scale(width, sx).max(1),
            scale(height, sy).max(1),
        )
    }
}

/// torchvision's `RandomResizedCrop(size, scale=(min_scale, 1), ratio=(3/4, 4/3))` followed by
/// `RandomHorizontalFlip()`, drawn from a seed so that a run repeats.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RandomResizedCrop {
    /// The output side.
    pub size: usize,
    /// The smallest share of the image's area a crop keeps.
    pub min_scale: f64,
}

impl RandomResizedCrop {
    /// A random crop of `image` resized to `size × size`, flipped half of the time.
    pub fn apply(&self, image: &RgbImage, seed: u64) -> RgbImage {
        let mut rng = StdRng::seed_from_u64(seed);
        let (left, top, width, height) = self.region(image.dimensions(), &mut rng);
        let crop = crop_imm(image, left, top, width, height).to_image();
        let side = self.size as u32;
        let out = crate::resize::rgb(&crop, (side, side));
        if rng.random_bool(0.5) {
            flip_horizontal(&out)
        } else {
            out
        }
    }

    /// torchvision's `get_params`: ten tries at a random area and aspect ratio that fit, then
    /// the centre crop at the nearest allowed ratio.
    fn region(&self, (width, height): (u32, u32), rng: &mut StdRng) -> Region {
        const RATIO: (f64, f64) = (3.0 / 4.0, 4.0 / 3.0);
        let area = f64::from(width) * f64::from(height);
        for _ in 0..10 {
            let target = area * rng.random_range(self.min_scale..=1.0);
            let ratio = rng.random_range(RATIO.0.ln()..=RATIO.1.ln()).exp();
            let w = (target * ratio).sqrt().round() as u32;
            let h = (target / ratio).sqrt().round() as u32;
            if (1..=width).contains(&w) && (1..=height).contains(&h) {
                let top = rng.random_range(0..=height - h);
                let left = rng.random_range(0..=width - w);
                return (left, top, w, h);
            }
        }
        let aspect = f64::from(width) / f64::from(height);
        let (w, h) = if aspect < RATIO.0 {
            (width, (f64::from(width) / RATIO.0).round() as u32)
        } else if aspect > RATIO.1 {
            ((f64::from(height) * RATIO.1).round() as u32, height)
        } else {
            (width, height)
        };
        ((width - w) / 2, (height - h) / 2, w, h)
    }
}

/// A mask resized to `width × height`, nearest neighbour so that it stays binary.
fn nearest(mask: &GrayImage, (width, height): (u32, u32)) -> GrayImage {
    if mask.dimensions() == (width, height) {
        mask.clone()
    } else {
        resize(mask, width, height, FilterType::Nearest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crop(size: usize) -> EvalTransform {
        EvalTransform {
            size,
            resize: Resize::Crop,
        }
    }

    #[test]
    fn base_keeps_the_aspect_ratio_and_truncates_the_long_side_as_torchvision() {
        // torchvision: Resize(256) of 500×375 is 341×256; of 375×500, 256×341.
        assert_eq!(crop(224).base_size((500, 375)), (341, 256));
        assert_eq!(crop(224).base_size((375, 500)), (256, 341));
        assert_eq!(crop(96).base_side(), 110);
        let squash = EvalTransform {
            size: 96,
            resize: Resize::Squash,
        };
        assert_eq!(squash.base_size((500, 375)), (96, 96));
    }

    #[test]
    fn centre_crop_rounds_half_to_even_as_python() {
        // (341 - 224) / 2 = 58.5 → 58; (257 - 224) / 2 = 16.5 → 16; (259 - 224) / 2 = 17.5 → 18.
        assert_eq!(crop(224).crop_region((341, 256)), (58, 16, 224, 224));
        assert_eq!(crop(224).crop_region((257, 259)), (16, 18, 224, 224));
    }

    #[test]
    fn masks_follow_their_images_pixel_for_pixel() {
        // An image whose right third is the object, and its mask at half the resolution.
        let image = RgbImage::from_fn(300, 200, |x, _| {
            image::Rgb([if x >= 200 { 255 } else { 0 }; 3])
        });
        let mask = GrayImage::from_fn(150, 100, |x, _| {
            image::Luma([if x >= 100 { 255 } else { 0 }])
        });
        let transform = crop(64);
        let seen = transform.apply(&image);
        let seen_mask = transform.apply_mask(&mask, image.dimensions());
        assert_eq!(seen.dimensions(), seen_mask.dimensions());
        let agree = seen
            .pixels()
            .zip(seen_mask.pixels())
            .filter(|(p, m)| (p[0] > 127) == (m[0] > 127))
            .count();
        assert!(
            agree as f64 >= 0.97 * f64::from(64 * 64),
            "{agree} of 4096 agree"
        );
        assert!(
            seen_mask.pixels().all(|m| m[0] == 0 || m[0] == 255),
            "masks stay binary"
        );
    }

    #[test]
    fn random_resized_crops_repeat_for_a_seed_and_respect_the_scale() {
        let image = RgbImage::from_fn(120, 80, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let augment = RandomResizedCrop {
            size: 32,
            min_scale: 0.08,
        };
        assert_eq!(augment.apply(&image, 3), augment.apply(&image, 3));
        assert_eq!(augment.apply(&image, 3).dimensions(), (32, 32));
        let mut rng = StdRng::seed_from_u64(0);
        for _ in 0..200 {
            let (left, top, w, h) = augment.region((120, 80), &mut rng);
            assert!(left + w <= 120 && top + h <= 80);
            let share = f64::from(w * h) / 9600.0;
            assert!((0.06..=1.0).contains(&share), "{share}");
        }
    }

    #[test]
    fn the_seen_region_maps_the_crop_back_to_the_original() {
        // 1000×500 → base 220×110 at 96 px, 1/4.545 of the original; the centre 96×96 starts
        // at (62, 7) of the base.
        assert_eq!(crop(96).seen_region((1000, 500)), (282, 32, 436, 436));
    }
}
