//! EfficientNet behind the model interface.

use burn::module::ParamId;
use burn::prelude::*;

use super::network::{EfficientNet, Feature};
use crate::layers::{features, global_pool};
use crate::native::channels_last;
use crate::network::{Classifier, Network, param_ids};

impl Classifier for EfficientNet {
    fn fold(&self) -> Box<dyn Network> {
        Box::new(EfficientNet::fold(self))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        self.classify(self.pooled_features(images))
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        let x = channels_last(images);
        global_pool(self.features.iter().fold(x, |h, f| f.forward(h)))
    }

    /// Dropout and the linear layer.
    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        let (dropout, linear) = &self.classifier;
        linear.forward(dropout.forward(pooled))
    }

    fn num_classes(&self) -> usize {
        self.classifier.1.weight.dims()[1]
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        param_ids(&self.features)
    }

    /// Burn's `num_params` without the batch norms' running statistics.
    fn trainable_params(&self) -> usize {
        let running: usize = (self.features.iter())
            .flat_map(Feature::conv_norms)
            .map(|(_, norm)| 2 * norm.gamma.dims()[0])
            .sum();
        self.num_params() - running
    }

    features::cascade_over_features!();
}
