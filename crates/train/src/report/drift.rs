//! Attention drift: the true-class maps of the fixed probe images, epoch after epoch.
//!
//! Each epoch's probe maps are kept as `epoch-NNN/probes.npy` (`[probes, H, W]`); the drift of
//! an epoch is the mean absolute change of those maps since the previous epoch (0 = the model
//! looks where it looked, 1 = everywhere else), and `probes.png` shows each probe's overlay
//! across epochs.

use std::path::Path;

use cam::render::figure::{Panel, grid};
use cam::render::overlay;
use image::RgbImage;

use crate::data::Data;
use crate::run_dir::{History, RunDir};

/// Most epochs shown in the strip (evenly spaced, always with the last).
const STRIP_EPOCHS: usize = 10;
/// Side of a strip thumbnail.
const THUMB: u32 = 112;

fn file(run: &RunDir, epoch: usize) -> std::path::PathBuf {
    run.reports
        .join(format!("epoch-{epoch:03}"))
        .join("probes.npy")
}

/// Saves this epoch's probe maps (each `size[0] × size[1]`).
pub fn save(run: &RunDir, epoch: usize, maps: &[Vec<f32>], size: [usize; 2]) -> anyhow::Result<()> {
    let flat: Vec<f32> = maps.concat();
    cam::render::npy::save_npy(&flat, &[maps.len(), size[0], size[1]], &file(run, epoch))?;
    Ok(())
}

fn load(path: &Path) -> Option<Vec<f32>> {
    let bytes = std::fs::read(path).ok()?;
    npyz::NpyFile::new(&bytes[..]).ok()?.into_vec::<f32>().ok()
}

/// Mean absolute change of the probe maps since the previous epoch (`None` for the first).
pub fn since_previous(run: &RunDir, epoch: usize) -> Option<f64> {
    let previous = load(&file(run, epoch.checked_sub(1)?))?;
    let current = load(&file(run, epoch))?;
    (previous.len() == current.len() && !current.is_empty()).then(|| {
        previous
            .iter()
            .zip(&current)
            .map(|(a, b)| f64::from((a - b).abs()))
            .sum::<f64>()
            / current.len() as f64
    })
}

/// The figure of `probes.png`: one row per probe, its overlay at each shown epoch.
pub fn strip(run: &RunDir, history: &History, data: &Data, probes: &[usize]) -> RgbImage {
    let epochs: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
    let step = epochs.len().div_ceil(STRIP_EPOCHS).max(1);
    let mut shown: Vec<usize> = epochs.iter().rev().step_by(step).copied().collect();
    shown.reverse();
    let maps: Vec<(usize, Vec<f32>)> = shown
        .iter()
        .filter_map(|&e| load(&file(run, e)).map(|m| (e, m)))
        .collect();
    let size = data.image_size;
    let per_map = size * size;
    let rows: Vec<Vec<Panel>> = probes
        .iter()
        .enumerate()
        .map(|(p, &index)| {
            let sample = data.val.sample(index);
            maps.iter()
                .filter(|(_, m)| m.len() >= (p + 1) * per_map)
                .map(|(epoch, m)| Panel {
                    title: format!("{}\nepoch {epoch}", sample.short_name()),
                    image: overlay::overlay(
                        &sample.image,
                        &m[p * per_map..(p + 1) * per_map],
                        overlay::DEFAULT_IMAGE_WEIGHT,
                    ),
                })
                .collect()
        })
        .collect();
    grid(&rows, THUMB)
}
