//! torchvision's `densenet121`, `161`, `169` and `201`, key for key: a stem, four dense blocks
//! (each layer fed the concatenation of every earlier output) with transitions between them,
//! and a final batch norm ([`DenseNetConfig`]), and its inference copy ([`FoldedDenseNet`]).

mod block;
mod classifier;
mod folded;
mod network;
pub(crate) mod shapes;

pub use block::{DenseBlock, DenseLayer, DenseLayerConfig, Transition};
pub use folded::FoldedDenseNet;
pub use network::{DenseNet, DenseNetConfig, DenseNetFeatures, LAYERS, VARIANTS};

/// More dense layers than any block of torchvision's DenseNets has (densenet201's third has 48).
const MOST_LAYERS: usize = 64;

/// Key renames between torchvision's `state_dict` and the network's module paths, as
/// (pattern, replacement) pairs applied in order: torchvision numbers a block's layers from 1
/// by name (`denseblock1.denselayer1`), Burn from 0 by index (`denseblock1.layers.0`). With
/// `to_torchvision`, the other way.
pub(crate) fn key_renames(to_torchvision: bool) -> Vec<(String, String)> {
    (1..=MOST_LAYERS)
        .map(|k| match to_torchvision {
            false => (format!(r"\.denselayer{k}\."), format!(".layers.{}.", k - 1)),
            true => (
                format!(r"\.layers\.{}\.", k - 1),
                format!(".denselayer{k}."),
            ),
        })
        .collect()
}
