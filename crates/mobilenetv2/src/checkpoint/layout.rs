//! What a foreign (PyTorch / safetensors) checkpoint holds: its tensor names and shapes,
//! where the model's keys sit inside it, and which MobileNetV2 they describe.

use std::collections::BTreeMap;
use std::path::Path;

use burn::store::pytorch_reader::{PickleValue, PytorchReader};

use super::{CheckpointError, Format};
use crate::{FEATURE_LAYERS, MobileNetV2Config};

/// Dictionary keys under which training scripts commonly nest a `state_dict`.
const WRAPPER_KEYS: [&str; 5] = ["state_dict", "model_state_dict", "model", "net", "weights"];

/// The key every torchvision MobileNetV2 `state_dict` has; finding it locates the prefix.
const ANCHOR: &str = "features.0.0.weight";

/// Where the model's `state_dict` sits inside a checkpoint file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct KeyLayout {
    /// The top-level dictionary key holding the `state_dict` (`{"state_dict": ...}`), if any.
    pub wrapper: Option<String>,
    /// The prefix on every model key: `module.` (DataParallel), `model.` (Lightning), or empty.
    pub prefix: String,
}

impl KeyLayout {
    /// One-line description, e.g. `wrapped in "state_dict", keys prefixed "module."`.
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

/// Tensor names (as flattened dotted paths) and shapes of a foreign checkpoint.
pub(crate) struct TensorShapes(pub BTreeMap<String, Vec<usize>>);

impl TensorShapes {
    /// Reads names and shapes without materializing tensor data.
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

    /// Finds the model's keys: the wrapper dictionary (PyTorch files only) and key prefix.
    pub fn layout(&self, path: &Path, format: Format) -> Result<KeyLayout, CheckpointError> {
        let full_prefix = self
            .0
            .keys()
            .find_map(|k| k.strip_suffix(ANCHOR))
            .filter(|p| p.is_empty() || p.ends_with('.'))
            .ok_or_else(|| CheckpointError::NotMobileNetV2 {
                path: path.to_owned(),
                count: self.0.len(),
            })?;
        // `{"model": sd}` and a Lightning-style "model." prefix flatten to the same names;
        // the top-level dictionary tells them apart.
        let first = full_prefix.split('.').next().unwrap_or_default();
        let wrapped = format != Format::Safetensors
            && WRAPPER_KEYS.contains(&first)
            && top_level_keys(path).iter().any(|k| k == first);
        Ok(if wrapped {
            KeyLayout {
                wrapper: Some(first.to_owned()),
                prefix: full_prefix[first.len() + 1..].to_owned(),
            }
        } else {
            KeyLayout {
                wrapper: None,
                prefix: full_prefix.to_owned(),
            }
        })
    }

    fn shape(&self, layout: &KeyLayout, key: &str) -> Option<&[usize]> {
        let wrapper = layout
            .wrapper
            .as_ref()
            .map(|w| format!("{w}."))
            .unwrap_or_default();
        self.0
            .get(&format!("{wrapper}{}{key}", layout.prefix))
            .map(Vec::as_slice)
    }

    /// The configuration whose layer widths match the file, and the parameter count.
    pub fn architecture(
        &self,
        path: &Path,
        layout: &KeyLayout,
    ) -> Result<(MobileNetV2Config, usize), CheckpointError> {
        let arch_error = |what: String| CheckpointError::Architecture {
            path: path.to_owned(),
            what,
        };
        let widths: Vec<Option<usize>> = (0..FEATURE_LAYERS)
            .map(|i| self.shape(layout, &output_conv_key(i)).map(|s| s[0]))
            .collect();
        let width_mult = CANDIDATE_WIDTHS
            .iter()
            .copied()
            .chain((1..=60).map(|k| k as f64 * 0.05))
            .find(|&w| MobileNetV2Config::new(1).with_width_mult(w).feature_channels().iter().zip(&widths).all(|(a, b)| Some(*a) == *b))
            .ok_or_else(|| {
                arch_error(format!(
                    "its layer widths {widths:?} match no MobileNetV2 width multiplier; is it a torchvision mobilenet_v2?"
                ))
            })?;
        let classifier = self
            .shape(layout, "classifier.1.weight")
            .ok_or_else(|| arch_error("it has no classifier.1.weight".to_owned()))?;
        let params = self
            .0
            .iter()
            .filter(|(k, _)| !k.ends_with("num_batches_tracked") && !k.contains("running_"))
            .map(|(_, s)| s.iter().product::<usize>())
            .sum();
        Ok((
            MobileNetV2Config::new(classifier[0]).with_width_mult(width_mult),
            params,
        ))
    }
}

/// Width multipliers torchvision and the literature use, tried first.
const CANDIDATE_WIDTHS: [f64; 7] = [1.0, 0.5, 0.75, 0.35, 0.25, 1.3, 1.4];

/// The key of the convolution that sets `features.{i}`'s output width.
fn output_conv_key(i: usize) -> String {
    match i {
        0 | 18 => format!("features.{i}.0.weight"),
        1 => "features.1.conv.1.weight".to_owned(),
        _ => format!("features.{i}.conv.2.weight"),
    }
}

/// The keys of a PyTorch file's top-level dictionary (empty when it is not one).
fn top_level_keys(path: &Path) -> Vec<String> {
    match PytorchReader::read_pickle_data(path, None) {
        Ok(PickleValue::Dict(dict)) => dict.into_keys().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shapes of a `width`-wide torchvision MobileNetV2 with `classes` outputs, every key
    /// behind `prefix`.
    fn shapes(prefix: &str, width: f64, classes: usize) -> TensorShapes {
        let channels = MobileNetV2Config::new(classes)
            .with_width_mult(width)
            .feature_channels();
        let mut map: BTreeMap<String, Vec<usize>> = channels
            .iter()
            .enumerate()
            .map(|(i, &c)| (format!("{prefix}{}", output_conv_key(i)), vec![c, 1, 1, 1]))
            .collect();
        map.insert(format!("{prefix}{ANCHOR}"), vec![channels[0], 3, 3, 3]);
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
            assert_eq!(
                layout,
                KeyLayout {
                    wrapper: None,
                    prefix: prefix.to_owned()
                }
            );
        }
    }

    #[test]
    fn a_file_without_the_anchor_is_not_mobilenetv2() {
        let path = Path::new("x.safetensors");
        // A name that merely ends like the anchor is not it.
        let mut map = BTreeMap::new();
        map.insert(format!("extra{ANCHOR}"), vec![32, 3, 3, 3]);
        let error = TensorShapes(map)
            .layout(path, Format::Safetensors)
            .unwrap_err();
        assert!(
            matches!(error, CheckpointError::NotMobileNetV2 { count: 1, .. }),
            "{error}"
        );
    }

    #[test]
    fn layer_widths_give_the_width_multiplier_and_the_classifier_the_classes() {
        let path = Path::new("x.safetensors");
        for width in [1.0, 0.5, 0.35, 1.4] {
            let shapes = shapes("module.", width, 7);
            let layout = shapes.layout(path, Format::Safetensors).unwrap();
            let (config, _) = shapes.architecture(path, &layout).unwrap();
            assert_eq!((config.width_mult, config.num_classes), (width, 7));
        }
    }

    #[test]
    fn describe_names_wrapper_and_prefix() {
        let layout = KeyLayout {
            wrapper: Some("state_dict".to_owned()),
            prefix: "module.".to_owned(),
        };
        assert_eq!(
            layout.describe(),
            r#"wrapped in "state_dict", keys prefixed "module.""#
        );
        assert_eq!(KeyLayout::default().describe(), "plain state_dict");
    }
}
