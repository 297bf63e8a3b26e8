//! `train gallery`: every image of a test folder classified and explained, as an offline HTML
//! gallery (filters, sorting, per-class mean heatmaps, an enlarged view) and as
//! `predictions.csv` and `gallery.json`.
//!
//! Images stream through in batches: decoded on worker threads ahead of the model, explained
//! for the predicted class (and the true class in labelled folders) in one engine pass, and
//! written by background threads. Memory holds a few batches and one small record per image.

mod means;
mod page;
mod record;

pub use record::Record;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use cam::metrics::MapStats;
use cam::render::npy::save_npy;
use cam::{CamEngine, Targets};
use models::Classifier as _;
use serde::Serialize;

use super::classifier::Classifier;
use super::sanity;
use crate::browser::{self, MAP_SIDE};
use crate::cli::GalleryArgs;
use crate::data::{
    Item, Prefetch, Sample, Skipped, TestFolder, decode_view, print_ignored, scan_test, sub_folders,
};
use crate::progress::bar;
use crate::writer::Writer;
use means::MeanMaps;
use record::CsvRow;

/// Batches decoded ahead of the model.
const AHEAD: usize = 2;

/// Everything `gallery.json` holds.
#[derive(Debug, Serialize)]
pub struct Gallery {
    /// The test folder.
    pub folder: PathBuf,
    /// Class names by index.
    pub classes: Vec<String>,
    /// Whether the images are labelled by class folders.
    pub labelled: bool,
    /// The CAM method.
    pub method: &'static str,
    /// Its target layers.
    pub layers: Vec<String>,
    /// Whether each layer's predicted-class map was drawn too (`--compare-layers`):
    /// `maps/NNNNN.pred.LAYER.png`.
    pub compare_layers: bool,
    /// Square input side.
    pub image_size: usize,
    /// One record per image, in path order.
    pub images: Vec<Record>,
    /// Files left out, each with its reason.
    pub skipped: Vec<Skipped>,
    /// Where the page finds each image's picture and maps.
    pub files: browser::FilePatterns,
    /// The model-parameter randomization test (`--sanity N`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sanity: Option<cam::sanity::Cascade>,
}

impl Gallery {
    /// How many images, and in labelled folders how many the model got right.
    pub fn summary(&self) -> String {
        let n = self.images.len();
        if !self.labelled {
            return format!("{n} unlabelled images");
        }
        let wrong = self
            .images
            .iter()
            .filter(|r| r.label != Some(r.predicted))
            .count();
        format!(
            "{n} images, {:.1}% right ({wrong} wrong)",
            100.0 * (n - wrong) as f64 / n.max(1) as f64
        )
    }
}

/// Which class a gallery map explains. The engine's targets, the mean maps and the map files
/// come in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The class the model predicts.
    Predicted,
    /// The image's class folder (labelled folders only).
    True,
}

impl Target {
    /// Both targets, in order.
    pub const ALL: [Target; 2] = [Target::Predicted, Target::True];

    /// The target's position among the engine's targets.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The target in file names (`NNNNN.pred.png`) and the page script.
    pub fn file_tag(self) -> &'static str {
        match self {
            Target::Predicted => "pred",
            Target::True => "true",
        }
    }
}

/// The format of the gallery's pictures.
const PICTURES: &str = "jpg";

/// Classifies and explains every image of `args.folder`; writes the gallery to `args.output`.
pub fn run(args: &GalleryArgs) -> anyhow::Result<()> {
    let gallery = build(args)?;
    println!(
        "{}; gallery {}, results {} and {}",
        gallery.summary(),
        args.output.join("index.html").display(),
        args.output.join("predictions.csv").display(),
        args.output.join("gallery.json").display()
    );
    for skip in &gallery.skipped {
        eprintln!("skipped {}: {}", skip.path.display(), skip.reason);
    }
    Ok(())
}

