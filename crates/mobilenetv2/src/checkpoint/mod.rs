//! Checkpoint I/O: torchvision `.pth`/`.pt` (zip or legacy, any wrapper or key prefix) and
//! `.safetensors` in; camwatch's own burnpack checkpoints in and out; torchvision-named
//! `.safetensors` out.

mod error;
mod format;
mod layout;
mod metadata;

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::store::{
    ApplyResult, BurnToPyTorchAdapter, BurnpackStore, KeyRemapper, ModuleSnapshot, PathFilter,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};

pub use error::CheckpointError;
pub use format::Format;
pub use layout::KeyLayout;
pub use metadata::Metadata;

use crate::{MobileNetV2, MobileNetV2Config};
use atomic_write::write_atomically;
use layout::TensorShapes;

/// What a checkpoint file holds, read without building the model.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckpointInfo {
    /// The file.
    pub path: PathBuf,
    /// Its detected format.
    pub format: Format,
    /// Where the model keys sit (foreign checkpoints; default for camwatch's own).
    pub layout: KeyLayout,
    /// Classes and width multiplier, inferred from tensor shapes or read from metadata.
    pub num_classes: usize,
    /// Width multiplier.
    pub width_mult: f64,
    /// Number of trainable parameters.
    pub parameters: usize,
    /// Training metadata (camwatch checkpoints only).
    pub metadata: Option<Metadata>,
}

impl CheckpointInfo {
    fn config(&self) -> MobileNetV2Config {
        MobileNetV2Config::new(self.num_classes).with_width_mult(self.width_mult)
    }
}

/// Reads what the checkpoint at `path` holds.
pub fn inspect(path: &Path) -> Result<CheckpointInfo, CheckpointError> {
    let format = Format::detect(path)?;
    if format == Format::Camwatch {
        let metadata = Metadata::read(path)?;
        return Ok(CheckpointInfo {
            path: path.to_owned(),
            format,
            layout: KeyLayout::default(),
            num_classes: metadata.class_names.len(),
            width_mult: metadata.width_mult,
            parameters: metadata.parameters,
            metadata: Some(metadata),
        });
    }
    let shapes = TensorShapes::read(path, format)?;
    let layout = shapes.layout(path, format)?;
    let (config, parameters) = shapes.architecture(path, &layout)?;
    Ok(CheckpointInfo {
        path: path.to_owned(),
        format,
        layout,
        num_classes: config.num_classes,
        width_mult: config.width_mult,
        parameters,
        metadata: None,
    })
}

/// How to load a checkpoint.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Classes the model must predict; `None` takes the file's.
    pub num_classes: Option<usize>,
    /// Width multiplier the file must have; `None` takes the file's.
    pub width_mult: Option<f64>,
    /// Load only `features.*` and give the model a freshly initialized classifier
    /// (fine-tuning from a checkpoint trained for other classes).
    pub backbone_only: bool,
}

/// A loaded model and what was learned about its file.
#[derive(Debug)]
pub struct Loaded {
    /// The model, ready for inference (`.valid()` is not needed) or fine-tuning.
    pub model: MobileNetV2,
    /// The file's description.
    pub info: CheckpointInfo,
    /// The classifier was freshly initialized rather than loaded.
    pub head_initialized: bool,
}

