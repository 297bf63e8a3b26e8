//! An inference-only MobileNetV3 with every batch norm folded into its convolution
//! ([`crate::layers::folded`]), split into `features.0` ... `features.N`.

use std::ops::Range;

use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::hard_swish;

use super::network::{Feature, MobileNetV3};
use crate::layers::{Activation, FoldedBlock, FoldedConv, FoldedPart, features, global_pool};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// One entry of `features`, folded.
fn fold_feature(feature: &Feature) -> FoldedBlock {
    match feature {
        Feature::Conv((conv, norm)) => {
            let conv = FoldedConv::new(conv, norm, Activation::Hardswish);
            FoldedBlock::new(vec![FoldedPart::Conv(conv)], false)
        }
        Feature::Block(block) => block.fold(),
    }
}

/// MobileNetV3 for inference only, batch norms folded into the convolutions.
#[derive(Module, Debug)]
pub struct FoldedMobileNetV3 {
    features: Vec<FoldedBlock>,
    classifier: [Linear; 2],
    /// The last layer at stride 16 (before the last stride-2 block): the default below 224 px.
    #[module(skip)]
    small_input: usize,
}

impl FoldedMobileNetV3 {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &MobileNetV3) -> Self {
        let model = model.valid();
        Self {
            features: model.features.iter().map(fold_feature).collect(),
            classifier: [model.classifier.0.clone(), model.classifier.3.clone()],
            small_input: last_at_stride_16(&model.features),
        }
    }
}

/// The index of the entry before the last block that halves the resolution.
fn last_at_stride_16(features: &[Feature]) -> usize {
    let halves = |feature: &Feature| matches!(feature, Feature::Block(block) if block.halves());
    features.iter().rposition(halves).unwrap_or(features.len()) - 1
}

impl Network for FoldedMobileNetV3 {
    fn layers(&self) -> Vec<String> {
        features::layer_names(self.features.len())
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        self.features[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Global average pooling, the hidden linear layer with Hardswish and the output layer
    /// (dropout is the identity in eval mode).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        let [hidden, out] = &self.classifier;
        out.forward(hard_swish(hidden.forward(global_pool(features))))
    }

    /// The last convolution (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else the last layer at stride 16.
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            self.features.len() - 1
        } else {
            self.small_input
        }
    }

    /// Every ReLU guided, the squeeze-excitations' too (pytorch-grad-cam guides every
    /// `nn.ReLU`; Hardswish stays).
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

impl MobileNetV3 {
    /// This network's inference copy, batch norms folded ([`FoldedMobileNetV3::new`]).
    pub fn fold(&self) -> FoldedMobileNetV3 {
        FoldedMobileNetV3::new(self)
    }
}
