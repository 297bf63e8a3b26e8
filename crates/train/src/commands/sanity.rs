//! The sanity check of `explain --sanity` and `gallery --sanity N` (see [`cam::sanity`]): the
//! cascade on the given pictures, its figure and numbers, and a verdict per method.

use std::path::Path;

use anyhow::Context;
use cam::sanity::{self, Cascade, Explainer, INSENSITIVE};
use cam::{Method, TargetLayer};
use image::RgbImage;
use models::Classifier as _;

use super::classifier::Classifier;
use crate::report::plots;

/// Seed of the freshly initialized weights the cascade swaps in.
const SEED: u64 = 0;

/// Runs the cascade of `methods` (at `layers`) and guided backpropagation on `pictures` (at the
/// model's input size); writes `sanity.png` and `sanity.json` into `out` and prints the
/// verdicts.
pub fn check(
    classifier: &Classifier,
    pictures: &[RgbImage],
    methods: &[Method],
    layers: &[TargetLayer],
    out: &Path,
) -> anyhow::Result<Cascade> {
    let images = vision::batch(
        pictures,
        &classifier.inputs.normalization,
        &classifier.device,
    );
    classifier.device.seed(SEED);
    let fresh = classifier.model.fresh(&classifier.device);
    let explainers: Vec<Explainer> = methods
        .iter()
        .map(|&m| Explainer::Cam(m))
        .chain([Explainer::GuidedBackprop])
        .collect();
    let cascade = sanity::cascade(&classifier.model, &fresh, images, &explainers, layers);
    cam::render::figure::save_png(&plots::sanity(&cascade), &out.join("sanity.png"))?;
    let json = serde_json::to_string_pretty(&cascade).context("JSON encoding")?;
    atomic_write::write_bytes(&out.join("sanity.json"), json.as_bytes())?;
    print(&cascade, pictures.len(), out);
    Ok(cascade)
}

/// One line per explainer: its similarity with the top half of the network random and with
/// all of it, and the verdict.
fn print(cascade: &Cascade, images: usize, out: &Path) {
    let half = cascade.verdict_step;
    let (head, lowest) = (&cascade.steps[1], &cascade.steps[half]);
    eprintln!(
        "sanity check on {images} image(s), the network re-initialized from the top ({}):",
        out.join("sanity.png").display()
    );
    for curve in &cascade.curves {
        let last = curve.spearman.len() - 1;
        let verdict = if curve.insensitive {
            format!(
                "INSENSITIVE to the model: its maps stay correlated (from {INSENSITIVE}) with the top half of the network random, so they show the image, not what the model learned"
            )
        } else {
            "depends on the model".to_owned()
        };
        eprintln!(
            "  {:<16} Spearman {:+.2} (SSIM {:.2}) with {head} to {lowest} random, {:+.2} ({:.2}) with all: {verdict}",
            curve.explainer,
            curve.spearman[half],
            curve.ssim[half],
            curve.spearman[last],
            curve.ssim[last],
        );
    }
}
