//! MobileNetV2 behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::MobileNetV2;
use crate::layers::features;
use crate::network::{Classifier, Network, param_ids};

impl Classifier for MobileNetV2 {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(MobileNetV2::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        MobileNetV2::forward(self, images)
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        MobileNetV2::pooled_features(self, images)
    }

    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        MobileNetV2::classify(self, pooled)
    }

    fn num_classes(&self) -> usize {
        MobileNetV2::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    fn trainable_params(&self) -> usize {
        MobileNetV2::trainable_params(self)
    }

    features::cascade_over_features!();
}
