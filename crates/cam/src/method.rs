//! The CAM methods: each turns one layer's activations (and the target's gradients) into a
//! map, the way each of pytorch-grad-cam's methods is one weight function over a shared base.

use std::fmt;
use std::str::FromStr;

use burn::prelude::*;
use burn::tensor::activation::relu;

/// A class-activation-map method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Method {
    /// Grad-CAM: channels weighted by their spatially averaged gradient.
    GradCam,
    /// Grad-CAM++: positive gradients weighted by second/third-order terms.
    GradCamPlusPlus,
    /// XGradCAM: gradients weighted by normalized activations.
    XGradCam,
    /// LayerCAM: element-wise positive gradients times activations.
    LayerCam,
    /// HiResCAM: element-wise gradients times activations.
    HiResCam,
    /// Eigen-CAM: first principal component of the activations (no gradients, class-agnostic).
    EigenCam,
    /// Score-CAM: channels weighted by the softmax of the target score when the input is
    /// masked by each channel (no gradients; one forward per channel).
    ScoreCam,
}

impl Method {
    /// Every method, in documentation order.
    pub const ALL: [Method; 7] = [
        Self::GradCam,
        Self::GradCamPlusPlus,
        Self::XGradCam,
        Self::LayerCam,
        Self::HiResCam,
        Self::EigenCam,
        Self::ScoreCam,
    ];

    /// The command-line name (`gradcam`, `gradcam++`, ...), pytorch-grad-cam's spelling.
    pub fn name(self) -> &'static str {
        match self {
            Self::GradCam => "gradcam",
            Self::GradCamPlusPlus => "gradcam++",
            Self::XGradCam => "xgradcam",
            Self::LayerCam => "layercam",
            Self::HiResCam => "hirescam",
            Self::EigenCam => "eigencam",
            Self::ScoreCam => "scorecam",
        }
    }

    /// Whether the method needs a backward pass.
    pub fn uses_gradients(self) -> bool {
        !matches!(self, Self::EigenCam | Self::ScoreCam)
    }

    /// The map of one layer, `[B, h, w]`, before ReLU and scaling, from activations and
    /// gradients `[B, C, h, w]` (gradients are ignored by gradient-free methods; Score-CAM's
    /// channel weights come from the engine, see [`weighted_sum`]).
    pub(crate) fn layer_map(self, activations: Tensor<4>, gradients: Tensor<4>) -> Tensor<3> {
        match self {
            Self::GradCam => {
                let weights = gradients.mean_dim(3).mean_dim(2);
                weighted_sum(activations, weights.flatten(1, 3))
            }
            Self::GradCamPlusPlus => {
                let g2 = gradients.clone().powi_scalar(2);
                let g3 = g2.clone() * gradients.clone();
                let sum_activations = activations.clone().sum_dim(3).sum_dim(2);
                let aij = g2.clone() / (g2 * 2.0 + sum_activations * g3 + 1e-6);
                let aij = aij.mask_fill(gradients.clone().equal_elem(0.0), 0.0);
                let weights = (relu(gradients) * aij).sum_dim(3).sum_dim(2);
                weighted_sum(activations, weights.flatten(1, 3))
            }
            Self::XGradCam => {
                let sum_activations = activations.clone().sum_dim(3).sum_dim(2);
                let weights = (gradients * activations.clone() / (sum_activations + 1e-7))
                    .sum_dim(3)
                    .sum_dim(2);
                weighted_sum(activations, weights.flatten(1, 3))
            }
            Self::LayerCam => (relu(gradients) * activations).sum_dim(1).squeeze_dim(1),
            Self::HiResCam => (gradients * activations).sum_dim(1).squeeze_dim(1),
            Self::EigenCam => crate::eigen::first_component(activations),
            Self::ScoreCam => unreachable!("Score-CAM weights come from masked forwards"),
        }
    }
}

/// `sum_c weights[b, c] * activations[b, c, :, :]`.
pub(crate) fn weighted_sum(activations: Tensor<4>, weights: Tensor<2>) -> Tensor<3> {
    (activations * weights.unsqueeze_dims::<4>(&[2, 3]))
        .sum_dim(1)
        .squeeze_dim(1)
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Method {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase().replace(['-', '_'], "");
        Self::ALL
            .into_iter()
            .find(|m| m.name() == wanted || (wanted == "gradcampp" && *m == Self::GradCamPlusPlus))
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|m| m.name()).collect();
                format!(
                    "unknown CAM method '{s}'; choose one of {}",
                    names.join(", ")
                )
            })
    }
}
