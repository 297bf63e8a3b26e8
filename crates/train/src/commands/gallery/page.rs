//! The gallery's page (`index.html`) and the paths of its files.

use askama::Template;
use cam::render::figure::safe_file_name;

use super::means::MeanMaps;
use super::{Gallery, Target};

/// Class `name`'s mean heatmap of `target`, relative to the gallery's folder.
pub fn mean_file(name: &str, target: Target) -> String {
    format!("means/{}.{}.png", safe_file_name(name), target.file_tag())
}

/// `index.html`: the summary, per-class counts and mean maps, and the browser's frame.
#[derive(Template)]
#[template(path = "gallery.html")]
struct GalleryPage {
    folder: String,
    summary: String,
    method: String,
    layers: String,
    labelled: bool,
    classes: Vec<ClassRow>,
    /// The sanity check's verdicts, when it ran.
    sanity: Vec<SanityRow>,
    /// What is random at the verdict: `classifier to features.10`, `fc to layer3.0`.
    sanity_half: String,
}

/// One explainer's line of the sanity check.
struct SanityRow {
    explainer: String,
    /// Spearman (SSIM) with the top half of the network random, and with all of it.
    half: String,
    all: String,
    insensitive: bool,
}

/// One class: its outcomes (labelled folders) and its mean maps.
struct ClassRow {
    name: String,
    /// Images of the class (labelled folders).
    images: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    precision: String,
    recall: String,
    /// Images predicted as the class, and the mean of their predicted-class maps.
    predicted: usize,
    mean_pred: Option<String>,
    /// The mean of the class's images' true-class maps (labelled folders).
    mean_true: Option<String>,
}

/// The page of `gallery`, whose mean maps are `means` (predicted, true).
pub fn render(gallery: &Gallery, means: &[MeanMaps; 2]) -> String {
    let classes = gallery
        .classes
        .iter()
        .enumerate()
        .map(|(c, name)| {
            let count =
                |f: &dyn Fn(&super::Record) -> bool| gallery.images.iter().filter(|r| f(r)).count();
            let tp = count(&|r| r.label == Some(c) && r.predicted == c);
            let fp = count(&|r| r.label.is_some_and(|l| l != c) && r.predicted == c);
            let fn_ = count(&|r| r.label == Some(c) && r.predicted != c);
            let share = |a: usize, b: usize| {
                if b == 0 {
                    "–".to_owned()
                } else {
                    format!("{:.1}%", 100.0 * a as f64 / b as f64)
                }
            };
            ClassRow {
                name: name.clone(),
                images: tp + fn_,
                tp,
                fp,
                fn_,
                precision: share(tp, tp + fp),
                recall: share(tp, tp + fn_),
                predicted: means[Target::Predicted.index()].count(c),
                mean_pred: (means[Target::Predicted.index()].count(c) > 0)
                    .then(|| mean_file(name, Target::Predicted)),
                mean_true: (means[Target::True.index()].count(c) > 0)
                    .then(|| mean_file(name, Target::True)),
            }
        })
        .collect();
    let page = GalleryPage {
        folder: gallery.folder.display().to_string(),
        summary: gallery.summary(),
        method: gallery.method.to_owned(),
        layers: gallery.layers.join(" + "),
        labelled: gallery.labelled,
        classes,
        sanity_half: gallery.sanity.as_ref().map_or_else(String::new, |cascade| {
            format!(
                "{} to {}",
                cascade.steps[1], cascade.steps[cascade.verdict_step]
            )
        }),
        sanity: gallery.sanity.as_ref().map_or_else(Vec::new, |cascade| {
            let half = cascade.verdict_step;
            cascade
                .curves
                .iter()
                .map(|c| {
                    let at =
                        |step: usize| format!("{:+.2} ({:.2})", c.spearman[step], c.ssim[step]);
                    SanityRow {
                        explainer: c.explainer.to_owned(),
                        half: at(half),
                        all: at(c.spearman.len() - 1),
                        insensitive: c.insensitive,
                    }
                })
                .collect()
        }),
    };
    page.render()
        .expect("pages hold only strings and numbers, which always format")
}
