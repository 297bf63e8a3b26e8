//! VGG behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::Vgg;
use super::folded::{layer_groups, layer_names};
use crate::network::{Classifier, Network, param_ids};

impl Classifier for Vgg {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(Vgg::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        Vgg::forward(self, images)
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        Vgg::pooled_features(self, images)
    }

    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        Vgg::classify(self, pooled)
    }

    fn num_classes(&self) -> usize {
        Vgg::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    fn trainable_params(&self) -> usize {
        Vgg::trainable_params(self)
    }

    /// `classifier`, then every layer of the inference copy from the last down.
    fn cascade_steps(&self) -> Vec<String> {
        let layers = layer_names(&self.features).into_iter().rev();
        std::iter::once("classifier".to_owned())
            .chain(layers)
            .collect()
    }

    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
        let mut model = self.clone();
        if parts > 0 {
            model.classifier = fresh.classifier.clone();
        }
        let groups = layer_groups(&self.features);
        for group in groups.iter().rev().take(parts.saturating_sub(1)) {
            for i in group.clone() {
                model.features[i] = fresh.features[i].clone();
            }
        }
        model
    }

    fn fresh(&self, device: &Device) -> Self {
        self.config().init(device)
    }
}
