//! `train explain`: predictions and class activation maps for single images.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::prelude::*;
use cam::figure::{Panel, grid, safe_file_name, save_png};
use cam::guided::{GuidedBackprop, gradient_image, guided_grad_cam};
use cam::metrics::{Baseline, MapStats, baseline_map, faithfulness};
use cam::{CamEngine, Explanation, TargetLayer, Targets, input, overlay};
use image::{GrayImage, RgbImage};
use mobilenetv2::MobileNetV2;
use mobilenetv2::checkpoint::{self, LoadOptions, Metadata};
use serde_json::{Value, json};

use crate::cli::ExplainArgs;

/// Side of each panel in the figures.
const PANEL: u32 = 256;

/// Explains every image with every method; writes figures, overlays and `.npy` maps.
pub fn run(args: &ExplainArgs) -> anyhow::Result<()> {
    let report = report(args)?;
    if args.json {
        let json = serde_json::to_string_pretty(&report).context("JSON encoding")?;
        println!("{json}");
    } else {
        print_text(report["images"].as_array().expect("images"));
    }
    Ok(())
}

/// Does the work of `run` and returns what `--json` prints: per image its predictions and,
/// per method and class, the written files, the empty-map flag and (`--metrics`) the scores.
pub fn report(args: &ExplainArgs) -> anyhow::Result<Value> {
    let device = crate::device::parse(&args.device)?;
    let loaded = checkpoint::load(&args.checkpoint, &LoadOptions::default(), &device)?;
    let meta = loaded.info.metadata.as_ref();
    let size = args
        .image_size
        .or(meta.map(|m| m.image_size))
        .unwrap_or(224);
    let layers = TargetLayer::or_default_for(&args.layers, size);
    let normalization = meta.map(|m| m.normalization.clone()).unwrap_or_default();
    let names = class_names(args.class_names.as_deref(), meta, loaded.info.num_classes)?;
    let classes = args
        .classes
        .iter()
        .map(|c| resolve_class(c, &names))
        .collect::<anyhow::Result<Vec<usize>>>()?;
    let originals = args
        .images
        .iter()
        .map(|p| input::load_rgb(p))
        .collect::<Result<Vec<_>, _>>()?;
    let inputs: Vec<RgbImage> = originals.iter().map(|i| input::resize(i, size)).collect();
    // Object masks beside the images (`NAME.mask.png`) give the localization scores.
    let masks = args
        .images
        .iter()
        .map(|p| {
            crate::data::mask_beside(p)
                .map(|m| crate::data::load_mask(&m, size))
                .transpose()
        })
        .collect::<Result<Vec<Option<GrayImage>>, String>>()
        .map_err(anyhow::Error::msg)?;
    let batch = input::batch(&inputs, &normalization, &device);
    let n = inputs.len();
    let targets: Vec<Targets> = if classes.is_empty() {
        vec![Targets::Predicted]
    } else {
        classes
            .iter()
            .map(|&c| Targets::Classes(vec![c; n]))
            .collect()
    };

    let mut images: Vec<Value> = args
        .images
        .iter()
        .map(|p| json!({ "path": p, "maps": [] }))
        .collect();
    let stems = output_stems(&args.images);
    let mut guided = None;
    for &method in &args.methods {
        let engine = CamEngine::new(&loaded.model, method, &layers);
        let explanation = engine.explain(batch.clone(), &targets);
        if method == args.methods[0] {
            for (i, entry) in images.iter_mut().enumerate() {
                entry["predictions"] = predictions(&explanation, i, &names, args.top_k);
            }
            if args.guided {
                guided = Some(
                    GuidedBackprop::new(&loaded.model)
                        .gradients(batch.clone(), &explanation.classes),
                );
            }
        }
        let scores: Vec<Vec<Value>> = if args.metrics {
            explanation
                .classes
                .iter()
                .enumerate()
                .map(|(t, classes)| {
                    let maps: Vec<Vec<f32>> =
                        (0..n).map(|i| explanation.map(t, i).to_vec()).collect();
                    score(&loaded.model, &batch, &maps, &masks, classes)
                })
                .collect()
        } else {
            Vec::new()
        };
        for (i, stem) in stems.iter().enumerate() {
            let written = write_outputs(
                args,
                &engine,
                &explanation,
                i,
                stem,
                &inputs[i],
                &originals[i],
                &names,
            )?;
            let guided_figure = match &guided {
                Some(gradients) => Some(write_guided(
                    args,
                    &explanation,
                    gradients,
                    method,
                    i,
                    stem,
                    &names,
                )?),
                None => None,
            };
            let maps = images[i]["maps"].as_array_mut().expect("array");
            for (t, mut entry) in written.into_iter().enumerate() {
                if let Some(per_target) = scores.get(t) {
                    entry["metrics"] = per_target[i].clone();
                }
                if let Some(figure) = &guided_figure {
                    entry["guided"] = json!(figure);
                }
                maps.push(entry);
            }
        }
        if args.metrics && method == args.methods[0] {
            for classes in &explanation.classes {
                for baseline in Baseline::ALL {
                    let maps: Vec<Vec<f32>> = (0..n)
                        .map(|i| baseline_map(baseline, &inputs[i], i as u64))
                        .collect();
                    for (i, s) in score(&loaded.model, &batch, &maps, &masks, classes)
                        .into_iter()
                        .enumerate()
                    {
                        let name = &names[classes[i]];
                        images[i]["baselines"][name][baseline.name()] = s;
                    }
                }
            }
        }
    }
    let layers: Vec<String> = layers.iter().map(ToString::to_string).collect();
    Ok(json!({ "image_size": size, "layers": layers, "images": images }))
}

