//! Every CAM method on a Burn network of your own: implement [`models::Network`] (its layers by
//! name, a forward split at a layer, the head) and the engine, guided backpropagation and the
//! metrics take it as they take camwatch's own architectures.
//!
//! ```sh
//! cargo run --release -p cam --example custom_network
//! ```
//!
//! The example checks one map against its closed form: at the last layer before global
//! average pooling and a linear head, Grad-CAM's channel weights are the head's row of the
//! class over the map's area.
#![allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.

use std::ops::Range;

use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::activation::relu;
use cam::guided::GuidedBackprop;
use cam::{CamEngine, Method, TargetLayer, Targets};
use models::Network;

/// A small CNN: two 3×3 convolutions with ReLU (the second at stride 2), global average
/// pooling and a linear classifier.
#[derive(Module, Debug)]
pub struct SmallCnn {
    conv1: Conv2d,
    conv2: Conv2d,
    fc: Linear,
}

impl SmallCnn {
    /// A network for `classes` classes with Burn's default initialization.
    pub fn new(classes: usize, device: &Device) -> Self {
        let conv = |i, o, stride| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device)
        };
        Self {
            conv1: conv(3, 8, 1),
            conv2: conv(8, 16, 2),
            fc: LinearConfig::new(16, classes).init(device),
        }
    }
}

impl Network for SmallCnn {
    fn layers(&self) -> Vec<String> {
        vec!["conv1".to_owned(), "conv2".to_owned()]
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        layers.fold(x, |x, layer| match layer {
            0 => relu(self.conv1.forward(x)),
            _ => relu(self.conv2.forward(x)),
        })
    }

    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.fc
            .forward(features.mean_dim(3).mean_dim(2).flatten(1, 3))
    }

    fn default_layer(&self, _image_size: usize) -> usize {
        1
    }
}

/// Runs every method on the network and checks Grad-CAM against its closed form.
pub fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::libtorch();
    device.seed(7);
    let network = SmallCnn::new(3, &device);
    let images = Tensor::<4>::random([2, 3, 32, 32], Distribution::Default, &device);
    let layer = TargetLayer::find(&network, "conv2")?;
    for method in Method::ALL {
        let engine = CamEngine::new(&network, method, std::slice::from_ref(&layer));
        let explanation = engine.explain(images.clone(), &[Targets::Predicted]);
        let map = explanation.map(0, 0);
        if !map.iter().all(|v| (0.0..=1.0).contains(v)) {
            return Err(format!("{method}: a map value outside [0, 1]").into());
        }
        println!(
            "{method:<10} at {}: class {} of image 0, map {}x{}",
            layer, explanation.classes[0][0], explanation.size[0], explanation.size[1]
        );
    }

    // Grad-CAM at conv2, the last layer: weights W[c] / (h·w), map relu(Σ_k w_k A_k).
    let classes = vec![2, 0];
    let engine = CamEngine::new(&network, Method::GradCam, std::slice::from_ref(&layer));
    let explanation = engine.explain(images.clone(), &[Targets::Classes(classes.clone())]);
    let activations = network.forward_layers(images.clone(), 0..2); // [2, 16, 16, 16]
    let [_, channels, h, w] = activations.dims();
    let weight = network.fc.weight.val(); // [in, out]
    let mut largest = 0.0f32;
    for (i, &class) in classes.iter().enumerate() {
        let row = weight
            .clone()
            .narrow(1, class, 1)
            .reshape([1, channels, 1, 1]);
        let a = activations.clone().narrow(0, i, 1);
        let expected = relu((a * row / (h * w) as f32).sum_dim(1)).reshape([h * w]);
        let expected: Vec<f32> = expected.into_data().iter::<f32>().collect();
        let ours = &explanation.layer_maps[0].data[i * h * w..(i + 1) * h * w];
        let scale = expected.iter().fold(1e-12f32, |m, v| m.max(v.abs()));
        for (a, b) in ours.iter().zip(&expected) {
            largest = largest.max((a - b).abs() / scale);
        }
    }
    println!("Grad-CAM against its closed form: largest relative difference {largest:.1e}");
    if largest > 1e-4 {
        return Err(format!("Grad-CAM differs from its closed form by {largest}").into());
    }

    // Guided backpropagation: this network does not override `guided`, so plain gradients.
    let gradients = GuidedBackprop::new(&network).gradients(images, &[classes]);
    println!("input gradients {:?}", gradients.dims());
    Ok(())
}
