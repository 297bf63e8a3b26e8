//! ConvNeXt behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::network::ConvNeXt;
use crate::layers::features;
use crate::network::{Classifier, Network, param_ids};

impl Classifier for ConvNeXt {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(ConvNeXt::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.pooled_features(images))
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        ConvNeXt::pooled_features(self, images)
    }

    /// The layer norm and the linear layer.
    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        ConvNeXt::classify(self, pooled)
    }

    fn num_classes(&self) -> usize {
        ConvNeXt::num_classes(self)
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    /// Every parameter: ConvNeXt keeps no running statistics.
    fn trainable_params(&self) -> usize {
        self.num_params()
    }

    features::cascade_over_features!();
}
