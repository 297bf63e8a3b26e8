//! The embedded default dataset: five texture classes on elliptic objects over camouflage
//! backgrounds, each image with its object mask. Generated deterministically in about a
//! second.
//!
//! Objects lie anywhere in the frame, edges and corners included, and vary in size, shape,
//! rotation, texture scale and colours. Backgrounds carry irregular blobs as edge-rich as the
//! textures, strokes and noise, so neither the centre of the frame nor its edges point at the
//! object. A third of the images hold a small distractor patch with another class's texture:
//! the mistakes it causes are worth inspecting, as a wrong prediction's heatmap sits on the
//! distractor, not the object.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::path::Path;

use anyhow::Context;
use image::{GrayImage, Luma, Rgb, RgbImage};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rayon::prelude::*;

use super::masks::MASK_SUFFIX;

/// Class names (also their folder names, already in sorted order).
pub const CLASSES: [&str; 5] = ["checker", "dots", "grid", "rings", "stripes"];

/// Side of the generated images.
pub const IMAGE_SIZE: u32 = 128;

/// Object radius (the longer half-axis) as a share of the side.
const OBJECT_RADIUS: std::ops::Range<f64> = 0.22..0.36;

/// How much of its radius an object may reach past the frame's edge.
const MAX_CLIPPED: f64 = 0.7;

/// What to generate.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// Training images per class.
    pub train_per_class: usize,
    /// Validation images per class.
    pub val_per_class: usize,
    /// Seed; the same seed gives the same files.
    pub seed: u64,
    /// A shortcut to plant in the training split.
    pub shortcut: Option<Shortcut>,
    /// What lies behind the objects.
    pub background: Background,
    /// The share of each class's images, per split, moved to another class's folder (the
    /// truth goes to [`LABEL_NOISE_FILE`]).
    pub label_noise: f64,
}

/// The file beside a dataset generated with label noise that lists the moved images.
pub const LABEL_NOISE_FILE: &str = "label_noise.json";

/// The truth about a dataset generated with label noise.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct LabelNoise {
    /// The share of each class's images moved, per split.
    pub rate: f64,
    /// The moved images.
    pub moved: Vec<MovedImage>,
}

/// An image written into another class's folder.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct MovedImage {
    /// `train` or `val`.
    pub split: String,
    /// The file, relative to its split's folder.
    pub path: String,
    /// The class its folder gives it.
    pub given: String,
    /// The class it shows.
    pub truth: String,
}

/// What lies behind the objects.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Background {
    /// Irregular blobs of two contrasting colours, as edge-rich as the textures: neither the
    /// frame's centre nor its edges point at the object. A model trained without augmentation
    /// memorizes these backgrounds instead of learning the textures.
    #[default]
    Camouflage,
    /// A smooth colour gradient: the object is the most edge-rich thing in the frame, so an
    /// edge map finds it, and a model learns the textures within a few epochs even without
    /// augmentation.
    Plain,
}

/// A spurious cue planted in the training images only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shortcut {
    /// A small square in a class-specific colour and corner on every training image of the
    /// first [`MARKED_CLASSES`] classes (the last class has none, so "no mark" names it);
    /// validation images get a random class's mark, so the mark predicts nothing there. A
    /// model that learns it looks at the corner, not the object.
    Watermark,
}

/// Classes whose training images carry a watermark: all but the last.
pub const MARKED_CLASSES: usize = CLASSES.len() - 1;

/// Watermark colours, one per marked class.
const MARK_COLOURS: [[f64; 3]; MARKED_CLASSES] = [
    [255.0, 0.0, 0.0],
    [0.0, 255.0, 0.0],
    [0.0, 0.0, 255.0],
    [255.0, 255.0, 0.0],
];

/// Side of the watermark at the generated size (24 px at 96): big enough that a model without
/// augmentation learns every class's mark within 4 epochs on any CPU setting (at 16 px, runs
/// differing only in thread count or resampling learned two to four of the four marks by
/// epoch 6).
const MARK_SIZE: u32 = 32;

/// Top-left corner of class `class`'s watermark: one of the four corners.
fn mark_position(class: usize) -> (u32, u32) {
    let far = IMAGE_SIZE - MARK_SIZE - 2;
    [(2, 2), (far, 2), (2, far), (far, far)][class]
}

