//! The CAM methods. Each turns one layer's activations `A` (and, for gradient methods, the
//! gradients `G` of the target's logit) into a map, as pytorch-grad-cam's methods do:
//!
//! - [`weighted`]: a weight per channel, `map = Σ_c w_c · A_c` (Grad-CAM, Grad-CAM++,
//!   XGradCAM; Score-CAM's weights come from [`score`]), pytorch-grad-cam's `get_cam_weights`;
//! - [`elementwise`]: a weight per activation, `map = Σ_c f(G_c) ⊙ A_c` (LayerCAM, HiResCAM),
//!   an own `get_cam_image`;
//! - [`eigen`]: the first principal component of the activations (Eigen-CAM).
//!
//! The engine computes activations and gradients; a method only combines them.

mod eigen;
mod elementwise;
mod score;
mod weighted;

use std::fmt;
use std::str::FromStr;

use burn::prelude::*;
use models::Network;

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

    /// The map of one layer for every target and image, `[K*N, h, w]` (target-major), before
    /// ReLU and scaling.
    pub(crate) fn map(self, layer: &LayerEvidence<'_>) -> Tensor<3> {
        match self {
            Self::GradCam => {
                weighted::map(layer.activations(), weighted::grad_cam(layer.gradients()))
            }
            Self::GradCamPlusPlus => {
                let activations = layer.activations();
                let weights = weighted::grad_cam_plus_plus(activations.clone(), layer.gradients());
                weighted::map(activations, weights)
            }
            Self::XGradCam => {
                let activations = layer.activations();
                let weights = weighted::x_grad_cam(activations.clone(), layer.gradients());
                weighted::map(activations, weights)
            }
            Self::LayerCam => elementwise::layer_cam(layer.activations(), layer.gradients()),
            Self::HiResCam => elementwise::hires_cam(layer.activations(), layer.gradients()),
            Self::EigenCam => layer.per_target(eigen::first_component(layer.activations.clone())),
            Self::ScoreCam => weighted::map(layer.activations(), score::weights(layer)),
        }
    }
}

/// What a method sees of one target layer, for `N` images and `K` targets.
pub(crate) struct LayerEvidence<'a> {
    /// The layer's activations `[N, C, h, w]`.
    pub activations: Tensor<4>,
    /// Gradients of each target's logit `[K*N, C, h, w]`, target-major (gradient methods).
    pub gradients: Option<Tensor<4>>,
    /// The class of every target and image, `[K][N]`.
    pub classes: &'a [Vec<usize>],
    /// The normalized input images `[N, 3, H, W]` (Score-CAM masks them).
    pub images: &'a Tensor<4>,
    /// The network the maps explain (Score-CAM runs it on masked inputs).
    pub model: &'a dyn Network,
}

impl LayerEvidence<'_> {
    /// The activations once per target, `[K*N, C, h, w]`.
    fn activations(&self) -> Tensor<4> {
        self.per_target(self.activations.clone())
    }

    /// The gradients; only gradient methods ask for them.
    fn gradients(&self) -> Tensor<4> {
        self.gradients
            .clone()
            .expect("the engine runs a backward for gradient methods")
    }

    /// `x` repeated once per target along the batch: `[K*N, ...]`, target-major.
    fn per_target<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        repeat(x, self.classes.len())
    }
}

/// `x` repeated `k` times along the batch: target-major order, `[k*N, ...]`.
pub(crate) fn repeat<const D: usize>(x: Tensor<D>, k: usize) -> Tensor<D> {
    if k == 1 {
        x
    } else {
        Tensor::cat(vec![x; k], 0)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_accept_common_spellings() {
        for method in Method::ALL {
            assert_eq!(method.name().parse(), Ok(method));
        }
        assert_eq!("Grad-CAM++".parse(), Ok(Method::GradCamPlusPlus));
        assert_eq!("gradcam_pp".parse(), Ok(Method::GradCamPlusPlus));
        let error = "smoothgrad".parse::<Method>().unwrap_err();
        assert!(error.contains("gradcam, gradcam++"), "{error}");
    }

    /// Activations `[1, 2, 1, 2]` and gradients of one target, on the CPU.
    fn layer() -> (Tensor<4>, Tensor<4>) {
        let device = models::native::cpu();
        let a = Tensor::<4>::from_floats([[[[1.0, 2.0]], [[3.0, 0.0]]]], &device);
        let g = Tensor::<4>::from_floats([[[[0.5, 1.5]], [[-1.0, 2.0]]]], &device);
        (a, g)
    }

    fn values(t: Tensor<3>) -> Vec<f32> {
        t.into_data().try_to_vec().unwrap()
    }

    #[test]
    fn grad_cam_weights_channels_by_their_mean_gradient() {
        let (a, g) = layer();
        // w = (1.0, 0.5): map = 1.0·(1, 2) + 0.5·(3, 0)
        assert_eq!(values(weighted::map(a, weighted::grad_cam(g))), [2.5, 2.0]);
    }

    #[test]
    fn element_wise_methods_weight_each_cell() {
        let (a, g) = layer();
        // HiResCAM: (0.5·1 − 1·3, 1.5·2 + 2·0); LayerCAM drops the negative gradient.
        assert_eq!(
            values(elementwise::hires_cam(a.clone(), g.clone())),
            [-2.5, 3.0]
        );
        assert_eq!(values(elementwise::layer_cam(a, g)), [0.5, 3.0]);
    }
}