/// Does the work of [`run`] and returns what `gallery.json` holds.
pub fn build(args: &GalleryArgs) -> anyhow::Result<Gallery> {
    // A folder of as many class folders as the model has classes names them, as ImageFolder.
    let folders = sub_folders(&args.folder).ok();
    let classifier = Classifier::load(&args.classifier, folders.as_deref())?;
    let network = classifier.model.fold();
    let layers = classifier.layers(network.as_ref(), &args.layers, args.compare_layers)?;
    let folder = scan_test(&args.folder, classifier.names(), args.masks.as_deref())?;
    for dir in ["images", "maps", "means"] {
        let dir = args.output.join(dir);
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create output folder {}", dir.display()))?;
    }
    let engine = CamEngine::new(network.as_ref(), args.method, &layers);
    let TestFolder {
        items,
        labelled,
        mut skipped,
        ignored,
    } = folder;
    print_ignored(ignored);
    let items = Arc::new(items);
    let mut streaming = Streaming {
        args,
        classifier: &classifier,
        engine: &engine,
        labelled,
        writer: Writer::new(),
        means: [
            MeanMaps::new(classifier.names().len()),
            MeanMaps::new(classifier.names().len()),
        ],
        records: Vec::with_capacity(items.len()),
        sanity_indices: sanity_sample(items.len(), args.sanity.unwrap_or(0)),
        sanity_pictures: Vec::new(),
    };
    let progress = bar(items.len(), "gallery");
    for (batch, failed) in decoded(&items, args.batch_size.max(1), classifier.inputs.transform) {
        progress.inc((batch.len() + failed.len()) as u64);
        skipped.extend(failed);
        streaming.explain(&args.folder, batch)?;
    }
    progress.finish_and_clear();
    let Streaming {
        writer,
        means,
        records,
        sanity_pictures,
        ..
    } = streaming;
    let sanity = (!sanity_pictures.is_empty())
        .then(|| {
            sanity::check(
                &classifier,
                &sanity_pictures,
                &[args.method],
                &layers,
                &args.output,
            )
        })
        .transpose()?;
    for (target, means) in Target::ALL.iter().zip(&means) {
        for (class, name) in classifier.names().iter().enumerate() {
            if let Some(mean) = means.mean(class) {
                writer.png(
                    args.output.join(page::mean_file(name, *target)),
                    browser::small_heatmap(&mean),
                );
            }
        }
    }
    writer.finish()?;
    let gallery = Gallery {
        folder: args.folder.clone(),
        classes: classifier.names().to_vec(),
        labelled,
        method: args.method.name(),
        layers: layers.iter().map(ToString::to_string).collect(),
        compare_layers: args.compare_layers,
        image_size: classifier.size(),
        images: records,
        skipped,
        files: browser::FilePatterns::new("", PICTURES),
        sanity,
    };
    write_results(&args.output, &gallery, &means)?;
    Ok(gallery)
}

/// `n` indices spread evenly over `len` images (all of them when `n ≥ len`).
fn sanity_sample(len: usize, n: usize) -> Vec<usize> {
    let mut indices: Vec<usize> = (0..n.min(len)).map(|k| k * len / n.min(len)).collect();
    indices.dedup();
    indices
}

/// A batch of `(index, sample)`, with the files of the batch that failed to decode.
type DecodedBatch = (Vec<(usize, Sample)>, Vec<Skipped>);

/// The folder's images in batches of `batch_size`, decoded on worker threads ahead of the
/// model.
fn decoded(
    items: &Arc<Vec<Item>>,
    batch_size: usize,
    transform: vision::EvalTransform,
) -> Prefetch<DecodedBatch> {
    let items = Arc::clone(items);
    let batches = items.len().div_ceil(batch_size);
    Prefetch::new(0..batches, AHEAD, move |b| {
        use rayon::prelude::*;
        let range = b * batch_size..((b + 1) * batch_size).min(items.len());
        let results: Vec<(usize, Result<Sample, Skipped>)> = range
            .into_par_iter()
            .map(|i| (i, decode_view(&items[i], transform)))
            .collect();
        let (mut samples, mut failed) = (Vec::new(), Vec::new());
        for (i, result) in results {
            match result {
                Ok(sample) => samples.push((i, sample)),
                Err(skip) => failed.push(skip),
            }
        }
        (samples, failed)
    })
}

