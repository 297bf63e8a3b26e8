//! A checkpoint ready to classify and explain files: the model, its class names and the input
//! it expects. `explain`, `gallery` and `watch` load it the same way, and say where each
//! convention came from (a PyTorch file records none of them).

use std::path::Path;

use anyhow::{Context, bail};
use burn::prelude::*;
use cam::TargetLayer;
use models::checkpoint::{self, CheckpointInfo, LoadOptions};
use models::{Model, Network};
use serde_json::Value;
use vision::{EvalTransform, Normalization, Resize};

use crate::cli::{ClassifierArgs, InputArgs};

/// A loaded checkpoint and what its inputs need.
pub struct Classifier {
    /// The model.
    pub model: Model,
    /// Class names, the transform and the normalization.
    pub inputs: Inputs,
    /// Where the model runs.
    pub device: Device,
}

/// How a checkpoint's images are prepared and its classes named.
#[derive(Clone, Debug, PartialEq)]
pub struct Inputs {
    /// Class names by index.
    pub names: Vec<String>,
    /// The evaluation transform.
    pub transform: EvalTransform,
    /// Input normalization.
    pub normalization: Normalization,
    /// Where the names came from, for people.
    names_from: String,
}

impl Classifier {
    /// Loads the checkpoint of `args` onto its device. `folder_classes`: the class folders of
    /// the images it will see, which name its classes when nothing else does.
    pub fn load(args: &ClassifierArgs, folder_classes: Option<&[String]>) -> anyhow::Result<Self> {
        let device = crate::device::parse(&args.device)?;
        let loaded = checkpoint::load(&args.checkpoint, &LoadOptions::default(), &device)?;
        let inputs = Inputs::decide(&loaded.info, &args.inputs, folder_classes)?;
        for line in inputs.describe(&loaded.info, &args.inputs) {
            eprintln!("{line}");
        }
        Ok(Self {
            inputs,
            model: loaded.model,
            device,
        })
    }

    /// Class names by index.
    pub fn names(&self) -> &[String] {
        &self.inputs.names
    }

    /// Square input side.
    pub fn size(&self) -> usize {
        self.inputs.transform.size
    }

    /// The target layers of `network` (this model's inference copy): those `given` by name,
    /// else for a layer comparison the last layer at stride 16 (`features.13`, `layer3`) and the
    /// last (`features.18`, `layer4`), else the default for the input size.
    pub fn layers(
        &self,
        network: &dyn Network,
        given: &[String],
        compare: bool,
    ) -> anyhow::Result<Vec<TargetLayer>> {
        if compare && given.is_empty() {
            let layers = [
                TargetLayer::last_at_stride_16(network),
                TargetLayer::last(network),
            ];
            Ok(layers.to_vec())
        } else {
            TargetLayer::find_or_default(network, given, self.size()).map_err(anyhow::Error::msg)
        }
    }
}

/// The file PyTorch training scripts keep their class names in, beside the checkpoint.
pub const CLASS_INDICES: &str = "class_indices.json";

impl Inputs {
    /// The conventions of the checkpoint `info` describes: each flag of `args`, else what the
    /// checkpoint records, else torchvision's (224 px, centre crop, ImageNet's statistics).
    /// Names: `--class-names`, else the checkpoint's, else `class_indices.json` beside it, else
    /// `folder_classes` when they are as many as the model's classes, else `class N`.
    pub fn decide(
        info: &CheckpointInfo,
        args: &InputArgs,
        folder_classes: Option<&[String]>,
    ) -> anyhow::Result<Self> {
        let meta = info.metadata.as_ref();
        let size = args
            .image_size
            .or(meta.map(|m| m.image_size))
            .unwrap_or(224);
        let resize = args
            .resize
            .or(meta.map(|m| m.resize))
            .unwrap_or(Resize::Crop);
        let recorded = meta.map(|m| m.normalization.clone()).unwrap_or_default();
        let normalization = Normalization {
            mean: args.mean.unwrap_or(recorded.mean),
            std: args.std.unwrap_or(recorded.std),
        };
        let source = NameSource::find(info, args, folder_classes);
        Ok(Self {
            names: source.names(info.num_classes)?,
            names_from: source.description(info.num_classes),
            transform: EvalTransform { size, resize },
            normalization,
        })
    }

