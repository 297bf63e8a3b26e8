//! Which MobileNetV3 a `state_dict` holds, from its tensors' shapes.

use super::network::{MobileNetV3, MobileNetV3Config, VARIANTS};
use crate::mobilenetv2::shapes::{candidate_widths, widths_match};

/// The key every torchvision MobileNetV3 has, and no other torchvision family (EfficientNet's
/// blocks sit one level deeper, `features.1.0.block`).
pub(crate) const ANCHOR: &str = "features.1.block.0.0.weight";

/// The configuration whose blocks, layer widths and classifier match `shape(key)`.
pub(crate) fn config(
    shape: &dyn Fn(&str) -> Option<Vec<usize>>,
) -> Result<MobileNetV3Config, String> {
    let blocks = (1..)
        .take_while(|i| shape(&format!("features.{i}.block.0.0.weight")).is_some())
        .count();
    let head = shape("classifier.3.weight").ok_or("it has no classifier.3.weight".to_owned())?;
    let (_, variant) = (VARIANTS.iter())
        .find(|(_, v)| MobileNetV3Config::new(1, *v).feature_layers() == blocks + 2)
        .ok_or_else(|| {
            format!("its {blocks} blocks match no torchvision MobileNetV3 (11: small, 15: large)")
        })?;
    let widths: Vec<Option<usize>> = (0..blocks + 2).map(|i| output_width(shape, i)).collect();
    let hidden = shape("classifier.0.weight").map(|s| s[0]);
    let config = MobileNetV3Config::new(head[0], *variant);
    let width_mult = width_mult(&config, &widths, hidden).ok_or_else(|| {
        format!(
            "its layer widths {widths:?} and hidden width {hidden:?} match no {} width multiplier",
            variant.name()
        )
    })?;
    Ok(config.with_width_mult(width_mult))
}

/// The width multiplier whose `features` widths are `widths` and whose classifier's hidden
/// width is `hidden`.
fn width_mult(
    config: &MobileNetV3Config,
    widths: &[Option<usize>],
    hidden: Option<usize>,
) -> Option<f64> {
    candidate_widths().find(|&w| {
        let config = config.clone().with_width_mult(w);
        widths_match(&config.feature_channels(), widths) && hidden == Some(config.last_channel())
    })
}

/// The output width of `features.{i}`: its convolution's, or its block's projection's (the
/// last `block.{k}.0.weight`; a squeeze-excitation's keys are `fc1`, `fc2`).
fn output_width(shape: &dyn Fn(&str) -> Option<Vec<usize>>, i: usize) -> Option<usize> {
    let conv = || shape(&format!("features.{i}.0.weight"));
    let block = || {
        (0..5)
            .rev()
            .find_map(|k| shape(&format!("features.{i}.block.{k}.0.weight")))
    };
    conv().or_else(block).map(|s| s[0])
}

impl MobileNetV3 {
    /// The hyper-parameters this network was built with, read off its shapes.
    pub fn config(&self) -> MobileNetV3Config {
        let (_, variant) = (VARIANTS.iter())
            .find(|(_, v)| MobileNetV3Config::new(1, *v).feature_layers() == self.features.len())
            .expect("a network built from a config");
        let config = MobileNetV3Config::new(self.num_classes(), *variant);
        let widths: Vec<Option<usize>> = self
            .features
            .iter()
            .map(|f| Some(f.out_channels()))
            .collect();
        let hidden = Some(self.classifier.0.weight.dims()[1]);
        let width_mult =
            width_mult(&config, &widths, hidden).expect("a network built from a config");
        config
            .with_width_mult(width_mult)
            .with_dropout(self.classifier.2.prob)
    }
}
