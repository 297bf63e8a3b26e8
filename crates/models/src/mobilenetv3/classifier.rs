//! MobileNetV3 behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::MobileNetV3;
use crate::layers::features;
use crate::network::{Classifier, Network, param_ids};

impl Classifier for MobileNetV3 {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(MobileNetV3::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        MobileNetV3::forward(self, images)
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        MobileNetV3::pooled_features(self, images)
    }

    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        MobileNetV3::classify(self, pooled)
    }

    fn num_classes(&self) -> usize {
        MobileNetV3::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    fn trainable_params(&self) -> usize {
        MobileNetV3::trainable_params(self)
    }

    features::cascade_over_features!();
}