/// Figure, overlay and `.npy` files of image `i`; returns their description per target.
#[allow(clippy::too_many_arguments)]
fn write_outputs(
    args: &ExplainArgs,
    engine: &CamEngine,
    explanation: &Explanation,
    i: usize,
    stem: &str,
    input: &RgbImage,
    original: &RgbImage,
    names: &[String],
) -> anyhow::Result<Vec<Value>> {
    let method = engine.method();
    let base = args.output.join(format!("{stem}.{method}"));
    let [h, w] = explanation.size;
    let k = explanation.classes.len();
    let probability = |class: usize| explanation.probabilities[i][class];

    let first = explanation.classes[0][i];
    let mut panels = vec![
        Panel {
            title: format!("{stem}\ninput {w}x{h}"),
            image: input.clone(),
        },
        Panel {
            title: format!("{method} heatmap\n{}", names[first]),
            image: overlay::heatmap(explanation.map(0, i), w as u32, h as u32),
        },
    ];
    let mut maps = Vec::with_capacity(k);
    let mut entries = Vec::with_capacity(k);
    for target in 0..k {
        let class = explanation.classes[target][i];
        let map = explanation.map(target, i);
        maps.extend_from_slice(map);
        panels.push(Panel {
            title: format!(
                "{} ({:.1}%){}\n{method} @ {}",
                names[class],
                100.0 * probability(class),
                if explanation.is_empty(target, i) {
                    ", empty map"
                } else {
                    ""
                },
                layers_label(engine)
            ),
            image: overlay::overlay(input, map, args.image_weight),
        });
        let (ow, oh) = original.dimensions();
        let full = overlay::resize_map(map, explanation.size, ow, oh);
        let overlay_path = PathBuf::from(format!(
            "{}.{}.overlay.png",
            base.display(),
            safe_file_name(&names[class])
        ));
        save_png(
            &overlay::overlay(original, &full, args.image_weight),
            &overlay_path,
        )?;
        entries.push(json!({
            "method": method.name(),
            "class": class,
            "name": names[class],
            "probability": probability(class),
            "empty": explanation.is_empty(target, i),
            "overlay": overlay_path,
        }));
    }
    let figure = PathBuf::from(format!("{}.png", base.display()));
    save_png(&grid(&[panels], PANEL), &figure)?;
    let npy = PathBuf::from(format!("{}.npy", base.display()));
    cam::npy::save_npy(&maps, &[k, h, w], &npy)?;
    let mut raw = Vec::new();
    for layer in &explanation.layer_maps {
        let [lh, lw] = layer.size;
        let per_map = lh * lw;
        let n = explanation.images;
        let data: Vec<f32> = (0..k)
            .flat_map(|t| {
                layer.data[(t * n + i) * per_map..(t * n + i + 1) * per_map]
                    .iter()
                    .copied()
            })
            .collect();
        let raw_path = PathBuf::from(format!("{}.{}.raw.npy", base.display(), layer.layer));
        cam::npy::save_npy(&data, &[k, lh, lw], &raw_path)?;
        raw.push(raw_path);
    }
    for entry in &mut entries {
        entry["figure"] = json!(figure);
        entry["npy"] = json!(npy);
        entry["raw_npy"] = json!(raw);
    }
    Ok(entries)
}

