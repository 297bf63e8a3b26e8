//! Bilinear resizing of pictures and maps: Pillow's filter (antialiased when shrinking),
//! SIMD-accelerated by `fast_image_resize`.

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::F32;
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;

fn options() -> ResizeOptions {
    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear))
}

/// `image` resized to `width × height`.
pub fn rgb(image: &RgbImage, (width, height): (u32, u32)) -> RgbImage {
    if image.dimensions() == (width, height) {
        return image.clone();
    }
    let mut out = RgbImage::new(width, height);
    Resizer::new()
        .resize(image, &mut out, &options())
        .expect("RGB to RGB, both at least one pixel");
    out
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
