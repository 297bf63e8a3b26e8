//! An inference-only ResNet with every batch norm folded into its convolution
//! ([`crate::layers::folded`]), split into the layers a CAM taps: the stem (`maxpool`'s
//! output) and every block (`layer1.0` ... `layer4.N`).

use std::ops::Range;

use burn::nn::Linear;
use burn::nn::pool::MaxPool2d;
use burn::prelude::*;

use super::block::Block;
use super::network::{ResNet, maxpool};
use crate::layers::{Activation, FoldedConv, global_pool};
use crate::network::{MIN_DEFAULT_CELLS, Network};

/// A residual block, folded: its branch, its shortcut, and the activation after their sum.
#[derive(Module, Debug)]
pub struct FoldedBlock {
    branch: Vec<FoldedConv>,
    downsample: Option<FoldedConv>,
    #[module(skip)]
    activation: Activation,
}

impl FoldedBlock {
    fn new(block: &Block) -> Self {
        let relu = |conv, norm| FoldedConv::new(conv, norm, Activation::Relu);
        let linear = |conv, norm| FoldedConv::new(conv, norm, Activation::Linear);
        let (branch, downsample) = match block {
            Block::Basic(b) => (
                vec![relu(&b.conv1, &b.bn1), linear(&b.conv2, &b.bn2)],
                &b.downsample,
            ),
            Block::Bottleneck(b) => (
                vec![
                    relu(&b.conv1, &b.bn1),
                    relu(&b.conv2, &b.bn2),
                    linear(&b.conv3, &b.bn3),
                ],
                &b.downsample,
            ),
        };
        Self {
            branch,
            downsample: downsample.as_ref().map(|(conv, norm)| linear(conv, norm)),
            activation: Activation::Relu,
        }
    }

    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let identity = match &self.downsample {
            Some(conv) => conv.forward(x.clone()),
            None => x.clone(),
        };
        let out = self.branch.iter().fold(x, |h, conv| conv.forward(h));
        self.activation.forward(out + identity)
    }

    fn guided(mut self) -> Self {
        self.branch = self.branch.into_iter().map(FoldedConv::guided).collect();
        self.activation = self.activation.guided();
        self
    }
}

/// ResNet for inference only, batch norms folded into the convolutions.
#[derive(Module, Debug)]
pub struct FoldedResNet {
    stem: FoldedConv,
    maxpool: MaxPool2d,
    blocks: Vec<FoldedBlock>,
    fc: Linear,
    /// Blocks in `layer1` ... `layer4`, for the layers' names.
    #[module(skip)]
    stages: [usize; 4],
}

impl FoldedResNet {
    /// Folds the running statistics of `model`'s batch norms into its convolutions (an
    /// inference copy: `model` is not touched, nor tracked if it lives on an autodiff device).
    pub fn new(model: &ResNet) -> Self {
        let model = model.valid();
        Self {
            stem: FoldedConv::new(&model.conv1, &model.bn1, Activation::Relu),
            maxpool: maxpool(),
            blocks: model.blocks().map(FoldedBlock::new).collect(),
            fc: model.fc.clone(),
            stages: model.stages().map(Vec::len),
        }
    }

    /// The index among [`Network::layers`] of stage `stage`'s (1-4) last block.
    fn stage_end(&self, stage: usize) -> usize {
        self.stages[..stage].iter().sum()
    }
}

/// The layers a CAM taps in a ResNet of `stages` blocks per stage: `maxpool` (the stem's
/// output), then `layer1.0` ... `layer4.N`.
pub(crate) fn layer_names(stages: [usize; 4]) -> Vec<String> {
    let blocks = stages
        .into_iter()
        .enumerate()
        .flat_map(|(stage, count)| (0..count).map(move |i| format!("layer{}.{i}", stage + 1)));
    std::iter::once("maxpool".to_owned())
        .chain(blocks)
        .collect()
}

impl Network for FoldedResNet {
    fn layers(&self) -> Vec<String> {
        layer_names(self.stages)
    }

    fn forward_layers(&self, x: Tensor<4>, layers: Range<usize>) -> Tensor<4> {
        let mut x = x;
        for layer in layers {
            x = match layer {
                0 => self.maxpool.forward(self.stem.forward(x)),
                _ => self.blocks[layer - 1].forward(x),
            };
        }
        x
    }

    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.fc.forward(global_pool(features))
    }

    /// `layer4`'s last block (pytorch-grad-cam's `layer4[-1]`) when its map is at least
    /// [`MIN_DEFAULT_CELLS`] cells wide (224 px and up), else `layer3`'s (stride 16: at 96 px
    /// a 6×6 map instead of 3×3).
    fn default_layer(&self, image_size: usize) -> usize {
        if image_size.div_ceil(32) >= MIN_DEFAULT_CELLS {
            self.stage_end(4)
        } else {
            self.stage_end(3)
        }
    }

    /// Every ReLU guided.
    fn guided(&self) -> Box<dyn Network> {
        let mut guided = self.clone();
        guided.stem = guided.stem.guided();
        guided.blocks = guided.blocks.into_iter().map(FoldedBlock::guided).collect();
        Box::new(guided)
    }
}

impl ResNet {
    /// This network's inference copy, batch norms folded ([`FoldedResNet::new`]).
    pub fn fold(&self) -> FoldedResNet {
        FoldedResNet::new(self)
    }
}