/// Loads a MobileNetV2 from any supported checkpoint, detecting format and key layout.
pub fn load(
    path: &Path,
    options: &LoadOptions,
    device: &Device,
) -> Result<Loaded, CheckpointError> {
    let info = inspect(path)?;
    if let Some(width) = options.width_mult
        && (width - info.width_mult).abs() > 1e-9
    {
        return Err(CheckpointError::Architecture {
            path: path.to_owned(),
            what: format!(
                "it holds a width-{} MobileNetV2 but width {width} was requested; drop the width option or pass {}",
                info.width_mult, info.width_mult
            ),
        });
    }
    let num_classes = options.num_classes.unwrap_or(info.num_classes);
    if num_classes != info.num_classes && !options.backbone_only {
        return Err(CheckpointError::ClassCount {
            path: path.to_owned(),
            found: info.num_classes,
            requested: num_classes,
        });
    }
    let mut model = MobileNetV2Config {
        num_classes,
        ..info.config()
    }
    .init(device);
    let filter = if options.backbone_only {
        PathFilter::new().with_regex(r"^features\.")
    } else {
        PathFilter::new().match_all()
    };
    let result = match info.format {
        Format::Camwatch => model
            .load_from(
                &mut BurnpackStore::from_file(path)
                    .auto_extension(false)
                    .with_filter(filter)
                    .allow_partial(true),
            )
            .map_err(|e| e.to_string()),
        Format::Safetensors => model
            .load_from(
                &mut SafetensorsStore::from_file(path)
                    .with_from_adapter(PyTorchToBurnAdapter)
                    .remap(prefix_remapper(&info.layout))
                    .filter(filter)
                    .skip_enum_variants(true)
                    .map_indices_contiguous(false)
                    .allow_partial(true),
            )
            .map_err(|e| e.to_string()),
        Format::PytorchZip | Format::PytorchLegacy => {
            let mut store = PytorchStore::from_file(path)
                .remap(prefix_remapper(&info.layout))
                .filter(filter)
                .map_indices_contiguous(false)
                .allow_partial(true);
            if let Some(wrapper) = &info.layout.wrapper {
                store = store.with_top_level_key(wrapper);
            }
            model.load_from(&mut store).map_err(|e| e.to_string())
        }
    }
    .map_err(|reason| CheckpointError::Corrupt {
        path: path.to_owned(),
        reason,
    })?;
    check_keys(path, &result, options.backbone_only)?;
    Ok(Loaded {
        model,
        info,
        head_initialized: options.backbone_only,
    })
}

/// Strips the layout's key prefix (`module.`, `model.`) so keys match torchvision's.
fn prefix_remapper(layout: &KeyLayout) -> KeyRemapper {
    match layout.prefix.as_str() {
        "" => KeyRemapper::new(),
        prefix => KeyRemapper::new()
            .add_pattern(format!("^{}", regex::escape(prefix)), "")
            .expect("an escaped literal is a valid regex"),
    }
}

/// Turns what the store could not place into one clear error.
fn check_keys(
    path: &Path,
    result: &ApplyResult,
    backbone_only: bool,
) -> Result<(), CheckpointError> {
    if let Some(error) = result.errors.first() {
        return Err(CheckpointError::Architecture {
            path: path.to_owned(),
            what: error.to_string(),
        });
    }
    let missing: Vec<String> = result
        .missing
        .iter()
        .map(|(key, _)| key.clone())
        .filter(|key| !(backbone_only && key.starts_with("classifier.")))
        .collect();
    let unexpected: Vec<String> = result
        .unused
        .iter()
        .filter(|key| !key.ends_with("num_batches_tracked"))
        .filter(|key| !(backbone_only && key.starts_with("classifier.")))
        .cloned()
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(CheckpointError::Keys {
            path: path.to_owned(),
            missing,
            unexpected,
        })
    }
}

/// Writes `model` and its metadata as a camwatch checkpoint, atomically: a reader sees the
/// old file or the new one, never a partial write.
pub fn save(model: &MobileNetV2, metadata: &Metadata, path: &Path) -> Result<(), CheckpointError> {
    let json = serde_json::to_string(metadata).expect("metadata serializes");
    Ok(write_atomically(path, |tmp| {
        model
            .save_into(
                &mut BurnpackStore::from_file(tmp)
                    .auto_extension(false)
                    .overwrite(true)
                    .metadata(metadata::KEY, json),
            )
            .map_err(|e| e.to_string())
    })?)
}

/// Writes `model` as a `.safetensors` file with torchvision's key names, so that
/// `torchvision.models.mobilenet_v2(num_classes=N, width_mult=W).load_state_dict(
/// safetensors.torch.load_file(path))` runs it in PyTorch unchanged.
pub fn export_safetensors(model: &MobileNetV2, path: &Path) -> Result<(), CheckpointError> {
    Ok(write_atomically(path, |tmp| {
        model
            .save_into(
                &mut SafetensorsStore::from_file(tmp)
                    .with_to_adapter(BurnToPyTorchAdapter)
                    .skip_enum_variants(true)
                    .overwrite(true),
            )
            .map_err(|e| e.to_string())
    })?)
}
