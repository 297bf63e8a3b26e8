//! ConvNeXt's inference copy, split into `features.0` ... `features.7`. It has no batch norm to
//! fold: the copy is the network in eval mode (stochastic depth off).

use std::ops::Range;

use burn::prelude::*;

use super::network::ConvNeXt;
use crate::layers::{features, global_pool};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// ConvNeXt for inference only.
///
/// It has no ReLU, so its guided backpropagation is plain input gradients, as
/// pytorch-grad-cam's (which guides `nn.ReLU` only) is.
#[derive(Module, Debug)]
pub struct FoldedConvNeXt {
    model: ConvNeXt,
    /// The last layer at stride 16 (the stage before the last downsampling): the default below
    /// 224 px.
    #[module(skip)]
    small_input: usize,
}

impl FoldedConvNeXt {
    /// `model` in eval mode (a copy: `model` is not touched, nor tracked if it lives on an
    /// autodiff device).
    pub fn new(model: &ConvNeXt) -> Self {
        let model = model.valid();
        let last_halving = model.features.iter().rposition(|f| f.halves());
        Self {
            small_input: last_halving.unwrap_or(model.features.len()) - 1,
            model,
        }
    }
}

impl Network for FoldedConvNeXt {
    fn layers(&self) -> Vec<String> {
        features::layer_names(self.model.features.len())
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        (self.model.features[layers].iter()).fold(x, |h, feature| feature.forward(h))
    }

    /// Global average pooling, the layer norm and the linear layer.
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.model.classify(global_pool(features))
    }

    /// The last stage (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else the stage at stride 16.
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            self.model.features.len() - 1
        } else {
            self.small_input
        }
    }
}

impl ConvNeXt {
    /// This network's inference copy ([`FoldedConvNeXt::new`]).
    pub fn fold(&self) -> FoldedConvNeXt {
        FoldedConvNeXt::new(self)
    }
}