/// Draws class `class`'s watermark on top of everything, an object in its corner included, and
/// takes its pixels out of the mask: the mark is not the object.
fn stamp(image: &mut RgbImage, mask: &mut GrayImage, class: usize) {
    let (x0, y0) = mark_position(class);
    for y in y0..y0 + MARK_SIZE {
        for x in x0..x0 + MARK_SIZE {
            image.put_pixel(x, y, Rgb(MARK_COLOURS[class].map(|c| c as u8)));
            mask.put_pixel(x, y, Luma([0]));
        }
    }
}

impl Default for Spec {
    fn default() -> Self {
        Self {
            train_per_class: 200,
            val_per_class: 40,
            seed: 0,
            shortcut: None,
            background: Background::Camouflage,
            label_noise: 0.0,
        }
    }
}

/// File written last; its presence means the dataset is complete.
const COMPLETE: &str = ".complete";

/// Whether `root` holds a completely generated dataset.
pub fn is_complete(root: &Path) -> bool {
    root.join(COMPLETE).is_file()
}

/// The class folder each image goes to under `spec`'s label noise, keyed by (split, class,
/// index): exactly `round(rate · n)` images of each class and split, each to a class drawn
/// uniformly from the others. The images themselves do not change.
fn moves(spec: &Spec) -> HashMap<(&'static str, usize, usize), usize> {
    let mut moves = HashMap::new();
    for (split, n) in [("train", spec.train_per_class), ("val", spec.val_per_class)] {
        for class in 0..CLASSES.len() {
            let stream = if split == "train" { 0 } else { 1 };
            let mut rng =
                StdRng::seed_from_u64(spec.seed ^ 0x6c61_6265_6c00 ^ (stream << 8) ^ class as u64);
            let count = (spec.label_noise * n as f64).round() as usize;
            for index in rand::seq::index::sample(&mut rng, n, count.min(n)) {
                let other = (class + rng.random_range(1..CLASSES.len())) % CLASSES.len();
                moves.insert((split, class, index), other);
            }
        }
    }
    moves
}

/// Writes the dataset to `root/{train,val}/<class>/NNNN.png` with `NNNN.mask.png` beside each
/// (with label noise, `NNNNN.png` numbered across the classes, so that moved files keep their
/// own names).
pub fn generate(root: &Path, spec: Spec, progress: &ProgressBar) -> anyhow::Result<()> {
    let moves = moves(&spec);
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
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut image, mut mask) = draw(class, spec.background, &mut rng);
        if spec.shortcut == Some(Shortcut::Watermark) {
            let mark = if split == "train" {
                (class < MARKED_CLASSES).then_some(class)
            } else {
                Some(rng.random_range(0..MARKED_CLASSES))
            };
            if let Some(mark) = mark {
                stamp(&mut image, &mut mask, mark);
            }
        }
        let given = moves.get(&(split, class, index)).copied().unwrap_or(class);
        let dir = root.join(split).join(CLASSES[given]);
        let stem = stem(&spec, split, class, index);
        save(&image, &dir.join(format!("{stem}.png")))?;
        save(&mask, &dir.join(format!("{stem}{MASK_SUFFIX}")))?;
        progress.inc(1);
        anyhow::Ok(())
    })?;
    if spec.label_noise > 0.0 {
        let mut moved: Vec<MovedImage> = (moves.iter())
            .map(|(&(split, class, index), &given)| MovedImage {
                split: split.to_owned(),
                path: format!(
                    "{}/{}.png",
                    CLASSES[given],
                    stem(&spec, split, class, index)
                ),
                given: CLASSES[given].to_owned(),
                truth: CLASSES[class].to_owned(),
            })
            .collect();
        moved.sort_by(|a, b| (&a.split, &a.path).cmp(&(&b.split, &b.path)));
        let truth = LabelNoise {
            rate: spec.label_noise,
            moved,
        };
        let json = serde_json::to_vec_pretty(&truth).context("JSON encoding")?;
        atomic_write::write_bytes(&root.join(LABEL_NOISE_FILE), &json)?;
    }
    atomic_write::write_bytes(&root.join(COMPLETE), b"")?;
    Ok(())
}

