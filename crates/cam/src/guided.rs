//! Guided backpropagation and Guided Grad-CAM.
//!
//! Guided backpropagation (Springenberg et al. 2015) is the gradient of a class logit with
//! respect to the input pixels, where every ReLU (ReLU6) passes a gradient back only where its
//! input was positive (in `(0, 6)`) and the gradient itself is positive. Guided Grad-CAM multiplies that
//! pixel-sharp picture by the (upsampled) Grad-CAM map of the same class.
//!
//! pytorch-grad-cam's `GuidedBackpropReLUModel` guides only `nn.ReLU` modules; on MobileNetV2,
//! whose activations are all `nn.ReLU6`, it silently returns the plain input gradient. camwatch
//! guides ReLU6 itself, and ReLU in the ResNets ([`Network::guided`]).

use burn::prelude::*;
use image::RgbImage;
use models::Network;

use crate::engine::class_tensor;

/// Computes guided-backpropagation gradients on the inference copy of a model.
#[derive(Debug)]
pub struct GuidedBackprop {
    tracked: Box<dyn Network>,
}

impl GuidedBackprop {
    /// A copy of the inference network `model` with guided ReLUs (`model` is not touched).
    pub fn new(model: &dyn Network) -> Self {
        Self {
            tracked: model.guided().tracked(),
        }
    }

    /// Input gradients `[K*N, 3, H, W]` (target-major) of the class logits `classes[k][i]`
    /// for normalized images `[N, 3, H, W]`, all in one forward and one backward.
    pub fn gradients(&self, images: Tensor<4>, classes: &[Vec<usize>]) -> Tensor<4> {
        let n = images.dims()[0];
        let k = classes.len();
        assert!(
            classes.iter().all(|c| c.len() == n),
            "one class per image and target"
        );
        let index = class_tensor(classes, &images.device()).reshape([n * k, 1]);
        let input = Tensor::cat(vec![images; k], 0).autodiff().require_grad();
        let logits = self.tracked.forward(input.clone());
        let grads = logits.gather(1, index.autodiff()).sum().backward();
        input.grad(&grads).expect("the input is a tracked leaf")
    }
}

/// Guided Grad-CAM: guided gradients `[B, 3, H, W]` times CAM maps `[B, H, W]` in `[0, 1]`.
pub fn guided_grad_cam(gradients: Tensor<4>, maps: Tensor<3>) -> Tensor<4> {
    gradients * maps.unsqueeze_dim(1)
}

/// A gradient picture `[3, H, W]` as an image, scaled as pytorch-grad-cam's `deprocess_image`
/// does: centred on grey, one standard deviation = 0.1 of the range, clipped.
pub fn gradient_image(gradient: Tensor<3>) -> RgbImage {
    let [_, height, width] = gradient.dims();
    let hwc: Vec<f32> = gradient
        .permute([1, 2, 0])
        .into_data()
        .try_to_vec()
        .expect("f32 data");
    let mean = hwc.iter().sum::<f32>() / hwc.len() as f32;
    let variance = hwc.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / hwc.len() as f32;
    let scale = 0.1 / (variance.sqrt() + 1e-5);
    let pixels = hwc
        .iter()
        .map(|v| (((v - mean) * scale + 0.5).clamp(0.0, 1.0) * 255.0) as u8)
        .collect();
    RgbImage::from_raw(width as u32, height as u32, pixels).expect("3 channels per pixel")
}