/// Guided backpropagation and guided `method` panels of image `i`, one pair per target.
fn write_guided(
    args: &ExplainArgs,
    explanation: &Explanation,
    gradients: &Tensor<4>,
    method: cam::Method,
    i: usize,
    stem: &str,
    names: &[String],
) -> anyhow::Result<PathBuf> {
    let [h, w] = explanation.size;
    let n = explanation.images;
    let device = gradients.device();
    let mut panels = Vec::new();
    for (target, classes) in explanation.classes.iter().enumerate() {
        let name = &names[classes[i]];
        let gradient = gradients.clone().narrow(0, target * n + i, 1);
        let map = Tensor::<3>::from_data(
            TensorData::new(explanation.map(target, i).to_vec(), [1, h, w]),
            &device,
        );
        panels.push(Panel {
            title: format!("guided backprop\n{name}"),
            image: gradient_image(gradient.clone().squeeze_dim(0)),
        });
        panels.push(Panel {
            title: format!("guided {method}\n{name}"),
            image: gradient_image(guided_grad_cam(gradient, map).squeeze_dim(0)),
        });
    }
    let figure = args.output.join(format!("{stem}.{method}.guided.png"));
    save_png(&grid(&[panels], PANEL), &figure)?;
    Ok(figure)
}

/// Concentration, localization (where a mask exists) and faithfulness of `maps` (one per image
/// of `batch`) for `classes`, as JSON.
fn score(
    model: &MobileNetV2,
    batch: &Tensor<4>,
    maps: &[Vec<f32>],
    masks: &[Option<GrayImage>],
    classes: &[usize],
) -> Vec<Value> {
    faithfulness(model, batch.clone(), maps, classes)
        .into_iter()
        .zip(maps.iter().zip(masks))
        .map(|(f, (map, mask))| {
            let stats = MapStats::new(map, mask.as_ref());
            json!({
                "entropy": stats.entropy,
                "gini": stats.gini,
                "iou_top20": stats.iou_top20,
                "pointing_hit": stats.pointing_hit,
                "energy_in_mask": stats.energy_in_mask,
                "confidence_change": f.confidence_change,
                "drop_in_confidence": f.drop_in_confidence,
                "increase_in_confidence": f.increase_in_confidence,
                "deletion_auc": f.deletion_auc,
                "insertion_auc": f.insertion_auc,
            })
        })
        .collect()
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

fn layers_label(engine: &CamEngine) -> String {
    let layers: Vec<String> = engine.layers().iter().map(ToString::to_string).collect();
    layers.join("+")
}

fn predictions(explanation: &Explanation, i: usize, names: &[String], top_k: usize) -> Value {
    let mut ranked: Vec<(usize, f32)> = explanation.probabilities[i]
        .iter()
        .copied()
        .enumerate()
        .collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
        .into_iter()
        .take(top_k)
        .map(|(class, p)| json!({ "class": class, "name": names[class], "probability": p }))
        .collect()
}

fn print_text(images: &[Value]) {
    for image in images {
        println!("{}", image["path"].as_str().unwrap_or_default());
        for (rank, p) in image["predictions"]
            .as_array()
            .into_iter()
            .flatten()
            .enumerate()
        {
            println!(
                "  {}. {:<24} {:>6.2}%",
                rank + 1,
                p["name"].as_str().unwrap_or_default(),
                100.0 * p["probability"].as_f64().unwrap_or_default()
            );
        }
        for map in image["maps"].as_array().into_iter().flatten() {
            let name = map["name"].as_str().unwrap_or_default();
            let method = map["method"].as_str().unwrap_or_default();
            println!(
                "  {method} map of '{name}': {}",
                map["figure"].as_str().unwrap_or_default()
            );
            if map["empty"].as_bool() == Some(true) {
                println!(
                    "  warning: the {method} map of '{name}' is empty: nothing at this layer speaks for that class (the model rejects it)"
                );
            }
            let number = |v: &Value, key: &str| v[key].as_f64().unwrap_or(f64::NAN);
            if let Some(m) = map.get("metrics") {
                println!(
                    "    deletion AUC {:.3} (lower is better), insertion AUC {:.3} (higher is better), confidence change {:+.3}, entropy {:.2}, Gini {:.2}",
                    number(m, "deletion_auc"),
                    number(m, "insertion_auc"),
                    number(m, "confidence_change"),
                    number(m, "entropy"),
                    number(m, "gini")
                );
                if let Some(iou) = m["iou_top20"].as_f64() {
                    println!(
                        "    on the object mask: top-20% IoU {iou:.2}, {:.0}% of the mass, peak {}",
                        100.0 * number(m, "energy_in_mask"),
                        if m["pointing_hit"] == true {
                            "on it"
                        } else {
                            "off it"
                        }
                    );
                }
                for (baseline, b) in image["baselines"][name].as_object().into_iter().flatten() {
                    println!(
                        "    {baseline:>8} baseline: deletion AUC {:.3}, insertion AUC {:.3}",
                        number(b, "deletion_auc"),
                        number(b, "insertion_auc")
                    );
                }
            }
        }
    }
}

/// Class names from `--class-names`, else the checkpoint's, else `class N`.
fn class_names(
    file: Option<&Path>,
    meta: Option<&Metadata>,
    num_classes: usize,
) -> anyhow::Result<Vec<String>> {
    let names = match (file, meta) {
        (Some(file), _) => read_class_names(file)?,
        (None, Some(meta)) => meta.class_names.clone(),
        (None, None) => (0..num_classes).map(|i| format!("class {i}")).collect(),
    };
    if names.len() != num_classes {
        bail!(
            "{} class names for a {num_classes}-class model; the names file must list one name per class",
            names.len()
        );
    }
    Ok(names)
}

/// Reads `["a", "b"]` or `{"0": "a", "1": "b"}` (class_indices.json).
pub fn read_class_names(file: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("cannot read class names {}", file.display()))?;
    let bad = || {
        format!(
            "{} is not a JSON list of names or an index → name object",
            file.display()
        )
    };
    match serde_json::from_str::<Value>(&text).with_context(bad)? {
        Value::Array(list) => list
            .into_iter()
            .map(|v| v.as_str().map(str::to_owned).with_context(bad))
            .collect(),
        Value::Object(map) => {
            let mut pairs = map
                .into_iter()
                .map(|(k, v)| {
                    Ok((
                        k.parse::<usize>().ok().with_context(bad)?,
                        v.as_str().with_context(bad)?.to_owned(),
                    ))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            pairs.sort();
            Ok(pairs.into_iter().map(|(_, name)| name).collect())
        }
        _ => bail!(bad()),
    }
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
