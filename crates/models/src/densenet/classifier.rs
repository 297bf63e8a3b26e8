//! DenseNet behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::network::{DenseNet, LAYERS};
use crate::network::{Classifier, Network, param_ids};

impl Classifier for DenseNet {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(DenseNet::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.pooled_features(images))
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        DenseNet::pooled_features(self, images)
    }

    /// The linear layer.
    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.classifier.forward(pooled)
    }

    fn num_classes(&self) -> usize {
        DenseNet::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    fn trainable_params(&self) -> usize {
        DenseNet::trainable_params(self)
    }

    /// `classifier`, then `features.norm5` down to `features.pool0`.
    fn cascade_steps(&self) -> Vec<String> {
        let layers = LAYERS.iter().rev().map(|l| l.to_string());
        std::iter::once("classifier".to_owned())
            .chain(layers)
            .collect()
    }

    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
        let mut model = self.clone();
        if parts > 0 {
            model.classifier = fresh.classifier.clone();
        }
        let top = (LAYERS.len() + 1).saturating_sub(parts)..LAYERS.len();
        for i in top {
            model.features = model.features.with_layer_of(&fresh.features, i);
        }
        model
    }

    fn fresh(&self, device: &Device) -> Self {
        self.config().init(device)
    }
}
