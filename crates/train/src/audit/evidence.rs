//! The evidence figure of a flagged class: its mean Grad-CAM map, its mean occlusion map (if
//! any), then example overlays.

use cam::render::figure::{Panel, grid};
use cam::render::overlay;
use image::RgbImage;

use super::window::Measurement;

/// Side of each panel.
const CELL: u32 = 160;
/// Example overlays drawn.
const EXAMPLES: usize = 3;

/// The figure of `class` from its audited right answers (newest last), each map `size`.
pub fn figure(
    images: &[&Measurement],
    class: &str,
    size: [usize; 2],
    spot_map: Option<(Vec<f32>, [usize; 2])>,
) -> RgbImage {
    let [h, w] = size;
    let n = images.len() as f32;
    let mean: Vec<f32> = (0..h * w)
        .map(|p| images.iter().map(|m| m.map[p]).sum::<f32>() / n)
        .collect();
    let mut row = vec![Panel {
        title: format!("mean '{class}' Grad-CAM\n{} training images", images.len()),
        image: overlay::heatmap(&mean, w as u32, h as u32),
    }];
    if let Some((drops, [rows, cols])) = spot_map {
        let small = overlay::heatmap(&drops, cols as u32, rows as u32);
        row.push(Panel {
            title: "where hiding hurts\n(mean confidence drop)".to_owned(),
            image: image::imageops::resize(
                &small,
                w as u32,
                h as u32,
                image::imageops::FilterType::Nearest,
            ),
        });
    }
    row.extend(
        images
            .iter()
            .rev()
            .take(EXAMPLES)
            .enumerate()
            .map(|(k, m)| Panel {
                title: format!("'{class}' Grad-CAM\ntraining image {}", k + 1),
                image: overlay::overlay(&m.sample.image, &m.map, overlay::DEFAULT_IMAGE_WEIGHT),
            }),
    );
    grid(&[row], CELL)
}
