//! Attention drift: the true-class maps of the fixed probe images, epoch after epoch.
//!
//! Each epoch's probe maps are kept as `epoch-NNN/probes.npy` (`[probes, H, W]`); the drift of
//! an epoch is the mean absolute change of those maps since the previous epoch (0 = the model
//! looks where it looked, 1 = everywhere else), and `probes.png` shows each probe's overlay
//! across epochs.

use std::path::{Path, PathBuf};

use cam::render::figure::{Panel, grid};
use cam::render::overlay;
use image::RgbImage;

use crate::data::Data;
use crate::run_dir::{History, RunDir};

/// Most epochs shown in the strip (evenly spaced, always with the last).
const STRIP_EPOCHS: usize = 10;
/// Side of a strip thumbnail.
const THUMB: u32 = 112;

fn file(run: &RunDir, epoch: usize) -> PathBuf {
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

/// The figure of `probes.png`, to draw: one row per probe, its overlay at each shown epoch.
/// What it needs is gathered here; the maps are read and drawn when it is called.
pub fn strip(
    run: &RunDir,
    history: &History,
    data: &Data,
    probes: &[usize],
) -> impl FnOnce() -> RgbImage + Send + 'static {
    let epochs: Vec<usize> = history.epochs.iter().map(|e| e.epoch).collect();
    let step = epochs.len().div_ceil(STRIP_EPOCHS).max(1);
    let mut shown: Vec<(usize, PathBuf)> = epochs
        .iter()
        .rev()
        .step_by(step)
        .map(|&e| (e, file(run, e)))
        .collect();
    shown.reverse();
    let probes: Vec<(String, RgbImage)> = probes
        .iter()
        .map(|&index| {
            let sample = data.val.sample(index);
            (sample.short_name(), sample.image.clone())
        })
        .collect();
    let per_map = data.image_size * data.image_size;
    move || {
        let maps: Vec<(usize, Vec<f32>)> = shown
            .iter()
            .filter_map(|(e, path)| load(path).map(|m| (*e, m)))
            .collect();
        let rows: Vec<Vec<Panel>> = probes
            .iter()
            .enumerate()
            .map(|(p, (name, image))| {
                maps.iter()
                    .filter(|(_, m)| m.len() >= (p + 1) * per_map)
                    .map(|(epoch, m)| Panel {
                        title: format!("{name}\nepoch {epoch}"),
                        image: overlay::overlay(
                            image,
                            &m[p * per_map..(p + 1) * per_map],
                            overlay::DEFAULT_IMAGE_WEIGHT,
                        ),
                    })
                    .collect()
            })
            .collect();
        grid(&rows, THUMB)
    }
}
