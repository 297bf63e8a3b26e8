//! What a foreign (PyTorch / safetensors) checkpoint holds: its tensor names and shapes,
//! where the model's keys sit inside it, and which architecture they describe.

use std::collections::BTreeMap;
use std::path::Path;

use burn::store::pytorch_reader::{PickleValue, PytorchReader};

use super::{CheckpointError, Format, foreign};
use crate::{
    Architecture, convnext, densenet, efficientnet, mobilenetv2, mobilenetv3, resnet, vgg,
};

/// Top-level dictionary keys that training scripts wrap a `state_dict` in.
const WRAPPER_KEYS: [&str; 5] = ["state_dict", "model_state_dict", "model", "net", "weights"];

/// The families camwatch runs, each by the key that only it has (see the families' `shapes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Family {
    MobileNetV2,
    MobileNetV3,
    ResNet,
    Vgg,
    EfficientNet,
    ConvNeXt,
    DenseNet,
}

const ANCHORS: [(&str, Family); 7] = [
    (mobilenetv2::shapes::ANCHOR, Family::MobileNetV2),
    (mobilenetv3::shapes::ANCHOR, Family::MobileNetV3),
    (resnet::shapes::ANCHOR, Family::ResNet),
    (vgg::shapes::ANCHOR, Family::Vgg),
    (efficientnet::shapes::ANCHOR, Family::EfficientNet),
    (convnext::shapes::ANCHOR, Family::ConvNeXt),
    (densenet::shapes::ANCHOR, Family::DenseNet),
];

/// Where the model's keys sit in a checkpoint.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeyLayout {
    /// Top-level dictionary key the `state_dict` is stored under (`state_dict`, `model`, ...).
    pub wrapper: Option<String>,
    /// Prefix of every model key (`module.` from DataParallel, `model.` from Lightning, ...).
    pub prefix: String,
    /// The family whose anchor key was found.
    #[serde(skip)]
    family: Option<Family>,
}

impl KeyLayout {
    /// A short human description, e.g. `wrapped in "state_dict", keys prefixed "module."`.
    pub fn describe(&self) -> String {
        let wrapper = match &self.wrapper {
            Some(key) => format!("wrapped in {key:?}"),
            None => "plain state_dict".to_owned(),
        };
        match self.prefix.as_str() {
            "" => wrapper,
            prefix => format!("{wrapper}, keys prefixed {prefix:?}"),
        }
    }
}

/// Every tensor name of a checkpoint with its shape.
pub(crate) struct TensorShapes(pub BTreeMap<String, Vec<usize>>);

impl TensorShapes {
    /// Reads the names and shapes (not the data) of a PyTorch or safetensors file.
    pub fn read(path: &Path, format: Format) -> Result<Self, CheckpointError> {
        let corrupt = |reason: String| CheckpointError::Corrupt {
            path: path.to_owned(),
            reason,
        };
        let shapes = match format {
            Format::PytorchZip | Format::PytorchLegacy => PytorchReader::new(path)
                .map_err(|e| corrupt(e.to_string()))?
                .tensors()
                .iter()
                .map(|(name, t)| (name.clone(), t.shape().to_vec()))
                .collect(),
            Format::Safetensors => {
                let bytes = std::fs::read(path).map_err(|cause| CheckpointError::Io {
                    path: path.to_owned(),
                    cause,
                })?;
                let tensors = safetensors::SafeTensors::deserialize(&bytes)
                    .map_err(|e| corrupt(e.to_string()))?;
                tensors
                    .iter()
                    .map(|(name, view)| (name.to_owned(), view.shape().to_vec()))
                    .collect()
            }
            Format::Camwatch => unreachable!("camwatch checkpoints carry their own metadata"),
        };
        Ok(Self(shapes))
    }

    /// Finds the wrapper and prefix of the model's keys from a family's anchor key.
    pub fn layout(&self, path: &Path, format: Format) -> Result<KeyLayout, CheckpointError> {
        let found = self.0.keys().find_map(|k| {
            ANCHORS.iter().find_map(|(anchor, family)| {
                k.strip_suffix(anchor)
                    .filter(|p| p.is_empty() || p.ends_with('.'))
                    .map(|p| (p.to_owned(), *family))
            })
        });
        let Some((full_prefix, family)) = found else {
            let keys: Vec<&str> = self.0.keys().map(String::as_str).collect();
            return Err(match foreign::describe(&keys) {
                Some(what) => CheckpointError::Unsupported {
                    path: path.to_owned(),
                    what: what.to_owned(),
                },
                None => CheckpointError::UnknownArchitecture {
                    path: path.to_owned(),
                    count: self.0.len(),
                },
            });
        };
        // `{"model": sd}` and a Lightning-style "model." prefix flatten to the same names;
        // the top-level dictionary tells them apart.
        let first = full_prefix.split('.').next().unwrap_or_default();
        let wrapped = format != Format::Safetensors
            && WRAPPER_KEYS.contains(&first)
            && top_level_keys(path).iter().any(|k| k == first);
        let (wrapper, prefix) = if wrapped {
            (
                Some(first.to_owned()),
                full_prefix[first.len() + 1..].to_owned(),
            )
        } else {
            (None, full_prefix)
        };
        Ok(KeyLayout {
            wrapper,
            prefix,
            family: Some(family),
        })
    }

