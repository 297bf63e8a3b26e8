//! The image browsers' files, shared by the epoch pages' mistakes browser and the gallery: the
//! page script (`browser.js`), which filters, sorts, pages and enlarges images and lays each
//! heatmap over its picture at half opacity, as pytorch-grad-cam blends them (JET colours at
//! `MAP_SIDE` pixels, scaled smoothly by the page). The gallery's heatmaps are files
//! (`maps/NNNNN.pred.png`). The epoch pages' maps are in each epoch's data script
//! (`epoch-NNN/data.js`: every validation image's answer and small true-class map, and the
//! true- and predicted-class maps of its mistakes and fixes), which spares an epoch hundreds
//! of small files; the pictures the model saw are written once per run, before the first
//! epoch (`images/NNNNN.png`).

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use cam::render::overlay::heatmap;
use image::RgbImage;
use serde::Serialize;

use crate::data::Data;
use crate::progress::bar;
use crate::run_dir::RunDir;
use crate::writer::Writer;

/// Side of the true-class map kept per image and epoch for the history strip.
pub const HISTORY_MAP_SIDE: u32 = 16;

/// Side of the listed images' maps (the epoch pages' mistakes and changes, in `data.js`) and
/// of the gallery's heatmap files: finer than the maps of the usual layers (6×6 to 14×14),
/// which the page scales up smoothly.
pub const MAP_SIDE: u32 = 32;

/// The page script, written beside the pages.
pub const SCRIPT: &str = include_str!("../templates/browser.js");

/// One validation image in one epoch, as `data.js` holds it. Short keys: a history strip
/// loads this for every epoch.
#[derive(Clone, Debug, Serialize)]
pub struct ImageRecord {
    /// Validation index.
    pub i: usize,
    /// `<class folder>/<file>`.
    pub f: String,
    /// True class.
    pub l: usize,
    /// Predicted class.
    pub p: usize,
    /// Probability of the true class.
    pub pt: f32,
    /// Probability of the predicted class.
    pub pp: f32,
    /// Cross-entropy loss.
    pub loss: f32,
    /// Entropy of the true-class map (0 = focused, 1 = spread evenly).
    pub e: f64,
    /// IoU of the true-class map's top 20% with the object mask (images with masks).
    pub iou: Option<f64>,
    /// Whether the true-class map peaks on the object.
    pub hit: Option<bool>,
    /// The true-class map's share of mass on the object (images with masks).
    pub mo: Option<f64>,
    /// The epoch since which the image has been misclassified without a break.
    pub since: Option<usize>,
    /// `broken` (right in the previous epoch, wrong now) or `fixed` (the reverse).
    pub ch: Option<&'static str>,
    /// The true-class map, `HISTORY_MAP_SIDE²` bytes (255 = highest), base64.
    pub m: String,
    /// Listed images (mistakes and changes): the true-class map at `MAP_SIDE²`, as `m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mt: Option<String>,
    /// Mistakes: the predicted-class map at `MAP_SIDE²`, as `m`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mp: Option<String>,
    /// Whether confident learning doubts the image's label (the predicted class is the
    /// suggested one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub li: bool,
    /// The training image this one nearly duplicates, if any (`<class>/<file>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tw: Option<String>,
}

/// The data of one epoch page.
#[derive(Serialize)]
struct EpochData<'a> {
    epoch: usize,
    classes: &'a [String],
    map_side: u32,
    listed_map_side: u32,
    files: FilePatterns,
    images: &'a [ImageRecord],
}

/// `epoch-NNN/data.js` (every image's record), and the run's `browser.js`.
pub fn write_data(
    run: &RunDir,
    epoch: usize,
    classes: &[String],
    images: &[ImageRecord],
) -> anyhow::Result<()> {
    let data = EpochData {
        epoch,
        classes,
        map_side: HISTORY_MAP_SIDE,
        listed_map_side: MAP_SIDE,
        files: epoch_files(),
        images,
    };
    let json = serde_json::to_string(&data).context("JSON encoding")?;
    let script = format!("camwatch.epoch({json});\n");
    atomic_write::write_bytes(&run.epoch_reports(epoch).join("data.js"), script.as_bytes())?;
    atomic_write::write_bytes(&run.reports.join("browser.js"), SCRIPT.as_bytes())?;
    Ok(())
}

/// Where a browser finds image `{i}`'s picture, below the pictures' root (the run's reports,
/// or the gallery's folder); `{ext}` is `png` or `jpg`.
const PICTURE: &str = "images/{i}.{ext}";
/// Where a browser finds image `{i}`'s `{which}` heatmap (`true`, `pred` or `pred.LAYER`),
/// below its page's folder (an epoch's, or the gallery's).
const MAP: &str = "maps/{i}.{which}.png";

