//! An inference-only MobileNetV2 with every batch norm folded into its convolution
//! ([`crate::layers::folded`]): 52 fewer passes over the activations, and with channels-last
//! inputs about three times faster than the unfolded eval forward on a CPU.

use std::ops::Range;

use burn::nn::Linear;
use burn::prelude::*;

use super::inverted_residual::BlockPart;
use super::network::{FEATURE_LAYERS, Feature, MobileNetV2};
use crate::layers::{
    Activation, ConvNorm, FoldedBlock, FoldedConv, FoldedPart, features, global_pool,
};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// One entry of `features`, folded: its convolutions and whether the input is added back.
fn fold_feature(feature: &Feature) -> FoldedBlock {
    let relu6 =
        |(conv, norm): &ConvNorm| FoldedPart::Conv(FoldedConv::new(conv, norm, Activation::Relu6));
    match feature {
        Feature::Conv(layer) => FoldedBlock::new(vec![relu6(layer)], false),
        Feature::Block(block) => {
            let mut parts = Vec::with_capacity(3);
            let mut projection = None;
            for part in &block.conv {
                match part {
                    BlockPart::ConvBnAct(layer) => parts.push(relu6(layer)),
                    BlockPart::Conv(conv) => projection = Some(conv.clone()),
                    BlockPart::Norm(norm) => {
                        let conv = projection.take().expect("a projection precedes its norm");
                        let linear = FoldedConv::new(&conv, norm, Activation::Linear);
                        parts.push(FoldedPart::Conv(linear));
                    }
                }
            }
            FoldedBlock::new(parts, block.use_residual)
        }
    }
}

/// MobileNetV2 for inference only, batch norms folded into the convolutions.
///
/// It offers the same split forward as [`MobileNetV2`] (`features[i..j]`, then the head).
#[derive(Module, Debug)]
pub struct FoldedMobileNetV2 {
    features: Vec<FoldedBlock>,
    classifier: Linear,
}

impl FoldedMobileNetV2 {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &MobileNetV2) -> Self {
        let model = model.valid();
        Self {
            features: model.features.iter().map(fold_feature).collect(),
            classifier: model.classifier.1.clone(),
        }
    }
}

impl Network for FoldedMobileNetV2 {
    fn layers(&self) -> Vec<String> {
        features::layer_names(FEATURE_LAYERS)
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        self.features[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Global average pooling and the linear classifier (dropout is the identity in eval mode).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.classifier.forward(global_pool(features))
    }

    /// `features.18` (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else [`super::SMALL_INPUT`]:
    /// at 96 px a 6×6 map of `features.10` instead of a 3×3 one that barely locates anything.
    /// On the default dataset at 96 px `features.10`'s maps found the objects in every trained
    /// run, where `features.13`'s, as fine but three blocks deeper, sometimes spread over the
    /// background (BENCHMARKS.md).
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            FEATURE_LAYERS - 1
        } else {
            super::SMALL_INPUT
        }
    }

    /// Every ReLU6 guided.
    fn guided(&self) -> Box<dyn Network> {
        let mut guided = self.clone();
        guided.features = guided
            .features
            .into_iter()
            .map(FoldedBlock::guided)
            .collect();
        Box::new(guided)
    }
}

impl MobileNetV2 {
    /// This network's inference copy, batch norms folded ([`FoldedMobileNetV2::new`]).
    pub fn fold(&self) -> FoldedMobileNetV2 {
        FoldedMobileNetV2::new(self)
    }
}
