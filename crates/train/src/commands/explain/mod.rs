//! `train explain`: predictions and class activation maps for single images.
//!
//! [`report()`] does the work, one engine pass per method; `outputs` writes each image's files,
//! `report` holds the typed result that `--json` prints, and `text` prints it for people.

mod outputs;
mod report;
mod text;

pub use report::{BaselineScores, ExplainReport, ImageReport, MapMetrics, MapReport, Prediction};

use std::path::PathBuf;

use anyhow::{Context, bail};
use burn::prelude::*;
use cam::guided::GuidedBackprop;
use cam::metrics::{Baseline, MapStats, baseline_map, faithfulness};
use cam::{CamEngine, Explanation, Targets};
use image::{GrayImage, RgbImage};
use models::{Classifier as _, Network};

use super::classifier::{Classifier, Inputs};
use super::sanity;
use crate::cli::ExplainArgs;
use outputs::{Image, Pass};

/// Explains every image with every method; writes figures, overlays and `.npy` maps.
pub fn run(args: &ExplainArgs) -> anyhow::Result<()> {
    let report = report(args)?;
    if args.json {
        // Through a `Value`: its keys are sorted and its numbers `f64`.
        let value = serde_json::to_value(&report).context("JSON encoding")?;
        let json = serde_json::to_string_pretty(&value).context("JSON encoding")?;
        println!("{json}");
    } else {
        text::print(&report);
    }
    Ok(())
}

/// Does the work of `run` and returns what `--json` prints: per image its predictions and,
/// per method and class, the written files, the empty-map flag and (`--metrics`) the scores.
pub fn report(args: &ExplainArgs) -> anyhow::Result<ExplainReport> {
    let classifier = Classifier::load(&args.classifier, None)?;
    let Classifier { model, device, .. } = &classifier;
    let Inputs {
        names,
        transform,
        normalization,
        ..
    } = &classifier.inputs;
    let size = classifier.size();
    // One inference copy of the model serves every method, guided backprop and the scores.
    let folded = model.fold();
    let layers = classifier.layers(folded.as_ref(), &args.layers, args.compare_layers)?;
    let classes = args
        .classes
        .iter()
        .map(|c| resolve_class(c, names))
        .collect::<anyhow::Result<Vec<usize>>>()?;
    let photos = args
        .images
        .iter()
        .map(|p| vision::load_rgb(p))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs: Vec<RgbImage> = photos.iter().map(|p| transform.apply(p)).collect();
    // The part of each photo the model sees, at the photo's resolution, for the overlays.
    let originals: Vec<RgbImage> = photos
        .iter()
        .map(|p| {
            let (left, top, width, height) = transform.seen_region(p.dimensions());
            image::imageops::crop_imm(p, left, top, width, height).to_image()
        })
        .collect();
    // Object masks (`--masks`, or `NAME.mask.png` beside) give the localization scores.
    let finder = crate::data::MaskFinder::new(args.masks.as_deref())?;
    let masks: Vec<Option<GrayImage>> = args
        .images
        .iter()
        .zip(&photos)
        .map(|(p, photo)| {
            let mask = vision::load_mask(&finder.find_loose(p)?);
            let mask = mask.inspect_err(|e| {
                eprintln!("warning: {e}; {} is scored without its mask", p.display())
            });
            Some(transform.apply_mask(&mask.ok()?, photo.dimensions()))
        })
        .collect();
    let batch = vision::batch(&inputs, normalization, device);
    let n = inputs.len();
    let targets: Vec<Targets> = if classes.is_empty() {
        vec![Targets::Predicted]
    } else {
        classes
            .iter()
            .map(|&c| Targets::Classes(vec![c; n]))
            .collect()
    };
    let scorer = Scorer {
        model: folded.as_ref(),
        batch: &batch,
        masks: &masks,
    };
    let stems = output_stems(&args.images);
    let pictures: Vec<Image<'_>> = stems
        .iter()
        .enumerate()
        .map(|(i, stem)| Image {
            index: i,
            stem,
            input: &inputs[i],
            original: &originals[i],
        })
        .collect();

    let mut passes = args.methods.iter().map(|&method| {
        let engine = CamEngine::new(folded.as_ref(), method, &layers);
        let explanation = engine.explain(batch.clone(), &targets);
        (engine, explanation)
    });
    // Predictions, guided gradients and baseline scores come from the first pass: the classes
    // the targets resolve to depend on the model, not on the method.
    let (engine, explanation) = passes.next().context("no CAM method to explain with")?;
    let guided = args.guided.then(|| {
        GuidedBackprop::new(folded.as_ref()).gradients(batch.clone(), &explanation.classes)
    });
    let baselines: Vec<Option<BaselineScores>> = if args.metrics {
        scorer
            .baselines(&inputs, &explanation.classes, names)
            .into_iter()
            .map(Some)
            .collect()
    } else {
        vec![None; n]
    };
    let mut images: Vec<ImageReport> = args
        .images
        .iter()
        .zip(baselines)
        .enumerate()
        .map(|(i, (path, baselines))| ImageReport {
            path: path.clone(),
            predictions: predictions(&explanation, i, names, args.top_k),
            maps: Vec::new(),
            baselines,
        })
        .collect();

    for (engine, explanation) in std::iter::once((engine, explanation)).chain(passes) {
        // `[K][N]` scores of the pass's maps.
        let metrics: Option<Vec<Vec<MapMetrics>>> = args.metrics.then(|| {
            explanation
                .classes
                .iter()
                .enumerate()
                .map(|(t, classes)| {
                    let maps: Vec<Vec<f32>> =
                        (0..n).map(|i| explanation.map(t, i).to_vec()).collect();
                    scorer.score(&maps, classes)
                })
                .collect()
        });
        let pass = Pass {
            args,
            names,
            engine: &engine,
            explanation: &explanation,
        };
        for (picture, entry) in pictures.iter().zip(&mut images) {
            let i = picture.index;
            let written = pass.write(picture, guided.as_ref())?;
            for (t, overlay) in written.overlays.into_iter().enumerate() {
                let class = explanation.classes[t][i];
                entry.maps.push(MapReport {
                    method: engine.method().name(),
                    class,
                    name: names[class].clone(),
                    probability: explanation.probabilities[i][class],
                    empty: explanation.is_empty(t, i),
                    overlay,
                    figure: written.figure.clone(),
                    npy: written.npy.clone(),
                    raw_npy: written.raw_npy.clone(),
                    metrics: metrics.as_ref().map(|m| m[t][i].clone()),
                    guided: written.guided.clone(),
                    layers_figure: written.layers.clone(),
                });
            }
        }
    }
    let sanity = args
        .sanity
        .then(|| sanity::check(&classifier, &inputs, &args.methods, &layers, &args.output))
        .transpose()?;
    Ok(ExplainReport {
        image_size: size,
        layers: layers.iter().map(ToString::to_string).collect(),
        images,
        sanity,
    })
}

