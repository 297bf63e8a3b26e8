//! Target layers by torchvision name: `features.0` ... `features.18`.

use std::fmt;
use std::str::FromStr;

use mobilenetv2::FEATURE_LAYERS;

/// A layer whose output a CAM is computed on, e.g. `features.18` (the default: the last
/// convolutional feature map).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TargetLayer(usize);

impl TargetLayer {
    /// `features.18`, the last feature map before pooling.
    pub const LAST: TargetLayer = TargetLayer(FEATURE_LAYERS - 1);

    /// `features.{index}`; `None` beyond `features.18`.
    pub fn new(index: usize) -> Option<Self> {
        (index < FEATURE_LAYERS).then_some(Self(index))
    }

    /// Index into `features`.
    pub fn index(self) -> usize {
        self.0
    }
}

impl Default for TargetLayer {
    fn default() -> Self {
        Self::LAST
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
