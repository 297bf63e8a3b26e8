use burn::nn::{Dropout, Linear};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::layers::Feature;
use crate::native::channels_last;

/// Number of entries in `features` (`features.0` ... `features.18`).
pub const FEATURE_LAYERS: usize = 19;

/// torchvision's MobileNetV2. Field names and order match its `state_dict`.
#[derive(Module, Debug)]
pub struct MobileNetV2 {
    /// The convolutional trunk, `features.0` ... `features.18`.
    pub features: Vec<Feature>,
    /// `classifier.0` (dropout) and `classifier.1` (linear).
    pub classifier: (Dropout, Linear),
}

impl MobileNetV2 {
    /// Logits for a batch of normalized images `[N, 3, H, W]`.
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        // Channels-last in, and channels-last gradients out of the head: LibTorch then runs
        // the convolutions (forward and backward) on its NHWC oneDNN kernels.
        let features = self.forward_features(channels_last(images), 0..FEATURE_LAYERS);
        self.head(channels_last(features))
    }

    /// Runs `features[layers]` on `x`, the output of `features[layers.start - 1]`
    /// (or the images when `layers.start == 0`).
    pub fn forward_features(&self, x: Tensor<4>, layers: std::ops::Range<usize>) -> Tensor<4> {
        self.features[layers]
            .iter()
            .fold(x, |h, layer| layer.forward(h))
    }

    /// Global average pooling, dropout and the linear classifier on `features.18`'s output.
    pub fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.classify(global_pool(features))
    }

    /// The backbone's globally pooled output `[N, C]` for normalized images: what the
    /// classifier sees.
    pub fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        global_pool(self.forward_features(channels_last(images), 0..FEATURE_LAYERS))
    }

    /// Dropout and the linear classifier on pooled features `[N, C]`.
    pub fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        self.classifier.1.forward(self.classifier.0.forward(pooled))
    }

    /// Number of classes the classifier predicts.
    pub fn num_classes(&self) -> usize {
        self.classifier.1.weight.dims()[1]
    }

    /// Channels of the last feature map.
    pub fn last_channel(&self) -> usize {
        self.classifier.1.weight.dims()[0]
    }
}

/// Global average pooling `[N, C, H, W] -> [N, C]`.
pub(crate) fn global_pool(features: Tensor<4>) -> Tensor<2> {
    features.mean_dim(3).mean_dim(2).flatten(1, 3)
}

/// Per-channel mean and standard deviation the model's inputs were normalized with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Normalization {
    /// Channel means (RGB), in `[0, 1]` pixel units.
    pub mean: [f32; 3],
    /// Channel standard deviations (RGB).
    pub std: [f32; 3],
}

/// How an image of any shape is fitted to the model's square input.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Resize {
    /// torchvision's classification recipe, which pretrained weights expect: for evaluation the
    /// short side is resized to `round(s · 256/224)` and the centre `s × s` cropped (aspect ratio
    /// kept); for training a random resized crop.
    #[default]
    Crop,
    /// The whole frame squashed to `s × s` (`Resize((s, s))`), for data where every pixel of the
    /// frame matters.
    Squash,
}

impl Resize {
    /// What checkpoints from before the field was recorded were trained with.
    pub fn legacy() -> Self {
        Self::Squash
    }
}

impl Default for Normalization {
    /// ImageNet's statistics, as torchvision's pretrained models expect.
    fn default() -> Self {
        Self {
            mean: [0.485, 0.456, 0.406],
            std: [0.229, 0.224, 0.225],
        }
    }
}
