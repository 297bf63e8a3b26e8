//! Which DenseNet a `state_dict` holds, from its tensors' shapes.

use super::network::DenseNetConfig;

/// The key every torchvision DenseNet has, and no other torchvision family.
pub(crate) const ANCHOR: &str = "features.denseblock1.denselayer1.conv1.weight";

/// The configuration whose blocks, growth rate, bottleneck, stem and classifier match
/// `shape(key)`.
pub(crate) fn config(shape: &dyn Fn(&str) -> Option<Vec<usize>>) -> Result<DenseNetConfig, String> {
    let need = |key: &str| shape(key).ok_or(format!("it has no {key}"));
    let head = need("classifier.weight")?;
    let stem = need("features.conv0.weight")?;
    let bottleneck = need(ANCHOR)?;
    let growth = need("features.denseblock1.denselayer1.conv2.weight")?;
    let blocks: [usize; 4] = std::array::from_fn(|b| {
        (1..)
            .take_while(|k| {
                let key = format!("features.denseblock{}.denselayer{k}.conv1.weight", b + 1);
                shape(&key).is_some()
            })
            .count()
    });
    if blocks.contains(&0) {
        return Err(format!(
            "its dense blocks have {blocks:?} layers; a DenseNet's four have some each"
        ));
    }
    let (growth_rate, init_features) = (growth[0], stem[0]);
    Ok(
        DenseNetConfig::new(head[0], growth_rate, blocks, init_features)
            .with_bn_size(bottleneck[0] / growth_rate),
    )
}
