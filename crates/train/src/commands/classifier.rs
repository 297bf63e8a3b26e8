//! A checkpoint ready to classify and explain files: the model, its class names and the input
//! it expects. `explain` and `gallery` load it the same way.

use burn::prelude::*;
use cam::TargetLayer;
use cam::preprocess::EvalTransform;
use mobilenetv2::checkpoint::{self, LoadOptions};
use mobilenetv2::{MobileNetV2, Normalization, Resize};

use super::explain::class_names;
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