/// Where a page's script finds its pictures and maps: [`PICTURE`] and [`MAP`] relative to the
/// page, as the page's data script hands them to `browser.js`.
#[derive(Clone, Debug, Serialize)]
pub struct FilePatterns {
    picture: String,
    map: &'static str,
}

impl FilePatterns {
    /// For a page `up` below the pictures' root (`""` or `"../"`), pictures in `ext`.
    pub fn new(up: &str, ext: &str) -> Self {
        Self {
            picture: format!("{up}{}", PICTURE.replace("{ext}", ext)),
            map: MAP,
        }
    }
}

/// The picture of image `index` under the pictures' `root`, in format `ext` (`png`, `jpg`).
pub fn picture_path(root: &Path, index: usize, ext: &str) -> PathBuf {
    root.join(fill(&PICTURE.replace("{ext}", ext), index, ""))
}

/// A heatmap of image `index` in a page's folder (an epoch's or the gallery's); `which` is
/// `true`, `pred` or `pred.LAYER`.
pub fn heatmap_path(page_dir: &Path, index: usize, which: &str) -> PathBuf {
    page_dir.join(fill(MAP, index, which))
}

/// A pattern with `{i}` and `{which}` filled in, as `browser.js` fills them.
fn fill(pattern: &str, index: usize, which: &str) -> String {
    pattern
        .replace("{i}", &format!("{index:05}"))
        .replace("{which}", which)
}

/// The epoch pages' pictures: PNG, one folder up.
pub fn epoch_files() -> FilePatterns {
    FilePatterns::new("../", EPOCH_PICTURES)
}

/// The format of the validation pictures the epoch pages show.
pub const EPOCH_PICTURES: &str = "png";

/// Validation images decoded at once for [`write_pictures`].
const PICTURES_AT_ONCE: usize = 64;

/// Writes every validation image's picture as the model sees it, which the epoch pages show
/// (right answers too): once per run, before the first epoch, so that no epoch pays for
/// encoding them. A resumed run keeps those it has.
pub fn write_pictures(data: &Data, run: &RunDir) -> anyhow::Result<()> {
    let path = |index| picture_path(&run.reports, index, EPOCH_PICTURES);
    let missing: Vec<usize> = (0..data.val.len()).filter(|&i| !path(i).exists()).collect();
    let progress = bar(missing.len(), "pictures");
    let writer = Writer::new();
    for indices in missing.chunks(PICTURES_AT_ONCE) {
        for (&index, sample) in indices.iter().zip(data.val.samples(indices)) {
            writer.png(path(index), sample.image);
        }
        progress.inc(indices.len() as u64);
    }
    writer.finish().context("writing the validation pictures")?;
    progress.finish_and_clear();
    Ok(())
}

/// A `size` map in `[0, 1]` reduced to `MAP_SIDE²` values.
pub fn small_map(map: &[f32], size: [usize; 2]) -> Vec<f32> {
    shrink(map, size, MAP_SIDE)
}

/// The JET heatmap of a `MAP_SIDE²` map.
pub fn small_heatmap(map: &[f32]) -> RgbImage {
    heatmap(map, MAP_SIDE, MAP_SIDE)
}

/// A `size` map in `[0, 1]` reduced to `side²` bytes (255 = highest), base64: the form
/// `data.js` holds maps in, which the page colours and lays over the picture.
pub fn encoded_map(map: &[f32], size: [usize; 2], side: u32) -> String {
    let bytes: Vec<u8> = shrink(map, size, side)
        .into_iter()
        .map(|v| (255.0 * v.clamp(0.0, 1.0)).round() as u8)
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A `[height, width]` map resized to `side × side` (bilinear, antialiasing).
fn shrink(map: &[f32], size: [usize; 2], side: u32) -> Vec<f32> {
    vision::resize::map(map, size, (side, side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_map_keeps_where_a_map_peaks() {
        // A 96×96 map with its mass in the top-left quarter.
        let map: Vec<f32> = (0..96 * 96)
            .map(|p| if p % 96 < 48 && p / 96 < 48 { 1.0 } else { 0.0 })
            .collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded_map(&map, [96, 96], HISTORY_MAP_SIDE))
            .unwrap();
        assert_eq!(bytes.len(), (HISTORY_MAP_SIDE * HISTORY_MAP_SIDE) as usize);
        assert_eq!(bytes[0], 255);
        assert_eq!(*bytes.last().unwrap(), 0);
    }
}