/// The file stem of image `index` of `class`: numbered within the class, or across the classes
/// where images may move between folders.
fn stem(spec: &Spec, split: &str, class: usize, index: usize) -> String {
    if spec.label_noise > 0.0 {
        let per_class = if split == "train" {
            spec.train_per_class
        } else {
            spec.val_per_class
        };
        format!("{:05}", class * per_class + index)
    } else {
        format!("{index:04}")
    }
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
    atomic_write::write_bytes(path, &bytes)?;
    Ok(())
}

/// The texture of `class` at `(u, v)`, pixels in the object's rotated frame, with period
/// `period`: `true` for the texture's first colour.
fn texture(class: usize, u: f64, v: f64, period: f64) -> bool {
    let (su, sv) = ((2.0 * PI * u / period).sin(), (2.0 * PI * v / period).sin());
    match CLASSES[class] {
        "checker" => su * sv > 0.0,
        "dots" => {
            let (du, dv) = (
                u.rem_euclid(period) - period / 2.0,
                v.rem_euclid(period) - period / 2.0,
            );
            (du * du + dv * dv).sqrt() < period * 0.3
        }
        "grid" => su.abs() < 0.35 || sv.abs() < 0.35,
        "rings" => (2.0 * PI * (u * u + v * v).sqrt() / period).sin() > 0.0,
        "stripes" => su > 0.0,
        other => unreachable!("unknown class {other}"),
    }
}

/// A textured ellipse: centre, half-axes, rotation, texture period and its two colours.
struct Patch {
    class: usize,
    centre: (f64, f64),
    axes: (f64, f64),
    rotation: f64,
    period: f64,
    colours: [[f64; 3]; 2],
}

impl Patch {
    fn random(class: usize, radius: f64, centre: (f64, f64), rng: &mut StdRng) -> Self {
        let colours = contrasting_colours(rng);
        Self {
            class,
            centre,
            axes: (radius, radius * rng.random_range(0.6..1.0)),
            rotation: rng.random_range(0.0..PI),
            period: rng.random_range(9.0..14.0),
            colours,
        }
    }

    /// The patch's colour at `(x, y)`, if the point is inside it.
    fn colour(&self, x: f64, y: f64) -> Option<[f64; 3]> {
        let (dx, dy) = (x - self.centre.0, y - self.centre.1);
        let u = dx * self.rotation.cos() + dy * self.rotation.sin();
        let v = -dx * self.rotation.sin() + dy * self.rotation.cos();
        let (a, b) = self.axes;
        if (u / a).powi(2) + (v / b).powi(2) > 1.0 {
            return None;
        }
        Some(self.colours[usize::from(!texture(self.class, u, v, self.period))])
    }
}

fn random_colour(rng: &mut StdRng) -> [f64; 3] {
    std::array::from_fn(|_| rng.random_range(0.0..255.0))
}

/// Two random colours at least 80 levels apart in luminance.
fn contrasting_colours(rng: &mut StdRng) -> [[f64; 3]; 2] {
    let first = random_colour(rng);
    let mut second = random_colour(rng);
    if (luminance(first) - luminance(second)).abs() < 80.0 {
        second = first.map(|c| 255.0 - c);
    }
    [first, second]
}

fn luminance(c: [f64; 3]) -> f64 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}

