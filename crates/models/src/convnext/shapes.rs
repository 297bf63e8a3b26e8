//! Which ConvNeXt a `state_dict` holds, from its tensors' shapes.

use super::network::ConvNeXtConfig;

/// The key every torchvision ConvNeXt has, and no other torchvision family: the layer scale of
/// the first block.
pub(crate) const ANCHOR: &str = "features.1.0.layer_scale";

/// The configuration whose blocks per stage, stage widths and classifier match `shape(key)`.
pub(crate) fn config(shape: &dyn Fn(&str) -> Option<Vec<usize>>) -> Result<ConvNeXtConfig, String> {
    let head = shape("classifier.2.weight").ok_or("it has no classifier.2.weight".to_owned())?;
    // Stages sit at features.1, .3, .5 and .7, with a downsampling between each two.
    let stage = |s: usize| {
        let blocks = (0..)
            .take_while(|k| shape(&format!("features.{}.{k}.layer_scale", 2 * s + 1)).is_some())
            .count();
        let width = shape(&format!("features.{}.0.layer_scale", 2 * s + 1)).map(|s| s[0]);
        (blocks, width.unwrap_or(0))
    };
    let depths: [usize; 4] = std::array::from_fn(|s| stage(s).0);
    let widths: [usize; 4] = std::array::from_fn(|s| stage(s).1);
    let config = ConvNeXtConfig::new(head[0], depths, widths);
    match config.variant() {
        Some((name, _)) => {
            let named = ConvNeXtConfig::named(name, head[0]).expect("a variant's name");
            Ok(config.with_stochastic_depth(named.stochastic_depth))
        }
        None => Err(format!(
            "its blocks per stage {depths:?} and stage widths {widths:?} match no torchvision ConvNeXt (convnext_tiny ... convnext_large) at any width"
        )),
    }
}
