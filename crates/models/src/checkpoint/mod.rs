//! Checkpoint I/O: torchvision `.pth`/`.pt` (zip or legacy, any wrapper or key prefix) and
//! `.safetensors` in; camwatch's own burnpack checkpoints in and out; torchvision-named
//! `.safetensors` out.

mod error;
mod foreign;
mod format;
mod layout;
mod metadata;

use std::path::{Path, PathBuf};

use burn::module::{ModuleMapper, Param};
use burn::prelude::*;
use burn::store::{
    ApplyResult, BurnToPyTorchAdapter, BurnpackStore, KeyRemapper, ModuleSnapshot, PathFilter,
    PyTorchToBurnAdapter, PytorchStore, SafetensorsStore,
};
use burn::tensor::DType;

pub use error::CheckpointError;
pub use format::Format;
pub use layout::KeyLayout;
pub use metadata::Metadata;

use crate::architecture::dispatch;
use crate::{Architecture, Model};
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
    /// Family, depth, width and classes, inferred from tensor shapes or read from metadata.
    pub architecture: Architecture,
    /// Number of classes.
    pub num_classes: usize,
    /// Number of trainable parameters.
    pub parameters: usize,
    /// Training metadata (camwatch checkpoints only).
    pub metadata: Option<Metadata>,
}

/// Reads what the checkpoint at `path` holds.
pub fn inspect(path: &Path) -> Result<CheckpointInfo, CheckpointError> {
    let format = Format::detect(path)?;
    if format::torchscript(path, format) {
        return Err(CheckpointError::TorchScript {
            path: path.to_owned(),
        });
    }
    if format == Format::Camwatch {
        let metadata = Metadata::read(path)?;
        let num_classes = metadata.class_names.len();
        let architecture = Architecture::parse(&metadata.arch, num_classes, metadata.width_mult)
            .map_err(|what| CheckpointError::Architecture {
                path: path.to_owned(),
                what,
            })?;
        return Ok(CheckpointInfo {
            path: path.to_owned(),
            format,
            layout: KeyLayout::default(),
            architecture,
            num_classes,
            parameters: metadata.parameters,
            metadata: Some(metadata),
        });
    }
    let shapes = TensorShapes::read(path, format)?;
    let layout = shapes.layout(path, format)?;
    let (architecture, parameters) = shapes.architecture(path, &layout)?;
    Ok(CheckpointInfo {
        path: path.to_owned(),
        format,
        layout,
        num_classes: architecture.num_classes(),
        architecture,
        parameters,
        metadata: None,
    })
}

/// How to load a checkpoint.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Classes the model must predict; `None` takes the file's.
    pub num_classes: Option<usize>,
    /// Load only the backbone and give the model a freshly initialized head (fine-tuning from
    /// a checkpoint trained for other classes).
    pub backbone_only: bool,
}

/// A loaded model and what was learned about its file.
#[derive(Debug)]
pub struct Loaded {
    /// The model, ready for inference (`.valid()` is not needed) or fine-tuning.
    pub model: Model,
    /// The file's description.
    pub info: CheckpointInfo,
    /// The classifier was freshly initialized rather than loaded.
    pub head_initialized: bool,
}

/// Loads a model from any supported checkpoint, detecting format, key layout and
/// architecture. Half-precision weights (fp16, bf16) are converted to f32.
pub fn load(
    path: &Path,
    options: &LoadOptions,
    device: &Device,
) -> Result<Loaded, CheckpointError> {
    let info = inspect(path)?;
    let num_classes = options.num_classes.unwrap_or(info.num_classes);
    if num_classes != info.num_classes && !options.backbone_only {
        return Err(CheckpointError::ClassCount {
            path: path.to_owned(),
            found: info.num_classes,
            requested: num_classes,
        });
    }
    let architecture = info.architecture.with_num_classes(num_classes);
    let mut model = architecture.init(device);
    let filter = if options.backbone_only {
        PathFilter::new().with_regex(architecture.backbone_pattern())
    } else {
        PathFilter::new().match_all()
    };
    let result = dispatch!(&mut model, model => load_into(model, path, &info, filter))?;
    check_keys(path, &architecture, &result, options.backbone_only)?;
    Ok(Loaded {
        model: model.map(&mut ToF32),
        info,
        head_initialized: options.backbone_only,
    })
}

