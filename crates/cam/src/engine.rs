//! The shared CAM engine: one split forward, one backward for all layers and targets.

use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use mobilenetv2::native::channels_last;
use mobilenetv2::{FEATURE_LAYERS, FoldedMobileNetV2, MobileNetV2};

use crate::explanation::Explanation;
use crate::layer::TargetLayer;
use crate::methods::{LayerEvidence, Method, repeat};

/// Which class each map explains, for every image of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Targets {
    /// The class the model predicts for each image.
    Predicted,
    /// One class per image (e.g. the true labels).
    Classes(Vec<usize>),
}

/// Computes class activation maps on the inference copy of a model.
///
/// The engine never touches the model it was made from: it keeps an inference copy (batch norm
/// on running statistics, folded into the convolutions; dropout off; no parameter gradients),
/// so building maps in the middle of training changes neither weights, gradients nor
/// batch-norm statistics.
#[derive(Debug)]
pub struct CamEngine {
    plain: FoldedMobileNetV2,
    tracked: FoldedMobileNetV2,
    method: Method,
    layers: Vec<TargetLayer>,
}

impl CamEngine {
    /// An engine for `method` on `layers` (at least one; sorted and de-duplicated here).
    /// [`TargetLayer::or_default_for`] picks the default layer for an image size.
    pub fn new(model: &MobileNetV2, method: Method, layers: &[TargetLayer]) -> Self {
        assert!(!layers.is_empty(), "at least one target layer");
        let plain = FoldedMobileNetV2::new(model);
        let tracked = plain.tracked();
        let mut layers = layers.to_vec();
        layers.sort();
        layers.dedup();
        Self {
            plain,
            tracked,
            method,
            layers,
        }
    }

    /// The method this engine computes.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The target layers, in network order.
    pub fn layers(&self) -> &[TargetLayer] {
        &self.layers
    }

    /// Maps for a batch of normalized images `[N, 3, H, W]`, one per image and target.
    ///
    /// All `N × K` maps come from one forward pass to the first target layer and (for
    /// gradient methods) one backward pass, however many layers and targets are asked for.
    pub fn explain(&self, images: Tensor<4>, targets: &[Targets]) -> Explanation {
        self.explain_front(self.front(images), targets)
    }

    /// The part of [`explain`](Self::explain) every forward pass needs: the network without
    /// autodiff up to the first target layer, the costly part at high resolution. A caller
    /// that wants the model's answers for every image and maps for some continues from it with
    /// [`explain_front`](Self::explain_front) (subsets: [`Front::select`]).
    pub fn front(&self, images: Tensor<4>) -> Front {
        let images = channels_last(images);
        let activations =
            (self.plain).forward_features(images.clone(), 0..self.layers[0].index() + 1);
        Front {
            images,
            activations,
        }
    }

    /// The logits of a [`front`](Self::front)'s images: the rest of the plain forward pass,
    /// without autodiff (the answers alone, e.g. to choose which images to explain).
    pub fn logits(&self, front: &Front) -> Tensor<2> {
        let start = self.layers[0].index() + 1;
        let features =
            (self.plain).forward_features(front.activations.clone(), start..FEATURE_LAYERS);
        self.plain.head(features)
    }

    /// [`explain`](Self::explain) continued from [`front`](Self::front).
    pub fn explain_front(&self, front: Front, targets: &[Targets]) -> Explanation {
        assert!(!targets.is_empty(), "at least one target per image");
        let Front {
            images,
            activations: head,
        } = front;
        let [_, _, height, width] = images.dims();
        let (logits, activations, gradients, classes) = if self.method.uses_gradients() {
            self.forward_backward(head, targets)
        } else {
            let (logits, activations) = self.forward(head);
            let classes = resolve(targets, &logits);
            let gradients = vec![None; activations.len()];
            (logits, activations, gradients, classes)
        };
        let raw: Vec<Tensor<3>> = activations
            .into_iter()
            .zip(gradients)
            .map(|(activations, gradients)| {
                self.method.map(&LayerEvidence {
                    activations,
                    gradients,
                    classes: &classes,
                    images: &images,
                    model: &self.plain,
                })
            })
            .collect();
        let empty: Tensor<3, Bool> = raw
            .iter()
            .map(|m| m.clone().max_dim(2).max_dim(1).lower_equal_elem(0.0))
            .reduce(|a, b| a.bool_and(b))
            .expect("at least one layer");
        let raw: Vec<Tensor<3>> = raw.into_iter().map(relu).collect();
        let per_layer: Vec<Tensor<3>> = raw
            .iter()
            .map(|m| upsample(min_max(m.clone()), [height, width]))
            .collect();
        let fused = min_max(relu(
            Tensor::stack::<4>(per_layer, 1).mean_dim(1).squeeze_dim(1),
        ));
        Explanation::new(logits, classes, fused, &self.layers, raw, empty)
    }