    /// The shape of model key `key` (without wrapper or prefix).
    fn shape(&self, layout: &KeyLayout, key: &str) -> Option<Vec<usize>> {
        let wrapper = layout
            .wrapper
            .as_ref()
            .map(|w| format!("{w}."))
            .unwrap_or_default();
        self.0
            .get(&format!("{wrapper}{}{key}", layout.prefix))
            .cloned()
    }

    /// The architecture (family, depth, width, classes) and trainable parameter count.
    pub fn architecture(
        &self,
        path: &Path,
        layout: &KeyLayout,
    ) -> Result<(Architecture, usize), CheckpointError> {
        let shape = |key: &str| self.shape(layout, key);
        let architecture = match layout.family {
            Some(Family::MobileNetV2) => {
                mobilenetv2::shapes::config(&shape).map(Architecture::MobileNetV2)
            }
            Some(Family::MobileNetV3) => {
                mobilenetv3::shapes::config(&shape).map(Architecture::MobileNetV3)
            }
            Some(Family::ResNet) => resnet::shapes::config(&shape).map(Architecture::ResNet),
            Some(Family::Vgg) => vgg::shapes::config(&shape).map(Architecture::Vgg),
            Some(Family::EfficientNet) => {
                efficientnet::shapes::config(&shape).map(Architecture::EfficientNet)
            }
            Some(Family::ConvNeXt) => convnext::shapes::config(&shape).map(Architecture::ConvNeXt),
            Some(Family::DenseNet) => densenet::shapes::config(&shape).map(Architecture::DenseNet),
            None => unreachable!("a layout found by an anchor"),
        }
        .map_err(|what| CheckpointError::Architecture {
            path: path.to_owned(),
            what,
        })?;
        let params = self
            .0
            .iter()
            .filter(|(k, _)| !k.ends_with("num_batches_tracked") && !k.contains("running_"))
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        Ok((architecture, params))
    }
}

/// The keys of the top-level dictionary of a pickled checkpoint (none if it is not one).
fn top_level_keys(path: &Path) -> Vec<String> {
    match PytorchReader::read_pickle_data(path, None) {
        Ok(PickleValue::Dict(dict)) => dict.into_keys().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MobileNetV2Config;
    use crate::mobilenetv2::shapes::{ANCHOR, output_conv_key};

    fn shapes(prefix: &str, width: f64, classes: usize) -> TensorShapes {
        let channels = MobileNetV2Config::new(classes)
            .with_width_mult(width)
            .feature_channels();
        let mut map: BTreeMap<String, Vec<usize>> = channels
            .iter()
            .enumerate()
            .map(|(i, &c)| (format!("{prefix}{}", output_conv_key(i)), vec![c, 1, 1, 1]))
            .collect();
        map.insert(format!("{prefix}{ANCHOR}"), vec![channels[0], 1, 3, 3]);
        map.insert(format!("{prefix}classifier.1.weight"), vec![classes, 1280]);
        TensorShapes(map)
    }

    #[test]
    fn the_anchor_key_finds_the_prefix() {
        let path = Path::new("x.safetensors");
        for prefix in ["", "module.", "model.module."] {
            let layout = shapes(prefix, 1.0, 10)
                .layout(path, Format::Safetensors)
                .unwrap();
            assert_eq!((layout.wrapper, layout.prefix.as_str()), (None, prefix));
        }
    }

    #[test]
    fn a_file_without_an_anchor_is_no_known_architecture() {
        let path = Path::new("x.safetensors");
        // A name that merely ends like the anchor is not it.
        let mut map = BTreeMap::new();
        map.insert(format!("extra{ANCHOR}"), vec![32, 3, 3, 3]);
        let error = TensorShapes(map)
            .layout(path, Format::Safetensors)
            .unwrap_err();
        assert!(
            matches!(error, CheckpointError::UnknownArchitecture { count: 1, .. }),
            "{error}"
        );
    }

    #[test]
    fn layer_widths_give_the_width_multiplier_and_the_classifier_the_classes() {
        let path = Path::new("x.safetensors");
        for width in [1.0, 0.5, 0.35, 1.4] {
            let shapes = shapes("module.", width, 7);
            let layout = shapes.layout(path, Format::Safetensors).unwrap();
            let (architecture, _) = shapes.architecture(path, &layout).unwrap();
            assert_eq!(
                (architecture.width_mult(), architecture.num_classes()),
                (width, 7)
            );
        }
    }

    #[test]
    fn describe_names_wrapper_and_prefix() {
        let layout = KeyLayout {
            wrapper: Some("state_dict".to_owned()),
            prefix: "module.".to_owned(),
            family: None,
        };
        assert_eq!(
            layout.describe(),
            r#"wrapped in "state_dict", keys prefixed "module.""#
        );
        assert_eq!(KeyLayout::default().describe(), "plain state_dict");
    }
}
