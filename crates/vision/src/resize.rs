//! Bilinear resizing with Pillow's filter (antialiased when shrinking), which torchvision's
//! transforms use on PIL images: pictures with Pillow's own 8-bit fixed-point arithmetic, so
//! that a model sees the pixels it was trained on to the level; maps (floats) SIMD-accelerated
//! by `fast_image_resize`.

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::F32;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

fn options() -> ResizeOptions {
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
}

/// `image` resized to `width × height`, value for value as Pillow's
/// `Image.resize((width, height), Image.BILINEAR)` (its `Resample.c`, up to Pillow 12): a
/// horizontal pass, then a vertical one, each rounding to 8 bits with coefficients in 22-bit
/// fixed point. (`fast_image_resize` rounds its coefficients to fewer bits: a sixth of the
/// values of a photo came out one level off Pillow's. Pillow 13 runs the vertical pass first
/// for some shapes, which moves a few values by one level.)
pub fn rgb(image: &RgbImage, (width, height): (u32, u32)) -> RgbImage {
    assert!(width > 0 && height > 0, "resizing to an empty picture");
    let (in_width, in_height) = image.dimensions();
    if (in_width, in_height) == (width, height) {
        return image.clone();
    }
    let horizontal = Kernel::new(in_width as usize, width as usize);
    let vertical = Kernel::new(in_height as usize, height as usize);
    // Only the rows the vertical pass reads go through the horizontal one.
    let first = vertical.bounds[0].0;
    let last = vertical
        .bounds
        .last()
        .map_or(first, |&(start, len)| start + len);
    let rows = last - first;
    let (in_w, out_w) = (in_width as usize, width as usize);
    let source = image.as_raw();
    let mut across = vec![0u8; rows * out_w * 3];
    for y in 0..rows {
        let row = &source[(first + y) * in_w * 3..(first + y + 1) * in_w * 3];
        let out = &mut across[y * out_w * 3..(y + 1) * out_w * 3];
        for (x, pixel) in out.chunks_exact_mut(3).enumerate() {
            let (start, weights) = horizontal.taps(x);
            let mut sums = [ROUND; 3];
            for (k, &w) in weights.iter().enumerate() {
                let p = &row[(start + k) * 3..(start + k) * 3 + 3];
                for c in 0..3 {
                    sums[c] += i32::from(p[c]) * w;
                }
            }
            for c in 0..3 {
                pixel[c] = clip8(sums[c]);
            }
        }
    }
    let mut out = vec![0u8; out_w * height as usize * 3];
    for (y, row) in out.chunks_exact_mut(out_w * 3).enumerate() {
        let (start, weights) = vertical.taps(y);
        let start = start - first;
        for (i, value) in row.iter_mut().enumerate() {
            let mut sum = ROUND;
            for (k, &w) in weights.iter().enumerate() {
                sum += i32::from(across[(start + k) * out_w * 3 + i]) * w;
            }
            *value = clip8(sum);
        }
    }
    RgbImage::from_raw(width, height, out).expect("a buffer of the picture's size")
}

/// Fixed-point precision of Pillow's 8-bit resampling coefficients.
const PRECISION_BITS: u32 = 32 - 8 - 2;
/// Half a unit: sums start from it, so that the shift rounds.
const ROUND: i32 = 1 << (PRECISION_BITS - 1);

/// Pillow's `clip8`: a fixed-point sum to a byte, clamped.
fn clip8(sum: i32) -> u8 {
    if sum >= 255 << PRECISION_BITS {
        255
    } else if sum <= 0 {
        0
    } else {
        (sum >> PRECISION_BITS) as u8
    }
}

/// Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc` for the bilinear filter along one
/// axis: per output position, the first input index and the fixed-point weights of the inputs
/// from it on.
struct Kernel {
    bounds: Vec<(usize, usize)>,
    weights: Vec<i32>,
    size: usize,
}

impl Kernel {
    fn new(in_size: usize, out_size: usize) -> Self {
        let scale = in_size as f64 / out_size as f64;
        let filter_scale = scale.max(1.0);
        let support = filter_scale; // the bilinear filter's support is 1
        let size = support.ceil() as usize * 2 + 1;
        let mut bounds = Vec::with_capacity(out_size);
        let mut weights = vec![0; out_size * size];
        for (x, taps) in weights.chunks_exact_mut(size).enumerate() {
            let center = (x as f64 + 0.5) * scale;
            // Pillow rounds with a cast after adding 0.5, which truncates towards zero.
            let start = ((center - support + 0.5) as i64).max(0) as usize;
            let end = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            // As Pillow computes it, to the last bit: times the reciprocal, not divided.
            let reciprocal = 1.0 / filter_scale;
            let raw: Vec<f64> = (start..end)
                .map(|i| triangle((i as f64 - center + 0.5) * reciprocal))
                .collect();
            let total: f64 = raw.iter().sum();
            for (tap, w) in taps.iter_mut().zip(&raw) {
                let w = if total == 0.0 { *w } else { w / total };
                let fixed = w * f64::from(1u32 << PRECISION_BITS);
                *tap = if w < 0.0 {
                    (fixed - 0.5) as i32
                } else {
                    (fixed + 0.5) as i32
                };
            }
            bounds.push((start, end - start));
        }
        Self {
            bounds,
            weights,
            size,
        }
    }

    /// The first input index and the weights of output position `x`.
    fn taps(&self, x: usize) -> (usize, &[i32]) {
        let (start, len) = self.bounds[x];
        (start, &self.weights[x * self.size..x * self.size + len])
    }
}

/// The bilinear (triangle) filter.
fn triangle(x: f64) -> f64 {
    (1.0 - x.abs()).max(0.0)
}

/// A row-major `[height, width]` map resized to `width × height` values.
pub fn map(
    map: &[f32],
    [height, width]: [usize; 2],
    (to_width, to_height): (u32, u32),
) -> Vec<f32> {
    if [height, width] == [to_height as usize, to_width as usize] {
        return map.to_vec();
    }
    let pixels: Vec<F32> = map.iter().map(|&v| F32::new(v)).collect();
    let source = TypedImageRef::new(width as u32, height as u32, &pixels).expect("map of its size");
    let mut out = TypedImage::<F32>::new(to_width, to_height);
    Resizer::new()
        .resize_typed(&source, &mut out, &options())
        .expect("F32 to F32, both at least one pixel");
    out.pixels().iter().map(|p| p.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_constant_map_stays_constant_and_a_ramp_keeps_rising() {
        let constant = map(&[0.25; 4], [2, 2], (5, 3));
        assert_eq!(constant.len(), 15);
        assert!(constant.iter().all(|v| (v - 0.25).abs() < 1e-6));
        // Shrinking a left-to-right ramp keeps it rising.
        let ramp: Vec<f32> = (0..64).map(|p| (p % 8) as f32 / 7.0).collect();
        let small = map(&ramp, [8, 8], (4, 2));
        assert!(small[0] < small[1] && small[1] < small[2] && small[2] < small[3]);
    }
}
