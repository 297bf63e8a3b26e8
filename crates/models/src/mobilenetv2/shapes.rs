//! Which MobileNetV2 a `state_dict` holds, from its tensors' shapes.

use super::inverted_residual::BlockPart;
use super::network::Feature;
use super::{FEATURE_LAYERS, MobileNetV2, MobileNetV2Config};

/// The key every torchvision MobileNetV2 has, and no other torchvision family (EfficientNet,
/// MobileNetV3 and ConvNeXt share its `features.0.0.weight`).
pub(crate) const ANCHOR: &str = "features.1.conv.0.0.weight";

/// Width multipliers tried first, torchvision's and timm's common ones.
const CANDIDATE_WIDTHS: [f64; 7] = [1.0, 0.5, 0.75, 0.35, 0.25, 1.3, 1.4];

/// The configuration whose layer widths and classifier match `shape(key)`.
pub(crate) fn config(
    shape: &dyn Fn(&str) -> Option<Vec<usize>>,
) -> Result<MobileNetV2Config, String> {
    let widths: Vec<Option<usize>> = (0..FEATURE_LAYERS)
        .map(|i| shape(&output_conv_key(i)).map(|s| s[0]))
        .collect();
    let width_mult = width_mult(&widths).ok_or_else(|| {
        format!(
            "its layer widths {widths:?} match no MobileNetV2 width multiplier; is it a torchvision mobilenet_v2?"
        )
    })?;
    let classifier =
        shape("classifier.1.weight").ok_or("it has no classifier.1.weight".to_owned())?;
    Ok(MobileNetV2Config::new(classifier[0]).with_width_mult(width_mult))
}

/// Width multipliers to try, the common ones first, then every multiple of 0.05 up to 3.
pub(crate) fn candidate_widths() -> impl Iterator<Item = f64> {
    (CANDIDATE_WIDTHS.into_iter()).chain((1..=60).map(|k| k as f64 * 0.05))
}

/// Whether a network's layer widths are `found` (a width per layer, where its key was found).
pub(crate) fn widths_match(expected: &[usize], found: &[Option<usize>]) -> bool {
    expected.len() == found.len() && expected.iter().zip(found).all(|(a, b)| Some(*a) == *b)
}

/// The width multiplier whose `features.0` ... `features.18` widths are `widths`.
fn width_mult(widths: &[Option<usize>]) -> Option<f64> {
    candidate_widths().find(|&w| {
        let config = MobileNetV2Config::new(1).with_width_mult(w);
        widths_match(&config.feature_channels(), widths)
    })
}

/// The key of the convolution that sets `features.{i}`'s output width.
pub(crate) fn output_conv_key(i: usize) -> String {
    match i {
        0 | 18 => format!("features.{i}.0.weight"),
        1 => "features.1.conv.1.weight".to_owned(),
        _ => format!("features.{i}.conv.2.weight"),
    }
}

impl MobileNetV2 {
    /// The hyper-parameters this network was built with, read off its shapes.
    pub fn config(&self) -> MobileNetV2Config {
        let widths: Vec<Option<usize>> = self
            .features
            .iter()
            .map(|feature| match feature {
                Feature::Conv((conv, _)) => Some(conv.weight.dims()[0]),
                Feature::Block(block) => block.conv.iter().rev().find_map(|part| match part {
                    BlockPart::Conv(conv) => Some(conv.weight.dims()[0]),
                    _ => None,
                }),
            })
            .collect();
        MobileNetV2Config::new(self.num_classes())
            .with_width_mult(width_mult(&widths).expect("a network built from a config"))
            .with_dropout(self.classifier.0.prob)
    }
}
