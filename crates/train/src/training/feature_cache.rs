//! Training on a frozen backbone without augmentation: each training image's pooled backbone
//! features are computed once, and every epoch trains the classifier on them alone.

use burn::module::Module;
use burn::prelude::*;
use models::{Classifier, Model};

use crate::data::Data;
use crate::progress::bar;

/// The pooled backbone features and labels of the training split, in its order.
pub struct FeatureCache {
    features: Tensor<2>,
    labels: Tensor<1, Int>,
}

impl FeatureCache {
    /// Runs the backbone of `model` (frozen: its features never change) over the training
    /// split once, in batches of `batch_size`.
    pub fn build(model: &Model, data: &Data, batch_size: usize, device: &Device) -> Self {
        let valid = model.valid();
        let progress = bar(data.train.len(), "caching features");
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        let order = (0..data.train.len()).collect();
        for batch in data.batches(&data.train, order, batch_size, None) {
            progress.inc(batch.len() as u64);
            let batch = batch.upload(device);
            features.push(valid.pooled_features(batch.images));
            labels.push(batch.labels);
        }
        progress.finish_and_clear();
        Self {
            features: Tensor::cat(features, 0),
            labels: Tensor::cat(labels, 0),
        }
    }

    /// Features and labels of the training samples at `indices`, on `device`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let rows: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        let rows = Tensor::<1, Int>::from_ints(rows.as_slice(), &self.features.device());
        (
            self.features
                .clone()
                .select(0, rows.clone())
                .to_device(device),
            self.labels.clone().select(0, rows).to_device(device),
        )
    }
}
