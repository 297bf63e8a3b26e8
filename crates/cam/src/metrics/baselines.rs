//! Sanity baselines: maps that know nothing about the model. A CAM worth its name beats them.

use image::RgbImage;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;

/// A trivial map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Baseline {
    /// Uniform noise (seeded).
    Random,
    /// A centred Gaussian (σ = a quarter of the side): "objects are in the middle".
    Gaussian,
    /// Sobel gradient magnitude of the image: "objects have edges".
    Sobel,
}

impl Baseline {
    /// Every baseline.
    pub const ALL: [Baseline; 3] = [Self::Random, Self::Gaussian, Self::Sobel];

    /// The baseline's name, as serialized.
    pub fn name(self) -> &'static str {
        match self {
            Self::Random => "random",
            Self::Gaussian => "gaussian",
            Self::Sobel => "sobel",
        }
    }
}

/// The baseline map for `image` (row-major, the image's size, scaled to `[0, 1]`).
pub fn baseline_map(baseline: Baseline, image: &RgbImage, seed: u64) -> Vec<f32> {
    let (w, h) = image.dimensions();
    let map: Vec<f32> = match baseline {
        Baseline::Random => {
            let mut rng = StdRng::seed_from_u64(seed);
            (0..w * h).map(|_| rng.random::<f32>()).collect()
        }
        Baseline::Gaussian => {
            let (cx, cy, sigma) = (
                (w as f32 - 1.0) / 2.0,
                (h as f32 - 1.0) / 2.0,
                w.min(h) as f32 / 4.0,
            );
            (0..h)
                .flat_map(|y| (0..w).map(move |x| (x, y)))
                .map(|(x, y)| {
                    (-((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)) / (2.0 * sigma * sigma))
                        .exp()
                })
                .collect()
        }
        Baseline::Sobel => {
            let gray = image::imageops::grayscale(image);
            let gx = filter3x3(
                &gray,
                [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]],
            );
            let gy = filter3x3(
                &gray,
                [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]],
            );
            gx.iter()
                .zip(&gy)
                .map(|(a, b)| (a * a + b * b).sqrt())
                .collect()
        }
    };
    let max = map.iter().copied().fold(0.0f32, f32::max);
    map.iter().map(|v| v / (max + 1e-7)).collect()
}

/// A 3×3 filter with replicated borders (`image::imageops::filter3x3` clamps to `u8`, which
/// loses the gradient's sign).
fn filter3x3(gray: &image::GrayImage, kernel: [[f32; 3]; 3]) -> Vec<f32> {
    let (w, h) = gray.dimensions();
    let at = |x: i64, y: i64| {
        f32::from(
            gray.get_pixel(
                x.clamp(0, w as i64 - 1) as u32,
                y.clamp(0, h as i64 - 1) as u32,
            )[0],
        )
    };
    (0..h as i64)
        .flat_map(|y| (0..w as i64).map(move |x| (x, y)))
        .map(|(x, y)| {
            let mut sum = 0.0;
            for (dy, row) in kernel.iter().enumerate() {
                for (dx, k) in row.iter().enumerate() {
                    sum += k * at(x + dx as i64 - 1, y + dy as i64 - 1);
                }
            }
            sum
        })
        .collect()
}
