//! Which VGG a `state_dict` holds, from its tensors' shapes.

use super::VggConfig;
use super::network::{STAGE_WIDTHS, VARIANTS};

/// The key every torchvision VGG has: the last linear layer of its three-layer classifier.
/// (AlexNet shares it and is told apart by its `features`.)
pub(crate) const ANCHOR: &str = "classifier.6.weight";

/// The configuration whose convolutions, batch norms and classifier match `shape(key)`.
pub(crate) fn config(shape: &dyn Fn(&str) -> Option<Vec<usize>>) -> Result<VggConfig, String> {
    let head = shape(ANCHOR).ok_or(format!("it has no {ANCHOR}"))?;
    let first = shape("features.0.weight").ok_or("it has no features.0.weight".to_owned())?;
    let found: Vec<usize> = (0..100)
        .filter(|i| shape(&format!("features.{i}.weight")).is_some_and(|s| s.len() == 4))
        .collect();
    let batch_norm = shape("features.1.running_mean").is_some();
    let config = VARIANTS
        .iter()
        .filter(|(.., bn)| *bn == batch_norm)
        .map(|(_, stages, _)| VggConfig::new(head[0], *stages).with_batch_norm(batch_norm))
        .find(|config| config.conv_indices() == found)
        .ok_or_else(|| {
            format!("its convolutions at features {found:?} match no torchvision VGG (vgg11 ... vgg19, with or without _bn)")
        })?;
    let config = config.with_width_mult(first[0] as f64 / STAGE_WIDTHS[0] as f64);
    let hidden = shape("classifier.0.weight").map(|s| s[0]);
    let expected = config.hidden_width();
    match hidden {
        Some(hidden) if hidden == expected => Ok(config),
        other => Err(format!(
            "its classifier's hidden width is {other:?}; a VGG of width {} has {expected}",
            config.width_mult
        )),
    }
}