/// Applies the tensors of the checkpoint `info` describes to `model`.
fn load_into<M: ModuleSnapshot>(
    model: &mut M,
    path: &Path,
    info: &CheckpointInfo,
    filter: PathFilter,
) -> Result<ApplyResult, CheckpointError> {
    match info.format {
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
                    .remap(load_remapper(info))
                    .filter(filter)
                    .skip_enum_variants(true)
                    .map_indices_contiguous(false)
                    .allow_partial(true),
            )
            .map_err(|e| e.to_string()),
        Format::PytorchZip | Format::PytorchLegacy => {
            let mut store = PytorchStore::from_file(path)
                .remap(load_remapper(info))
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
    })
}

/// Converts every float tensor to f32: `model.half().state_dict()` loads as fp16 or bf16.
struct ToF32;

impl ModuleMapper for ToF32 {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if param.val().dtype() == DType::F32 {
            param
        } else {
            param.map(|tensor| tensor.cast(DType::F32))
        }
    }
}

/// Strips the layout's key prefix (`module.`, `model.`) so keys match torchvision's, then
/// renames torchvision's keys to the network's module paths where they differ
/// ([`Architecture::key_renames`]).
fn load_remapper(info: &CheckpointInfo) -> KeyRemapper {
    let prefix = match info.layout.prefix.as_str() {
        "" => None,
        prefix => Some((format!("^{}", regex::escape(prefix)), String::new())),
    };
    let renames = info.architecture.key_renames(false);
    KeyRemapper::from_patterns(prefix.into_iter().chain(renames).collect())
        .expect("escaped literals and the families' renames are valid regexes")
}

/// Turns what the store could not place into one clear error.
fn check_keys(
    path: &Path,
    architecture: &Architecture,
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
        .filter(|key| !(backbone_only && key.starts_with(architecture.head_prefix())))
        .collect();
    let unexpected: Vec<String> = result
        .unused
        .iter()
        .filter(|key| !key.ends_with("num_batches_tracked"))
        .filter(|key| !(backbone_only && key.starts_with(architecture.head_prefix())))
        .cloned()
        .collect();
    if missing.is_empty() && unexpected.is_empty() {
        Ok(())
    } else {
        Err(CheckpointError::Keys {
            path: path.to_owned(),
            architecture: architecture.describe(),
            missing,
            unexpected,
        })
    }
}

/// Writes `model` and its metadata as a camwatch checkpoint, atomically: a reader sees the
/// old file or the new one, never a partial write. The metadata's architecture and width are
/// the model's.
pub fn save(model: &Model, metadata: &Metadata, path: &Path) -> Result<(), CheckpointError> {
    let architecture = model.architecture();
    let metadata = Metadata {
        arch: architecture.variant().to_owned(),
        width_mult: architecture.width_mult(),
        ..metadata.clone()
    };
    let json = serde_json::to_string(&metadata).expect("metadata serializes");
    Ok(write_atomically(path, |tmp| {
        dispatch!(model, model => model
            .save_into(
                &mut BurnpackStore::from_file(tmp)
                    .auto_extension(false)
                    .overwrite(true)
                    .metadata(metadata::KEY, json.clone()),
            )
            .map_err(|e| e.to_string()))
    })?)
}

/// Writes `model` as a `.safetensors` file with torchvision's key names, so that
/// `torchvision.models.resnet50(num_classes=N).load_state_dict(safetensors.torch.load_file(path))`
/// ([`Architecture::torchvision_constructor`]) runs it in PyTorch unchanged.
pub fn export_safetensors(model: &Model, path: &Path) -> Result<(), CheckpointError> {
    let renames = model.architecture().key_renames(true);
    let export_remapper =
        KeyRemapper::from_patterns(renames).expect("the families' renames are valid regexes");
    Ok(write_atomically(path, |tmp| {
        dispatch!(model, model => model
            .save_into(
                &mut SafetensorsStore::from_file(tmp)
                    .with_to_adapter(BurnToPyTorchAdapter)
                    .remap(export_remapper.clone())
                    .skip_enum_variants(true)
                    .overwrite(true),
            )
            .map_err(|e| e.to_string()))
    })?)
}