/// The streaming state: the model side and what accumulates over the batches.
struct Streaming<'a> {
    args: &'a GalleryArgs,
    classifier: &'a Classifier,
    engine: &'a CamEngine,
    labelled: bool,
    writer: Writer,
    /// Mean predicted-class maps by predicted class, and true-class maps by true class
    /// (in `Target` order).
    means: [MeanMaps; 2],
    records: Vec<Record>,
    /// The images the sanity check runs on (sorted), and their pictures as they come.
    sanity_indices: Vec<usize>,
    sanity_pictures: Vec<image::RgbImage>,
}

impl Streaming<'_> {
    /// Explains one batch of `(index, sample)` and queues its files.
    fn explain(&mut self, root: &Path, batch: Vec<(usize, Sample)>) -> anyhow::Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let classifier = self.classifier;
        // The pictures move out of their samples: the batch tensor, then the JPEG writer.
        let mut batch = batch;
        let images: Vec<image::RgbImage> = batch
            .iter_mut()
            .map(|(_, s)| std::mem::take(&mut s.image))
            .collect();
        let inputs = vision::batch(
            &images,
            &classifier.inputs.normalization,
            &classifier.device,
        );
        // In `Target` order.
        let mut targets = vec![Targets::Predicted];
        if self.labelled {
            targets.push(Targets::Classes(
                batch.iter().map(|(_, s)| s.label).collect(),
            ));
        }
        let explanation = self.engine.explain(inputs, &targets);
        let size = explanation.size;
        let out = &self.args.output;
        for (i, ((index, sample), image)) in batch.into_iter().zip(images).enumerate() {
            let label = self.labelled.then_some(sample.label);
            let small: Vec<Vec<f32>> = (0..targets.len())
                .map(|t| browser::small_map(explanation.map(t, i), size))
                .collect();
            for (map, target) in small.iter().zip(Target::ALL) {
                let class = explanation.classes[target.index()][i];
                self.means[target.index()].add(class, map);
                self.writer.png(
                    browser::heatmap_path(out, index, target.file_tag()),
                    browser::small_heatmap(map),
                );
            }
            if self.args.compare_layers {
                for layer in &explanation.layer_maps {
                    let map = layer.scaled(
                        explanation.image_count(),
                        Target::Predicted.index(),
                        i,
                        [MAP_SIDE as usize; 2],
                    );
                    let which = format!("{}.{}", Target::Predicted.file_tag(), layer.layer);
                    self.writer.png(
                        browser::heatmap_path(out, index, &which),
                        browser::small_heatmap(&map),
                    );
                }
            }
            if self.sanity_indices.binary_search(&index).is_ok() {
                self.sanity_pictures.push(image.clone());
            }
            self.writer
                .jpeg(browser::picture_path(out, index, PICTURES), image);
            let stats = MapStats::new(
                explanation.map(Target::Predicted.index(), i),
                sample.mask.as_ref(),
            );
            let path = sample.path.strip_prefix(root).unwrap_or(&sample.path);
            let record = Record::new(
                index,
                path.to_string_lossy().into_owned(),
                &explanation,
                i,
                label,
                self.args.top_k,
                stats,
            );
            let side = MAP_SIDE as usize;
            save_npy(
                &small.concat(),
                &[small.len(), side, side],
                &out.join(&record.npy),
            )?;
            self.records.push(record);
        }
        Ok(())
    }
}

/// `predictions.csv`, `gallery.json`, `data.js`, `browser.js` and `index.html`.
fn write_results(out: &Path, gallery: &Gallery, means: &[MeanMaps; 2]) -> anyhow::Result<()> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    for record in &gallery.images {
        csv.serialize(CsvRow::new(record, &gallery.classes))
            .context("CSV encoding")?;
    }
    let csv = csv.into_inner().context("CSV encoding")?;
    atomic_write::write_bytes(&out.join("predictions.csv"), &csv)?;
    let json = serde_json::to_string(gallery).context("JSON encoding")?;
    atomic_write::write_bytes(&out.join("gallery.json"), json.as_bytes())?;
    let script = format!("camwatch.gallery({json});\n");
    atomic_write::write_bytes(&out.join("data.js"), script.as_bytes())?;
    atomic_write::write_bytes(&out.join("browser.js"), browser::SCRIPT.as_bytes())?;
    atomic_write::write_bytes(
        &out.join("index.html"),
        page::render(gallery, means).as_bytes(),
    )?;
    Ok(())
}