    /// One line each on the input and the class names, saying where each came from.
    pub fn describe(&self, info: &CheckpointInfo, args: &InputArgs) -> [String; 2] {
        let recorded = info.metadata.is_some();
        let from = |flag: bool, default: &'static str| {
            if flag {
                "given"
            } else if recorded {
                "the checkpoint's"
            } else {
                default
            }
        };
        let EvalTransform { size, resize } = self.transform;
        let resize = match resize {
            Resize::Crop => "centre crop (Resize(round(s·256/224)) + CenterCrop(s))",
            Resize::Squash => "squash (Resize((s, s)))",
        };
        let normalization = if self.normalization == Normalization::default() {
            "ImageNet's mean and std"
        } else {
            "mean and std"
        };
        let hint = if recorded {
            ""
        } else {
            "; a PyTorch file records none of these: --image-size, --resize, --mean and --std set them"
        };
        [
            format!(
                "inputs: {size} px ({}), {resize} ({}), {normalization} ({}){hint}",
                from(args.image_size.is_some(), "torchvision's default"),
                from(args.resize.is_some(), "torchvision's evaluation recipe"),
                from(args.mean.is_some() || args.std.is_some(), "torchvision's"),
            ),
            format!("classes: {} ({})", self.names.join(", "), self.names_from),
        ]
    }
}

/// Where a checkpoint's class names come from.
enum NameSource<'a> {
    /// `--class-names FILE`.
    Given(&'a Path),
    /// camwatch's checkpoint metadata.
    Checkpoint(&'a [String]),
    /// `class_indices.json` beside the checkpoint.
    Beside(std::path::PathBuf),
    /// The class folders of the images, as many as the model's classes.
    Folders(&'a [String]),
    /// Nothing: `class N`.
    Numbers,
}

impl<'a> NameSource<'a> {
    fn find(
        info: &'a CheckpointInfo,
        args: &'a InputArgs,
        folder_classes: Option<&'a [String]>,
    ) -> Self {
        let beside = info.path.with_file_name(CLASS_INDICES);
        if let Some(file) = &args.class_names {
            Self::Given(file)
        } else if let Some(meta) = &info.metadata {
            Self::Checkpoint(&meta.class_names)
        } else if beside.is_file() {
            Self::Beside(beside)
        } else {
            match folder_classes {
                Some(folders) if folders.len() == info.num_classes => Self::Folders(folders),
                _ => Self::Numbers,
            }
        }
    }

    /// The names, one per class.
    fn names(&self, num_classes: usize) -> anyhow::Result<Vec<String>> {
        let names = match self {
            Self::Given(file) => read_class_names(file)?,
            Self::Beside(file) => read_class_names(file)?,
            Self::Checkpoint(names) | Self::Folders(names) => names.to_vec(),
            Self::Numbers => (0..num_classes).map(|i| format!("class {i}")).collect(),
        };
        if names.len() != num_classes {
            bail!(
                "{} class names for a {num_classes}-class model; the names file must list one name per class",
                names.len()
            );
        }
        Ok(names)
    }

    /// Where the names came from, for people.
    fn description(&self, num_classes: usize) -> String {
        match self {
            Self::Given(file) => format!("from {}", file.display()),
            Self::Checkpoint(_) => "the checkpoint's".to_owned(),
            Self::Beside(file) => format!("from {}", file.display()),
            Self::Folders(_) => format!(
                "the {num_classes} class folders in sorted order, as torchvision's ImageFolder numbers them; --class-names FILE sets others"
            ),
            Self::Numbers => {
                "none recorded; --class-names FILE or a class_indices.json beside the checkpoint names them".to_owned()
            }
        }
    }
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
