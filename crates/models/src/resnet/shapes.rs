//! Which ResNet a `state_dict` holds, from its tensors' shapes.

use super::ResNetConfig;

/// The key every torchvision (and timm) ResNet has.
pub(crate) const ANCHOR: &str = "layer1.0.conv1.weight";

/// The configuration whose stages, blocks and classifier match `shape(key)`.
pub(crate) fn config(shape: &dyn Fn(&str) -> Option<Vec<usize>>) -> Result<ResNetConfig, String> {
    let blocks = [1, 2, 3, 4].map(|stage| {
        (0..)
            .take_while(|i| shape(&format!("layer{stage}.{i}.conv1.weight")).is_some())
            .count()
    });
    let stem = shape("conv1.weight").ok_or("it has layer1 but no conv1.weight".to_owned())?;
    let base_width = stem[0];
    let bottleneck = shape("layer1.0.conv3.weight").is_some();
    let conv2 = shape("layer1.0.conv2.weight").ok_or("it has no layer1.0.conv2".to_owned())?;
    let (groups, width_per_group) = if bottleneck {
        let [width, per_group, ..] = conv2[..] else {
            return Err(format!("layer1.0.conv2.weight has shape {conv2:?}"));
        };
        let groups = width / per_group.max(1);
        (groups, width * 64 / base_width / groups.max(1))
    } else {
        (1, 64)
    };
    let fc = shape("fc.weight").ok_or("it has no fc.weight".to_owned())?;
    let config = ResNetConfig::new(fc[0], blocks, bottleneck)
        .with_groups(groups)
        .with_width_per_group(width_per_group)
        .with_base_width(base_width);
    match config.variant() {
        Some(_) => Ok(config),
        None => Err(format!(
            "its stages ({blocks:?} {} blocks, {groups} groups of width {width_per_group}) match no torchvision ResNet",
            if bottleneck { "bottleneck" } else { "basic" }
        )),
    }
}
