//! Target layers by torchvision name: `features.0` ... `features.18`.

use std::fmt;
use std::str::FromStr;

use mobilenetv2::FEATURE_LAYERS;

/// A layer whose output a CAM is computed on, e.g. `features.18` (the last convolutional
/// feature map).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetLayer(usize);

impl TargetLayer {
    /// `features.18`, the last feature map before pooling.
    pub const LAST: TargetLayer = TargetLayer(FEATURE_LAYERS - 1);

    /// `features.13`, the last layer at stride 16: maps twice as fine as `features.18`'s.
    pub const LAST_STRIDE_16: TargetLayer = TargetLayer(13);

    /// `features.10`, the end of the 64-channel stage, also at stride 16: the default below
    /// 224 px. On the default dataset at 96 px its maps found the objects in every trained run,
    /// where `features.13`'s, as fine but three blocks deeper and wider in view, sometimes
    /// spread over the background (BENCHMARKS.md).
    pub const SMALL_INPUT: TargetLayer = TargetLayer(10);

    /// Fewest cells across a map of the default layer: `features.18`'s at ImageNet's 224 px.
    pub const MIN_DEFAULT_CELLS: usize = 7;

    /// The default layer for square `image_size`-pixel inputs: `features.18` when its map is
    /// at least [`Self::MIN_DEFAULT_CELLS`] cells wide (224 px and up), else
    /// [`Self::SMALL_INPUT`] (at 96 px: 6×6 instead of a 3×3 map that barely locates anything).
    pub fn default_for(image_size: usize) -> Self {
        if image_size.div_ceil(32) >= Self::MIN_DEFAULT_CELLS {
            Self::LAST
        } else {
            Self::SMALL_INPUT
        }
    }

    /// `layers`, or [`Self::default_for`] `image_size` when there are none.
    pub fn or_default_for(layers: &[TargetLayer], image_size: usize) -> Vec<TargetLayer> {
        if layers.is_empty() {
            vec![Self::default_for(image_size)]
        } else {
            layers.to_vec()
        }
    }

    /// `features.{index}`; `None` beyond `features.18`.
    pub fn new(index: usize) -> Option<Self> {
        (index < FEATURE_LAYERS).then_some(Self(index))
    }

    /// Index into `features`.
    pub fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for TargetLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "features.{}", self.0)
    }
}

impl FromStr for TargetLayer {
    type Err = String;

    /// Accepts `features.N` or `N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix("features.")
            .unwrap_or(s)
            .parse::<usize>()
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| {
                format!(
                    "unknown target layer '{s}'; MobileNetV2 layers are features.0 ... features.{}",
                    FEATURE_LAYERS - 1
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_torchvision_names_and_bare_indices() {
        assert_eq!("features.13".parse(), Ok(TargetLayer::LAST_STRIDE_16));
        assert_eq!("18".parse(), Ok(TargetLayer::LAST));
        let error = "features.19".parse::<TargetLayer>().unwrap_err();
        assert!(error.contains("features.0 ... features.18"), "{error}");
        assert_eq!(TargetLayer::LAST.to_string(), "features.18");
    }

    #[test]
    fn chosen_layers_override_the_default() {
        assert_eq!(
            TargetLayer::or_default_for(&[], 96),
            [TargetLayer::SMALL_INPUT]
        );
        let chosen = [TargetLayer::new(10).unwrap()];
        assert_eq!(TargetLayer::or_default_for(&chosen, 224), chosen);
    }
}
