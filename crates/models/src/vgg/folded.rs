//! An inference-only VGG, batch norms folded into their convolutions
//! ([`crate::layers::folded`]), split into the layers a CAM taps: every convolution with its
//! ReLU (named by the ReLU's index, `features.29`) and every max pooling (`features.30`).

use std::ops::Range;

use burn::nn::Linear;
use burn::nn::pool::{AdaptiveAvgPool2d, MaxPool2d};
use burn::prelude::*;

use super::network::{Layer, Vgg, flatten};
use crate::layers::{Activation, FoldedConv};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// A layer of the inference copy.
#[derive(Module, Debug)]
pub enum FoldedLayer {
    /// A convolution (its batch norm folded in) and its ReLU.
    Conv(FoldedConv),
    /// A 2×2 max pooling.
    Pool(MaxPool2d),
}

impl FoldedLayer {
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Self::Conv(conv) => conv.forward(x),
            Self::Pool(pool) => pool.forward(x),
        }
    }
}

/// VGG for inference only.
#[derive(Module, Debug)]
pub struct FoldedVgg {
    layers: Vec<FoldedLayer>,
    avgpool: AdaptiveAvgPool2d,
    classifier: [Linear; 3],
    /// The classifier's ReLUs (guided in the guided copy, as pytorch-grad-cam guides every
    /// `nn.ReLU`).
    #[module(skip)]
    head_activation: Activation,
    /// The torchvision name of each layer.
    #[module(skip)]
    names: Vec<String>,
}

/// The runs of `features` that make one layer of the inference copy: a convolution with its
/// batch norm and ReLU, or a pooling. Each ends at the entry it is named by.
pub(crate) fn layer_groups(features: &[Layer]) -> Vec<Range<usize>> {
    let mut groups = Vec::new();
    let mut start = 0;
    for (i, layer) in features.iter().enumerate() {
        if matches!(layer, Layer::Relu(_) | Layer::Pool(_)) {
            groups.push(start..i + 1);
            start = i + 1;
        }
    }
    groups
}

/// The layers a CAM taps: `features.{i}` for the last entry of each [`layer_groups`] run.
pub(crate) fn layer_names(features: &[Layer]) -> Vec<String> {
    layer_groups(features)
        .into_iter()
        .map(|group| format!("features.{}", group.end - 1))
        .collect()
}

impl FoldedVgg {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &Vgg) -> Self {
        let model = model.valid();
        let layers = layer_groups(&model.features)
            .into_iter()
            .map(|group| match &model.features[group] {
                [Layer::Conv(conv), Layer::Norm(norm), Layer::Relu(_)] => {
                    FoldedLayer::Conv(FoldedConv::new(conv, norm, Activation::Relu))
                }
                [Layer::Conv(conv), Layer::Relu(_)] => {
                    FoldedLayer::Conv(FoldedConv::plain(conv, Activation::Relu))
                }
                [Layer::Pool(pool)] => FoldedLayer::Pool(pool.clone()),
                other => panic!("a VGG layer of {} entries", other.len()),
            })
            .collect();
        let (fc1, _, _, fc2, _, _, fc3) = model.classifier.clone();
        Self {
            layers,
            avgpool: model.avgpool.clone(),
            classifier: [fc1, fc2, fc3],
            head_activation: Activation::Relu,
            names: layer_names(&model.features),
        }
    }
}

impl Network for FoldedVgg {
    fn layers(&self) -> Vec<String> {
        self.names.clone()
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        self.layers[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Adaptive average pooling to 7×7 and the three linear layers with their ReLUs (dropout is
    /// the identity in eval mode).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        let [fc1, fc2, fc3] = &self.classifier;
        let relu = |x: Tensor<2>| {
            let [batch, width] = x.dims();
            let x = self
                .head_activation
                .forward(x.reshape([batch, width, 1, 1]));
            x.reshape([batch, width])
        };
        let x = flatten(self.avgpool.forward(features));
        fc3.forward(relu(fc2.forward(relu(fc1.forward(x)))))
    }

    /// The last max pooling (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else the convolution before it, the
    /// deepest layer at stride 16 (at 96 px a 6×6 map instead of 3×3).
    fn default_layer(&self, image_size: usize) -> usize {
        let last = self.layers.len() - 1;
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            last
        } else {
            last - 1
        }
    }

    /// Every ReLU guided.
    fn guided(&self) -> Box<dyn Network> {
        let mut guided = self.clone();
        guided.head_activation = guided.head_activation.guided();
        guided.layers = guided
            .layers
            .into_iter()
            .map(|layer| match layer {
                FoldedLayer::Conv(conv) => FoldedLayer::Conv(conv.guided()),
                pool => pool,
            })
            .collect();
        Box::new(guided)
    }
}

impl Vgg {
    /// This network's inference copy, batch norms folded ([`FoldedVgg::new`]).
    pub fn fold(&self) -> FoldedVgg {
        FoldedVgg::new(self)
    }
}