    /// Plain forward from the first target layer's activations; returns logits and the
    /// activations of every target layer.
    fn forward(&self, head: Tensor<4>) -> (Tensor<2>, Vec<Tensor<4>>) {
        let mut activations = vec![head.clone()];
        let mut x = head;
        let mut start = self.layers[0].index() + 1;
        for layer in &self.layers[1..] {
            x = self.plain.forward_features(x, start..layer.index() + 1);
            activations.push(x.clone());
            start = layer.index() + 1;
        }
        let logits = self
            .plain
            .head(self.plain.forward_features(x, start..FEATURE_LAYERS));
        (logits, activations)
    }

    /// The split forward and single backward of the gradient methods.
    ///
    /// The network runs without autodiff up to the first target layer; its output, repeated
    /// once per target, becomes a tracked leaf. After each further target layer a zero-valued
    /// leaf is added so that its gradient can be read. Targets are resolved from the logits
    /// (the predicted class needs them) before the one backward of the summed target logits.
    fn forward_backward(
        &self,
        head: Tensor<4>,
        targets: &[Targets],
    ) -> (
        Tensor<2>,
        Vec<Tensor<4>>,
        Vec<Option<Tensor<4>>>,
        Vec<Vec<usize>>,
    ) {
        let n = head.dims()[0];
        let k = targets.len();
        let first = self.layers[0].index();
        let leaf = repeat(head.clone(), k).autodiff().require_grad();
        let mut activations = vec![head];
        let mut leaves = vec![leaf.clone()];
        let mut x = leaf;
        let mut start = first + 1;
        for layer in &self.layers[1..] {
            x = self.tracked.forward_features(x, start..layer.index() + 1);
            let probe = x.zeros_like().require_grad();
            activations.push(x.clone().inner().narrow(0, 0, n));
            leaves.push(probe.clone());
            x = x + probe;
            start = layer.index() + 1;
        }
        let features = self.tracked.forward_features(x, start..FEATURE_LAYERS);
        // Channels-last gradients from the head on: the backward's depthwise convolutions run
        // ~10× faster in that layout.
        let logits = self.tracked.head(channels_last(features));
        let plain_logits = logits.clone().inner().narrow(0, 0, n);
        let classes = resolve(targets, &plain_logits);
        let index = class_tensor(&classes, &logits.device()).autodiff();
        let grads = logits.gather(1, index.reshape([n * k, 1])).sum().backward();
        let gradients = leaves
            .iter()
            .map(|leaf| Some(leaf.grad(&grads).expect("target layers are tracked leaves")))
            .collect();
        (plain_logits, activations, gradients, classes)
    }
}

/// A batch after the network's front part: its images and the first target layer's
/// activations (see [`CamEngine::front`]).
#[derive(Clone, Debug)]
pub struct Front {
    images: Tensor<4>,
    activations: Tensor<4>,
}

impl Front {
    /// The images at `indices` (in that order).
    pub fn select(&self, indices: &[usize]) -> Self {
        let rows: Vec<i64> = indices.iter().map(|&i| i as i64).collect();
        let rows = Tensor::<1, Int>::from_ints(rows.as_slice(), &self.images.device());
        // Selected rows come back contiguous; the tail runs much faster channels-last.
        Self {
            images: channels_last(self.images.clone().select(0, rows.clone())),
            activations: channels_last(self.activations.clone().select(0, rows)),
        }
    }
}

/// Resolves each target into one class per image.
fn resolve(targets: &[Targets], logits: &Tensor<2>) -> Vec<Vec<usize>> {
    let n = logits.dims()[0];
    let predicted = || -> Vec<usize> {
        logits
            .clone()
            .argmax(1)
            .into_data()
            .iter::<i64>()
            .map(|c| c as usize)
            .collect()
    };
    targets
        .iter()
        .map(|t| match t {
            Targets::Predicted => predicted(),
            Targets::Classes(classes) => {
                assert_eq!(classes.len(), n, "one target class per image");
                classes.clone()
            }
        })
        .collect()
}

/// The classes of every target and image as one index tensor, target-major.
pub(crate) fn class_tensor(classes: &[Vec<usize>], device: &Device) -> Tensor<1, Int> {
    let flat: Vec<i64> = classes.iter().flatten().map(|&c| c as i64).collect();
    Tensor::from_ints(flat.as_slice(), device)
}

/// Per-map min-max scaling to `[0, 1]` with pytorch-grad-cam's epsilon (a constant map
/// becomes all zeros, never NaN).
pub(crate) fn min_max(maps: Tensor<3>) -> Tensor<3> {
    let min = maps.clone().min_dim(2).min_dim(1);
    let shifted = maps - min;
    let max = shifted.clone().max_dim(2).max_dim(1);
    shifted / (max + 1e-7)
}

/// Bilinear upsampling with half-pixel centres (`F.interpolate(align_corners=False)`,
/// `cv2.resize`'s `INTER_LINEAR`).
pub(crate) fn upsample(maps: Tensor<3>, size: [usize; 2]) -> Tensor<3> {
    let [b, h, w] = maps.dims();
    if [h, w] == size {
        return maps;
    }
    let options = InterpolateOptions::new(InterpolateMode::Bilinear)
        .with_align_corners(false)
        .with_output_size(size);
    interpolate(maps.reshape([b, 1, h, w]), options).reshape([b, size[0], size[1]])
}