/// What maps are scored on: the model, the normalized batch and the images' object masks.
struct Scorer<'a> {
    model: &'a dyn Network,
    batch: &'a Tensor<4>,
    masks: &'a [Option<GrayImage>],
}

impl Scorer<'_> {
    /// Concentration, localization (where a mask exists) and faithfulness of `maps` (one per
    /// image, at the input size) for `classes` (one per image).
    fn score(&self, maps: &[Vec<f32>], classes: &[usize]) -> Vec<MapMetrics> {
        faithfulness(self.model, self.batch.clone(), maps, classes)
            .into_iter()
            .zip(maps.iter().zip(self.masks))
            .map(|(faithfulness, (map, mask))| MapMetrics {
                stats: MapStats::new(map, mask.as_ref()),
                faithfulness,
            })
            .collect()
    }

    /// Per image, the scores of every baseline map of `inputs` for the classes `[K][N]`.
    fn baselines(
        &self,
        inputs: &[RgbImage],
        classes: &[Vec<usize>],
        names: &[String],
    ) -> Vec<BaselineScores> {
        let mut scores = vec![BaselineScores::new(); inputs.len()];
        for baseline in Baseline::ALL {
            let maps: Vec<Vec<f32>> = inputs
                .iter()
                .enumerate()
                .map(|(i, input)| baseline_map(baseline, input, i as u64))
                .collect();
            for target in classes {
                for ((s, per_image), &class) in self
                    .score(&maps, target)
                    .into_iter()
                    .zip(&mut scores)
                    .zip(target)
                {
                    per_image
                        .entry(names[class].clone())
                        .or_default()
                        .insert(baseline.name(), s);
                }
            }
        }
        scores
    }
}

/// Output names: each image's file stem, numbered when two images share one.
fn output_stems(images: &[PathBuf]) -> Vec<String> {
    let stems: Vec<String> = images
        .iter()
        .map(|p| {
            p.file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    stems
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if stems.iter().filter(|t| *t == s).count() > 1 {
                format!("{s}-{}", i + 1)
            } else {
                s.clone()
            }
        })
        .collect()
}

/// The `top_k` most probable classes of image `i`, most probable first.
fn predictions(
    explanation: &Explanation,
    i: usize,
    names: &[String],
    top_k: usize,
) -> Vec<Prediction> {
    explanation
        .top(i, top_k)
        .into_iter()
        .map(|(class, probability)| Prediction {
            class,
            name: names[class].clone(),
            probability,
        })
        .collect()
}

/// A class given as an index or a (case-insensitive) name.
fn resolve_class(given: &str, names: &[String]) -> anyhow::Result<usize> {
    if let Ok(index) = given.parse::<usize>() {
        if index < names.len() {
            return Ok(index);
        }
        bail!(
            "class index {index} is out of range; the model has classes 0 ... {}",
            names.len() - 1
        );
    }
    names
        .iter()
        .position(|n| n.eq_ignore_ascii_case(given))
        .with_context(|| format!("unknown class '{given}'; classes are: {}", names.join(", ")))
}
