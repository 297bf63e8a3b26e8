//! A checkpoint ready to classify and explain files: the model, its class names and the input
//! it expects. `explain` and `gallery` load it the same way.

use burn::prelude::*;
use std::path::Path;

use anyhow::{Context, bail};
use cam::TargetLayer;
use mobilenetv2::MobileNetV2;
use mobilenetv2::checkpoint::{self, LoadOptions, Metadata};
use serde_json::Value;
use vision::EvalTransform;
use vision::{Normalization, Resize};

use crate::cli::ClassifierArgs;

/// A loaded checkpoint and what its inputs need.
pub struct Classifier {
    /// The model.
    pub model: MobileNetV2,
    /// Class names by index.
    pub names: Vec<String>,
    /// The evaluation transform: the checkpoint's, or torchvision's for torchvision files.
    pub transform: EvalTransform,
    /// Input normalization.
    pub normalization: Normalization,
    /// Where the model runs.
    pub device: Device,
    /// The model's width multiplier.
    pub width_mult: f64,
}

impl Classifier {
    /// Loads the checkpoint of `args` onto its device. The input size is `--image-size`, else
    /// the checkpoint's, else 224; the names come from `--class-names`, else the checkpoint,
    /// else `class N`.
    pub fn load(args: &ClassifierArgs) -> anyhow::Result<Self> {
        let device = crate::device::parse(&args.device)?;
        let loaded = checkpoint::load(&args.checkpoint, &LoadOptions::default(), &device)?;
        let meta = loaded.info.metadata.as_ref();
        let size = args
            .image_size
            .or(meta.map(|m| m.image_size))
            .unwrap_or(224);
        Ok(Self {
            names: class_names(args.class_names.as_deref(), meta, loaded.info.num_classes)?,
            // torchvision files carry no transform: they expect torchvision's own.
            transform: EvalTransform {
                size,
                resize: meta.map_or(Resize::Crop, |m| m.resize),
            },
            normalization: meta.map(|m| m.normalization.clone()).unwrap_or_default(),
            width_mult: loaded.info.width_mult,
            model: loaded.model,
            device,
        })
    }

    /// Square input side.
    pub fn size(&self) -> usize {
        self.transform.size
    }

    /// The target layers: `given`, else for a layer comparison `features.13` (the last block
    /// at stride 16) and `features.18` (the last block), else the default for the input size.
    pub fn layers(&self, given: &[TargetLayer], compare: bool) -> Vec<TargetLayer> {
        if compare && given.is_empty() {
            vec![TargetLayer::LAST_STRIDE_16, TargetLayer::LAST]
        } else {
            TargetLayer::or_default_for(given, self.size())
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
fn read_class_names(file: &Path) -> anyhow::Result<Vec<String>> {
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
