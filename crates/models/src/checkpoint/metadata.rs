use std::path::Path;

use burn::store::burn_pack::Reader;
use serde::{Deserialize, Serialize};

use super::CheckpointError;
use vision::{Normalization, Resize};

/// The burnpack metadata key holding camwatch's JSON metadata.
pub(crate) const KEY: &str = "camwatch";

/// What a later run needs to use a camwatch checkpoint: the classes, the input pipeline,
/// the architecture and where training stood.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Class names in label order.
    pub class_names: Vec<String>,
    /// torchvision's name of the architecture (`mobilenet_v2`, `resnet50`); checkpoints from
    /// before the ResNets hold MobileNetV2s.
    #[serde(default = "default_arch")]
    pub arch: String,
    /// Width multiplier (MobileNetV2's `width_mult`; a ResNet's base width over 64).
    pub width_mult: f64,
    /// Square input size the model was trained at.
    pub image_size: usize,
    /// Input normalization.
    pub normalization: Normalization,
    /// How images were fitted to the input (the evaluation transform).
    #[serde(default = "Resize::legacy")]
    pub resize: Resize,
    /// Completed training epochs.
    pub epoch: usize,
    /// Validation accuracy after that epoch, if measured.
    pub val_accuracy: Option<f64>,
    /// Number of trainable parameters.
    pub parameters: usize,
}

impl Metadata {
    /// Reads the metadata of a camwatch checkpoint.
    pub fn read(path: &Path) -> Result<Self, CheckpointError> {
        let corrupt = |reason: String| CheckpointError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let reader = Reader::from_file(path).map_err(|e| corrupt(e.to_string()))?;
        let json = reader
            .metadata()
            .get(KEY)
            .ok_or_else(|| corrupt("a burnpack file without camwatch metadata".to_owned()))?;
        serde_json::from_str(json).map_err(|e| corrupt(format!("bad metadata: {e}")))
    }
}

fn default_arch() -> String {
    crate::DEFAULT_ARCH.to_owned()
}
