//! The embedded default dataset: five shape classes drawn on cluttered, noisy backgrounds,
//! each image with its object mask. Generated deterministically in about a second.
//!
//! Shapes vary in position, size, rotation and colour, backgrounds carry gradients, noise and
//! distractor strokes, and ring/circle and square/cross share silhouettes at low resolution, so
//! the model makes mistakes worth inspecting while still learning within a few epochs.

use std::f64::consts::PI;
use std::path::Path;

use anyhow::Context;
use image::{GrayImage, Luma, Rgb, RgbImage};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::folder::MASK_SUFFIX;

/// Class names (also their folder names, already in sorted order).
pub const CLASSES: [&str; 5] = ["circle", "cross", "ring", "square", "triangle"];

/// Side of the generated images.
pub const IMAGE_SIZE: u32 = 128;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Training images per class.
    pub train_per_class: usize,
    /// Validation images per class.
    pub val_per_class: usize,
    /// Seed; the same seed gives the same files.
    pub seed: u64,
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            train_per_class: 160,
            val_per_class: 40,
            seed: 0,
        }
    }
}

/// File written last; its presence means the dataset is complete.
const COMPLETE: &str = ".complete";

/// Whether `root` holds a completely generated dataset.
pub fn is_complete(root: &Path) -> bool {
    root.join(COMPLETE).is_file()
}

/// Writes the dataset to `root/{train,val}/<class>/NNNN.png` with `NNNN.mask.png` beside each.
pub fn generate(root: &Path, spec: Spec, progress: &ProgressBar) -> anyhow::Result<()> {
    let jobs: Vec<(&str, usize, usize)> =
        [("train", spec.train_per_class), ("val", spec.val_per_class)]
            .into_iter()
            .flat_map(|(split, n)| {
                (0..CLASSES.len()).flat_map(move |c| (0..n).map(move |i| (split, c, i)))
            })
            .collect();
    progress.set_length(jobs.len() as u64);
    jobs.par_iter().try_for_each(|&(split, class, index)| {
        let split_seed = if split == "train" { 0 } else { 1 << 32 };
        let seed = spec.seed ^ split_seed ^ ((class as u64) << 20) ^ index as u64;
        let (image, mask) = draw(class, &mut StdRng::seed_from_u64(seed));
        let dir = root.join(split).join(CLASSES[class]);
        let stem = format!("{index:04}");
        save(&image, &dir.join(format!("{stem}.png")))?;
        save(&mask, &dir.join(format!("{stem}{MASK_SUFFIX}")))?;
        progress.inc(1);
        anyhow::Ok(())
    })?;
    mobilenetv2::atomic::write_bytes(&root.join(COMPLETE), b"")?;
    Ok(())
}

fn save<P: image::PixelWithColorType>(
    image: &image::ImageBuffer<P, Vec<P::Subpixel>>,
    path: &Path,
) -> anyhow::Result<()>
where
    [P::Subpixel]: image::EncodableLayout,
{
    let mut bytes = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .context("PNG encoding")?;
    mobilenetv2::atomic::write_bytes(path, &bytes)?;
    Ok(())
}

/// Whether the point `(u, v)`, in the shape's own frame scaled to its radius, is inside.
fn inside(class: usize, u: f64, v: f64) -> bool {
    let d = (u * u + v * v).sqrt();
    match CLASSES[class] {
        "circle" => d <= 1.0,
        "ring" => (0.55..=1.0).contains(&d),
        "square" => u.abs() <= 0.8 && v.abs() <= 0.8,
        "cross" => (u.abs() <= 0.3 && v.abs() <= 1.0) || (v.abs() <= 0.3 && u.abs() <= 1.0),
        "triangle" => {
            // Equilateral, circumradius 1, apex up: three half-planes.
            (0..3).all(|k| {
                let angle = PI / 2.0 + 2.0 * PI * k as f64 / 3.0;
                u * -angle.cos() + v * -angle.sin() <= 0.5
            })
        }
        other => unreachable!("unknown class {other}"),
    }
}

fn random_colour(rng: &mut StdRng) -> [f64; 3] {
    std::array::from_fn(|_| rng.random_range(0.0..255.0))
}

fn luminance(c: [f64; 3]) -> f64 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

/// Draws one image of `class` and its mask.
fn draw(class: usize, rng: &mut StdRng) -> (RgbImage, GrayImage) {
    let size = f64::from(IMAGE_SIZE);
    let (a, b) = (random_colour(rng), random_colour(rng));
    let angle = rng.random_range(0.0..2.0 * PI);
    let (gx, gy) = (angle.cos(), angle.sin());
    let mut object = random_colour(rng);
    let background = luminance(a) / 2.0 + luminance(b) / 2.0;
    if (luminance(object) - background).abs() < 60.0 {
        object = object.map(|c| 255.0 - c);
    }
    let radius = rng.random_range(0.16..0.32) * size;
    let margin = radius + 2.0;
    let (cx, cy) = (
        rng.random_range(margin..size - margin),
        rng.random_range(margin..size - margin),
    );
    let rotation = rng.random_range(0.0..2.0 * PI);
    let strokes: Vec<([f64; 4], [f64; 3])> = (0..rng.random_range(2..5))
        .map(|_| {
            let line = std::array::from_fn(|_| rng.random_range(0.0..size));
            (line, random_colour(rng))
        })
        .collect();

    let mut image = RgbImage::new(IMAGE_SIZE, IMAGE_SIZE);
    let mut mask = GrayImage::new(IMAGE_SIZE, IMAGE_SIZE);
    for y in 0..IMAGE_SIZE {
        for x in 0..IMAGE_SIZE {
            let (fx, fy) = (f64::from(x), f64::from(y));
            let t = ((fx - size / 2.0) * gx + (fy - size / 2.0) * gy) / size + 0.5;
            let mut colour: [f64; 3] = std::array::from_fn(|c| a[c] * (1.0 - t) + b[c] * t);
            for (line, stroke) in &strokes {
                if distance_to_segment(fx, fy, line) < 1.5 {
                    colour = *stroke;
                }
            }
            let (dx, dy) = ((fx - cx) / radius, (fy - cy) / radius);
            let u = dx * rotation.cos() + dy * rotation.sin();
            let v = -dx * rotation.sin() + dy * rotation.cos();
            if inside(class, u, v) {
                colour = object;
                mask.put_pixel(x, y, Luma([255]));
            }
            let noise = rng.random_range(-24.0..24.0);
            image.put_pixel(
                x,
                y,
                Rgb(colour.map(|c| (c + noise).clamp(0.0, 255.0) as u8)),
            );
        }
    }
    (image, mask)
}

fn distance_to_segment(x: f64, y: f64, [x0, y0, x1, y1]: &[f64; 4]) -> f64 {
    let (dx, dy) = (x1 - x0, y1 - y0);
    let t = (((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy).max(1e-9)).clamp(0.0, 1.0);
    ((x - x0 - t * dx).powi(2) + (y - y0 - t * dy).powi(2)).sqrt()
}
