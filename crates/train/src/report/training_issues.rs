//! The run page's training images whose label looks wrong (area under the margin): every one in
//! `label_issues.json` after each epoch, and at the end of a run the most doubtful with their
//! maps for the given and the suggested class in `training-issues/` (a map pass each epoch
//! would cost about 1.5% of an epoch more).

use burn::prelude::*;
use cam::render::overlay::overlay;
use cam::{CamEngine, Targets};

use crate::data::{Batch, Data};
use crate::diagnosis::LabelIssue;
use crate::run_dir::RunDir;
use crate::writer::Writer;

/// Suspects the run page shows with their maps.
pub const SHOWN: usize = 24;

/// The folder of the shown suspects' pictures and maps, in the run's reports.
pub const FOLDER: &str = "training-issues";

/// Where the run page finds training image `index`'s `which` picture (`image`, `given`,
/// `suggested`).
pub fn picture(index: usize, which: &str) -> String {
    format!("{FOLDER}/{index:05}.{which}.png")
}

/// Writes `label_issues.json`: all of `issues`.
pub fn save(issues: &[LabelIssue], run: &RunDir) -> anyhow::Result<()> {
    let json = serde_json::to_vec_pretty(issues)?;
    atomic_write::write_bytes(&run.reports.join("label_issues.json"), &json)?;
    Ok(())
}

/// Has `writer` write the first [`SHOWN`] of `issues`' pictures with their given- and
/// suggested-class maps over them.
pub fn draw(
    engine: &CamEngine,
    data: &Data,
    issues: &[LabelIssue],
    run: &RunDir,
    writer: &Writer,
    device: &Device,
) -> anyhow::Result<()> {
    let shown = &issues[..issues.len().min(SHOWN)];
    if shown.is_empty() {
        return Ok(());
    }
    let indices: Vec<usize> = shown.iter().map(|s| s.index).collect();
    let samples = data.train.samples(&indices);
    let class = |name: &str| data.classes.iter().position(|c| c == name).unwrap_or(0);
    let targets = [
        Targets::Classes(shown.iter().map(|s| class(&s.given)).collect()),
        Targets::Classes(shown.iter().map(|s| class(&s.suggested)).collect()),
    ];
    let images = Batch::new(&samples, &data.normalization, device).images;
    let maps = engine.explain(images, &targets);
    for (j, (sample, issue)) in samples.iter().zip(shown).enumerate() {
        let file = |which: &str| run.reports.join(picture(issue.index, which));
        writer.png(file("image"), sample.image.clone());
        for (t, which) in ["given", "suggested"].into_iter().enumerate() {
            writer.png(file(which), overlay(&sample.image, maps.map(t, j), 0.5));
        }
    }
    Ok(())
}
