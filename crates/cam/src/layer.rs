//! Target layers by torchvision name: `features.18`, `layer4.1`, or a stage as
//! pytorch-grad-cam users write it (`layer4`, `layer4[-1]`, `features[-1]`).

use std::fmt;

use models::Network;

/// A layer of a [`Network`] whose output a CAM is computed on.
///
/// Ordered by position in the network.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetLayer {
    index: usize,
    name: String,
}

impl TargetLayer {
    /// The layer of `network` that `name` names: a layer's own name (`layer4.1`, `features.13`),
    /// a bare index into `features` (`13`: `features.13`), or a container and an index as
    /// Python writes it (`layer4[-1]`, `layer4[0]`, `features[-1]`); a container alone
    /// (`layer4`) is its last layer, as its output is.
    pub fn find(network: &dyn Network, name: &str) -> Result<Self, String> {
        let layers = network.layers();
        let at = |index: usize| Self {
            index,
            name: layers[index].clone(),
        };
        if let Some(index) = layers.iter().position(|layer| layer == name) {
            return Ok(at(index));
        }
        let (container, position) = match name.strip_suffix(']').and_then(|s| s.split_once('[')) {
            Some((container, position)) => (container, position.parse::<isize>().ok()),
            None if name.parse::<usize>().is_ok() => ("features", name.parse().ok()),
            None => (name, Some(-1)),
        };
        let members: Vec<usize> = (0..layers.len())
            .filter(|&i| {
                layers[i]
                    .strip_prefix(container)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .collect();
        // As in Python, `features[13]` is torchvision's `features.13` and `features[-1]` the
        // container's last layer.
        let chosen = position.and_then(|p| match usize::try_from(p) {
            Ok(p) => {
                let name = format!("{container}.{p}");
                members.iter().copied().find(|&i| layers[i] == name)
            }
            Err(_) => {
                let from_end = members.len().checked_sub(p.unsigned_abs())?;
                members.get(from_end).copied()
            }
        });
        chosen.map(at).ok_or_else(|| {
            format!(
                "unknown target layer '{name}'; this network's layers are {}",
                summary(&layers)
            )
        })
    }

    /// The layers `names` name ([`Self::find`]), or the network's default layer for
    /// `image_size`-pixel inputs when there are none.
    pub fn find_or_default(
        network: &dyn Network,
        names: &[String],
        image_size: usize,
    ) -> Result<Vec<Self>, String> {
        if names.is_empty() {
            return Ok(vec![Self::default_for(network, image_size)]);
        }
        names.iter().map(|name| Self::find(network, name)).collect()
    }

    /// The network's default layer for square `image_size`-pixel inputs
    /// ([`Network::default_layer`]).
    pub fn default_for(network: &dyn Network, image_size: usize) -> Self {
        Self::at(network, network.default_layer(image_size))
    }

    /// The last layer of `network`, the one before pooling.
    pub fn last(network: &dyn Network) -> Self {
        Self::at(network, network.layers().len() - 1)
    }

    /// The last layer whose output is at most 16 times smaller than the input (stride 16:
    /// `features.13` in MobileNetV2, `layer3`'s last block in a ResNet), found by running a
    /// 64-pixel input through the network: maps twice as fine as the last layer's.
    pub fn last_at_stride_16(network: &dyn Network) -> Self {
        const SIZE: usize = 64;
        let device = network.device();
        let mut x = burn::prelude::Tensor::<4>::zeros([1, 3, SIZE, SIZE], &device);
        let mut chosen = 0;
        for index in 0..network.layers().len() {
            x = network.forward_layers(x, index..index + 1);
            if x.dims()[2] * 16 >= SIZE {
                chosen = index;
            }
        }
        Self::at(network, chosen)
    }

    /// Layer `index` of `network`.
    ///
    /// # Panics
    /// If the network has no layer `index`.
    pub fn at(network: &dyn Network, index: usize) -> Self {
        Self {
            index,
            name: network.layers().swap_remove(index),
        }
    }

    /// Position among the network's layers.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The layer's torchvision name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// `features.0 ... features.18`, or the first and last few names of a long list.
fn summary(layers: &[String]) -> String {
    match layers {
        [first, .., last] if layers.len() > 6 => {
            let stages: Vec<&str> = layers
                .iter()
                .filter_map(|l| l.split_once('.').map(|(stage, _)| stage))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            format!("{first} ... {last} (or a stage: {})", stages.join(", "))
        }
        _ => layers.join(", "),
    }
}

impl fmt::Display for TargetLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}
