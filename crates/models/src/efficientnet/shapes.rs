//! Which EfficientNet a `state_dict` holds, from its tensors' shapes.

use super::network::{EfficientNet, EfficientNetConfig, Feature, VARIANTS};
use crate::Classifier;
use crate::mobilenetv2::shapes::{candidate_widths, widths_match};

/// The key every torchvision EfficientNet has, and no other torchvision family (MobileNetV3's
/// blocks sit one level higher, `features.1.block`; ConvNeXt's `block.0` is a bare convolution).
pub(crate) const ANCHOR: &str = "features.1.0.block.0.0.weight";

/// Only the first EfficientNets have it: the squeeze-excitation of the first block, whose
/// `block.0` is the depthwise convolution (EfficientNetV2's first stages are fused, without one).
const V1_KEY: &str = "features.1.0.block.1.fc1.weight";

/// The configuration whose blocks per stage, layer widths and classifier match `shape(key)`.
pub(crate) fn config(
    shape: &dyn Fn(&str) -> Option<Vec<usize>>,
) -> Result<EfficientNetConfig, String> {
    let head = shape("classifier.1.weight").ok_or("it has no classifier.1.weight".to_owned())?;
    let depths: Vec<usize> = (1..)
        .map(|i| {
            (0..)
                .take_while(|k| shape(&format!("features.{i}.{k}.block.0.0.weight")).is_some())
                .count()
        })
        .take_while(|&blocks| blocks > 0)
        .collect();
    let v2 = shape(V1_KEY).is_none();
    let widths: Vec<Option<usize>> = (0..depths.len() + 2)
        .map(|i| output_width(shape, i, depths.get(i.wrapping_sub(1)).copied()))
        .collect();
    let version = if v2 { "EfficientNetV2" } else { "EfficientNet" };
    matching(head[0], v2, &depths, &widths).ok_or_else(|| {
        format!(
            "its blocks per stage {depths:?} and layer widths {widths:?} match no torchvision {version} at any width multiplier"
        )
    })
}

/// The variant and width multiplier (the variant's own width tried first) with these blocks
/// per stage and `features` widths.
fn matching(
    num_classes: usize,
    v2: bool,
    depths: &[usize],
    widths: &[Option<usize>],
) -> Option<EfficientNetConfig> {
    let variants: Vec<EfficientNetConfig> = (VARIANTS.iter())
        .filter(|(_, v)| v.is_v2() == v2)
        .map(|(name, _)| EfficientNetConfig::named(name, num_classes).unwrap())
        .filter(|config| config.depths() == depths)
        .collect();
    candidate_widths().find_map(|w| {
        (variants.iter())
            .map(|config| config.clone().with_width_mult(w))
            .find(|config| widths_match(&config.feature_channels(), widths))
    })
}

/// The output width of `features.{i}`: its convolution's, or its last block's last
/// convolution's (the highest `block.{k}.0.weight`; a squeeze-excitation's keys are `fc1`,
/// `fc2`).
fn output_width(
    shape: &dyn Fn(&str) -> Option<Vec<usize>>,
    i: usize,
    depth: Option<usize>,
) -> Option<usize> {
    let conv = || shape(&format!("features.{i}.0.weight"));
    let block = || {
        let last = depth? - 1;
        (0..5)
            .rev()
            .find_map(|k| shape(&format!("features.{i}.{last}.block.{k}.0.weight")))
    };
    conv().or_else(block).map(|s| s[0])
}

impl EfficientNet {
    /// The hyper-parameters this network was built with, read off its shapes.
    pub fn config(&self) -> EfficientNetConfig {
        let stages = &self.features[1..self.features.len() - 1];
        let depths: Vec<usize> = stages.iter().map(|f| f.depth()).collect();
        let widths: Vec<Option<usize>> = (self.features.iter())
            .map(|f| Some(f.out_channels()))
            .collect();
        let v2 = !matches!(&stages[0], Feature::Stage(blocks) if blocks[0].excites());
        matching(self.num_classes(), v2, &depths, &widths)
            .expect("a network built from a config")
            .with_dropout(self.classifier.0.prob)
    }
}
