//! Occlusion: what a decision rests on, measured by hiding parts of the input (set to 0 in
//! normalized space, the dataset's mean colour) and watching the class probability.
//!
//! - [`object_reliance`]: the probability with only the object kept, and with only the
//!   background kept (needs an object mask). A model that still sees its class when the object
//!   is gone, and no longer when only the object is left, decides by the background.
//! - [`occlusion_drops`]: a square patch slides over the image; each position gets the relative
//!   drop of the class probability when that patch is hidden (Zeiler & Fergus's occlusion
//!   sensitivity). Unlike a Grad-CAM map at stride 16-32, it resolves a mark a few pixels wide.

use burn::prelude::*;
use image::GrayImage;
use models::Network;
use serde::Serialize;

use super::{class_probabilities, probabilities};

/// The class probability of one image with parts hidden.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectReliance {
    /// With everything but the object hidden.
    pub object_only: f32,
    /// With the object hidden.
    pub background_only: f32,
    /// Every class's probability with the object hidden: what the model makes of the
    /// background alone.
    pub background_classes: Vec<f32>,
}

/// [`ObjectReliance`] of normalized `images` `[N, 3, H, W]` for `classes`, with one object
/// mask per image (the images' size; > 127 is the object). Two batched forwards per image.
pub fn object_reliance(
    model: &dyn Network,
    images: Tensor<4>,
    masks: &[&GrayImage],
    classes: &[usize],
) -> Vec<ObjectReliance> {
    let [n, _, h, w] = images.dims();
    let inside: Vec<f32> = masks
        .iter()
        .flat_map(|m| m.as_raw().iter().map(|&v| f32::from(u8::from(v > 127))))
        .collect();
    let object = Tensor::<4>::from_data(TensorData::new(inside, [n, 1, h, w]), &images.device());
    let both = Tensor::cat(
        vec![
            images.clone() * object.clone(),
            images * (object.neg() + 1.0),
        ],
        0,
    );
    let p = class_probabilities(model, both);
    (0..n)
        .map(|i| ObjectReliance {
            object_only: p[i][classes[i]],
            background_only: p[n + i][classes[i]],
            background_classes: p[n + i].clone(),
        })
        .collect()
}

/// Occlusion sensitivity of normalized `images` `[N, 3, H, W]` for `classes`: for a `patch`-
/// pixel square at every `stride`, the class probability's relative drop `max(0, 1 - p'/p)`
/// when it is hidden. Returns `(rows, cols)` and, per image, the drops row-major.
pub fn occlusion_drops(
    model: &dyn Network,
    images: Tensor<4>,
    classes: &[usize],
    patch: usize,
    stride: usize,
) -> ([usize; 2], Vec<Vec<f32>>) {
    let [n, _, h, w] = images.dims();
    let positions = |side: usize| (side.saturating_sub(patch)) / stride + 1;
    let (rows, cols) = (positions(h), positions(w));
    let count = rows * cols;
    let mut keep = Vec::with_capacity(count * h * w);
    for r in 0..rows {
        for q in 0..cols {
            let (y0, x0) = (r * stride, q * stride);
            keep.extend((0..h * w).map(|p| {
                let (y, x) = (p / w, p % w);
                let hidden = (y0..y0 + patch).contains(&y) && (x0..x0 + patch).contains(&x);
                f32::from(u8::from(!hidden))
            }));
        }
    }
    let keep = Tensor::<4>::from_data(TensorData::new(keep, [count, 1, h, w]), &images.device());
    let full = probabilities(model, images.clone(), classes);
    let drops = (0..n)
        .map(|i| {
            let hidden = images.clone().narrow(0, i, 1) * keep.clone();
            probabilities(model, hidden, &vec![classes[i]; count])
                .into_iter()
                .map(|q| (1.0 - q / full[i].max(1e-12)).max(0.0))
                .collect()
        })
        .collect();
    ([rows, cols], drops)
}
