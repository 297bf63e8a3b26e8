//! ResNet behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::ResNet;
use super::folded::layer_names;
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
        let layers = layer_names(self.stages().map(Vec::len)).into_iter().rev();
        std::iter::once("fc".to_owned()).chain(layers).collect()
    }

    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
        let mut model = self.clone();
        if parts > 0 {
            model.fc = fresh.fc.clone();
        }
        // Blocks are layers 1..=blocks; the stem is layer 0.
        let blocks = self.blocks().count();
        let replaced = parts.saturating_sub(1);
        let first_fresh = blocks.saturating_sub(replaced);
        let ours = model
            .stages_mut()
            .into_iter()
            .flat_map(|stage| stage.iter_mut());
        for (block, new) in ours.zip(fresh.blocks()).skip(first_fresh) {
            *block = new.clone();
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