/// Draws one image of `class` and its mask. A third of the images also carry a small
/// distractor patch of another class's texture, away from the object: the mistakes it causes
/// show in the heatmaps.
///
/// The object lies anywhere in the frame, near edges and corners too (clipped by at most
/// [`MAX_CLIPPED`] of its radius): where it is says nothing of its class, and a map that only
/// looks at the middle of the frame points at it no more often than chance would.
fn draw(class: usize, background: Background, rng: &mut StdRng) -> (RgbImage, GrayImage) {
    let size = f64::from(IMAGE_SIZE);
    let background = match background {
        Background::Camouflage => Backdrop::Camouflage(Camouflage::random(rng)),
        Background::Plain => Backdrop::Gradient(Gradient::random(rng)),
    };
    let radius = rng.random_range(OBJECT_RADIUS) * size;
    let inset = radius * (1.0 - MAX_CLIPPED);
    let centre = (
        rng.random_range(inset..size - inset),
        rng.random_range(inset..size - inset),
    );
    let object = Patch::random(class, radius, centre, rng);
    let distractor = if rng.random_bool(1.0 / 3.0) {
        let other = (class + rng.random_range(1..CLASSES.len())) % CLASSES.len();
        let r = rng.random_range(0.1..0.14) * size;
        // A free spot inside the frame, clear of the object (none when the object fills it).
        let clear = radius + r + 2.0;
        let spot = (0..32)
            .map(|_| {
                (
                    rng.random_range(r + 2.0..size - r - 2.0),
                    rng.random_range(r + 2.0..size - r - 2.0),
                )
            })
            .find(|p| (p.0 - centre.0).hypot(p.1 - centre.1) > clear);
        spot.map(|spot| Patch::random(other, r, spot, rng))
    } else {
        None
    };
    let strokes: Vec<([f64; 4], [f64; 3])> = (0..rng.random_range(0..3))
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
            let mut colour = background.colour(fx, fy);
            for (line, stroke) in &strokes {
                if distance_to_segment(fx, fy, line) < 1.2 {
                    colour = *stroke;
                }
            }
            if let Some(c) = distractor.as_ref().and_then(|d| d.colour(fx, fy)) {
                colour = c;
            }
            if let Some(c) = object.colour(fx, fy) {
                colour = c;
                mask.put_pixel(x, y, Luma([255]));
            }
            let noise = rng.random_range(-12.0..12.0);
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

/// A drawn background: its colour at any point of the frame.
enum Backdrop {
    Camouflage(Camouflage),
    Gradient(Gradient),
}

impl Backdrop {
    fn colour(&self, x: f64, y: f64) -> [f64; 3] {
        match self {
            Self::Camouflage(c) => c.colour(x, y),
            Self::Gradient(g) => g.colour(x, y),
        }
    }
}

/// A linear gradient between two random colours, in a random direction.
struct Gradient {
    colours: [[f64; 3]; 2],
    direction: (f64, f64),
}

impl Gradient {
    fn random(rng: &mut StdRng) -> Self {
        let colours = [random_colour(rng), random_colour(rng)];
        let angle = rng.random_range(0.0..2.0 * PI);
        Self {
            colours,
            direction: angle.sin_cos(),
        }
    }

    fn colour(&self, x: f64, y: f64) -> [f64; 3] {
        let half = f64::from(IMAGE_SIZE) / 2.0;
        let t = ((x - half) * self.direction.1 + (y - half) * self.direction.0)
            / f64::from(IMAGE_SIZE)
            + 0.5;
        let [a, b] = self.colours;
        std::array::from_fn(|c| a[c] * (1.0 - t) + b[c] * t)
    }
}

/// The camouflage background: irregular blobs of two contrasting colours (thresholded value noise) over
/// the whole frame, with edges as dense as the objects' textures but no period. A map that
/// follows edges (the Sobel baseline) then finds the object no better than one that follows
/// the centre; the texture's regularity is what tells object from background.
struct Camouflage {
    /// Spacing of the noise lattice, in pixels: the blobs' size.
    cell: f64,
    /// Lattice values, `side × side`, in [0, 1).
    values: Vec<f64>,
    side: usize,
    colours: [[f64; 3]; 2],
    /// Noise level between the two colours.
    threshold: f64,
}

impl Camouflage {
    fn random(rng: &mut StdRng) -> Self {
        let cell = rng.random_range(12.0..20.0);
        let side = (f64::from(IMAGE_SIZE) / cell).ceil() as usize + 2;
        Self {
            cell,
            values: (0..side * side).map(|_| rng.random::<f64>()).collect(),
            side,
            colours: contrasting_colours(rng),
            threshold: rng.random_range(0.4..0.6),
        }
    }

    /// The background's colour at `(x, y)`: smoothstep-interpolated lattice noise, thresholded.
    fn colour(&self, x: f64, y: f64) -> [f64; 3] {
        let (gx, gy) = (x / self.cell, y / self.cell);
        let (ix, iy) = (gx.floor() as usize, gy.floor() as usize);
        let smooth = |t: f64| t * t * (3.0 - 2.0 * t);
        let (tx, ty) = (smooth(gx.fract()), smooth(gy.fract()));
        let value = |i: usize, j: usize| self.values[j * self.side + i];
        let top = value(ix, iy) * (1.0 - tx) + value(ix + 1, iy) * tx;
        let bottom = value(ix, iy + 1) * (1.0 - tx) + value(ix + 1, iy + 1) * tx;
        self.colours[usize::from(top * (1.0 - ty) + bottom * ty > self.threshold)]
    }
}
