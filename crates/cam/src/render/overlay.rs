//! Heatmaps and overlays, exactly as pytorch-grad-cam's `show_cam_on_image(use_rgb=True)`.

use image::{Rgb, RgbImage};

use super::jet_table::JET;

/// The share of the image in an overlay, pytorch-grad-cam's default.
pub const DEFAULT_IMAGE_WEIGHT: f32 = 0.5;

/// OpenCV's JET colour of a map value in `[0, 1]` (`uint8(255 * v)`, as `applyColorMap`).
pub fn jet(value: f32) -> [u8; 3] {
    JET[(255.0 * value.clamp(0.0, 1.0)) as u8 as usize]
}

/// The map coloured with JET, `width × height` from a row-major map.
pub fn heatmap(map: &[f32], width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb(jet(map[(y * width + x) as usize]))
    })
}

/// Blends the JET heatmap of `map` over `image` (same size):
/// `(1 - w) * heat + w * img`, rescaled so its maximum is 1, then to `u8`.
pub fn overlay(image: &RgbImage, map: &[f32], image_weight: f32) -> RgbImage {
    let (width, height) = image.dimensions();
    assert_eq!(
        map.len(),
        (width * height) as usize,
        "map and image sizes differ"
    );
    // A plain loop into one buffer: overlays are drawn for every shown image every epoch.
    let mut blended = Vec::with_capacity(map.len() * 3);
    for (pixel, &m) in image.as_raw().chunks_exact(3).zip(map) {
        let heat = jet(m);
        for c in 0..3 {
            blended.push(
                (1.0 - image_weight) * f32::from(heat[c]) / 255.0
                    + image_weight * f32::from(pixel[c]) / 255.0,
            );
        }
    }
    let max = blended.iter().copied().fold(f32::MIN, f32::max);
    let bytes = blended.iter().map(|v| (255.0 * (v / max)) as u8).collect();
    RgbImage::from_raw(width, height, bytes).expect("buffer matches dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jet_runs_from_dark_blue_to_dark_red_as_opencv() {
        assert_eq!(jet(0.0), [0, 0, 128]);
        assert_eq!(jet(1.0), [128, 0, 0]);
        assert_eq!(jet(-1.0), jet(0.0), "values are clamped");
    }

    #[test]
    fn overlay_blends_and_rescales_to_full_brightness() {
        let image = RgbImage::from_pixel(2, 1, Rgb([100, 100, 100]));
        // Photo only: the grey image is rescaled so that its maximum is 255.
        let photo = overlay(&image, &[0.0, 1.0], 1.0);
        assert!(photo.pixels().all(|p| p.0 == [255, 255, 255]));
        // Heatmap only: the JET colours, rescaled by the brightest channel (128 → 255).
        let heat = overlay(&image, &[0.0, 1.0], 0.0);
        assert_eq!(heat.get_pixel(0, 0).0, [0, 0, 255]);
        assert_eq!(heat.get_pixel(1, 0).0, [255, 0, 0]);
    }
}
