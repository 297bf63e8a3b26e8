//! ResNet behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::ResNet;
use super::block::Block;
use crate::network::{Classifier, Network, param_ids};

impl Classifier for ResNet {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(ResNet::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        ResNet::forward(self, images)
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        ResNet::pooled_features(self, images)
    }

    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.fc.forward(pooled)
    }

    fn num_classes(&self) -> usize {
        ResNet::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        let head = param_ids(&self.fc);
        let mut ids = param_ids(self);
        ids.retain(|id| !head.contains(id));
        ids
    }

    fn trainable_params(&self) -> usize {
        ResNet::trainable_params(self)
    }

    /// `fc`, then every block from `layer4`'s last down to `layer1.0`, then the stem
    /// (`conv1`/`bn1`, whose output is `maxpool`'s).
    fn cascade_steps(&self) -> Vec<String> {
        let fold = ResNet::fold(self);
        let layers = fold.layers().into_iter().rev();
        std::iter::once("fc".to_owned()).chain(layers).collect()
    }

    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
        let mut model = self.clone();
        if parts > 0 {
            model.fc = fresh.fc.clone();
        }
        let blocks: usize = self.stages().iter().map(|s| s.len()).sum();
        let replaced = parts.saturating_sub(1);
        // Blocks are layers 1..=blocks; the stem is layer 0.
        let mut index = 0;
        let fresh_blocks: Vec<&Block> = fresh.blocks().collect();
        for stage in model.stages_mut() {
            for block in stage.iter_mut() {
                if index + replaced >= blocks {
                    *block = fresh_blocks[index].clone();
                }
                index += 1;
            }
        }
        if replaced > blocks {
            model.conv1 = fresh.conv1.clone();
            model.bn1 = fresh.bn1.clone();
        }
        model
    }

    fn fresh(&self, device: &Device) -> Self {
        self.config().init(device)
    }
}
