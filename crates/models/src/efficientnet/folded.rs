//! An inference-only EfficientNet with every batch norm folded into its convolution
//! ([`crate::layers::folded`]), split into `features.0` ... `features.N`.

use std::ops::Range;

use burn::nn::Linear;
use burn::prelude::*;

use super::network::{EfficientNet, Feature};
use crate::layers::{
    Activation, FoldedBlock, FoldedConv, FoldedPart, MbConv, features, global_pool,
};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// One entry of `features`, folded: its blocks in order.
fn fold_feature(feature: &Feature) -> Vec<FoldedBlock> {
    match feature {
        Feature::Conv((conv, norm)) => {
            let conv = FoldedConv::new(conv, norm, Activation::Silu);
            vec![FoldedBlock::new(vec![FoldedPart::Conv(conv)], false)]
        }
        Feature::Stage(blocks) => blocks.iter().map(MbConv::fold).collect(),
    }
}

/// EfficientNet for inference only, batch norms folded into the convolutions.
///
/// It has no ReLU, so its guided backpropagation is plain input gradients, as
/// pytorch-grad-cam's (which guides `nn.ReLU` only) is.
#[derive(Module, Debug)]
pub struct FoldedEfficientNet {
    features: Vec<Vec<FoldedBlock>>,
    classifier: Linear,
    /// The last layer at stride 16 (before the last stage that halves): the default below
    /// 224 px.
    #[module(skip)]
    small_input: usize,
}

impl FoldedEfficientNet {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &EfficientNet) -> Self {
        let model = model.valid();
        let halving = model.features.iter().rposition(Feature::halves);
        Self {
            features: model.features.iter().map(fold_feature).collect(),
            classifier: model.classifier.1.clone(),
            small_input: halving.unwrap_or(model.features.len()) - 1,
        }
    }
}

impl Network for FoldedEfficientNet {
    fn layers(&self) -> Vec<String> {
        features::layer_names(self.features.len())
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        (self.features[layers].iter())
            .flatten()
            .fold(x, |h, block| block.forward(h))
    }

    /// Global average pooling and the linear layer (dropout is the identity in eval mode).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.classifier.forward(global_pool(features))
    }

    /// The last convolution (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else the last stage at stride 16.
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            self.features.len() - 1
        } else {
            self.small_input
        }
    }
}

impl EfficientNet {
    /// This network's inference copy, batch norms folded ([`FoldedEfficientNet::new`]).
    pub fn fold(&self) -> FoldedEfficientNet {
        FoldedEfficientNet::new(self)
    }
}
