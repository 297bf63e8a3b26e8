//! DenseNet's inference copy, split into [`LAYERS`]. Its batch norms mostly come before a ReLU
//! and a concatenation, where they cannot fold into a convolution: the copy is the network in
//! eval mode, its ReLUs guided in the guided copy.

use std::ops::Range;

use burn::prelude::*;

use super::network::{DenseNet, LAYERS};
use crate::layers::{Activation, global_pool};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// The stride-16 layer, the default below 224 px: the third dense block.
const STRIDE_16: usize = 5;

/// DenseNet for inference only.
#[derive(Module, Debug)]
pub struct FoldedDenseNet {
    model: DenseNet,
    /// The ReLUs inside `features` (guided in the guided copy, as pytorch-grad-cam guides every
    /// `nn.ReLU`; the head's ReLU is torchvision's functional `F.relu`, which it leaves).
    #[module(skip)]
    relu: Activation,
}

impl FoldedDenseNet {
    /// `model` in eval mode (a copy: `model` is not touched, nor tracked if it lives on an
    /// autodiff device).
    pub fn new(model: &DenseNet) -> Self {
        Self {
            model: model.valid(),
            relu: Activation::Relu,
        }
    }
}

impl Network for FoldedDenseNet {
    fn layers(&self) -> Vec<String> {
        LAYERS.map(str::to_owned).to_vec()
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        self.model.forward_layers(x, layers, self.relu)
    }

    /// ReLU, global average pooling and the linear layer. The last layer's output is already
    /// rectified; the ReLU here gives its gradient PyTorch's zeros where norm5's output is not
    /// positive (see [`LAYERS`]).
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        let pooled = global_pool(Activation::Relu.forward(features));
        self.model.classifier.forward(pooled)
    }

    /// The final batch norm (pytorch-grad-cam's `features[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else the third dense block, at
    /// stride 16.
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            LAYERS.len() - 1
        } else {
            STRIDE_16
        }
    }

    /// Every ReLU of `features` guided.
    fn guided(&self) -> Box<dyn Network> {
        let mut guided = self.clone();
        guided.relu = guided.relu.guided();
        Box::new(guided)
    }
}

impl DenseNet {
    /// This network's inference copy ([`FoldedDenseNet::new`]).
    pub fn fold(&self) -> FoldedDenseNet {
        FoldedDenseNet::new(self)
    }
}
