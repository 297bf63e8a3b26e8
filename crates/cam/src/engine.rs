//! The shared CAM engine: one split forward, one backward for all layers and targets.

use burn::prelude::*;
use burn::tensor::activation::relu;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};
use models::Network;
use models::native::channels_last;

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
    plain: Box<dyn Network>,
    tracked: Box<dyn Network>,
    /// Number of the network's layers.
    depth: usize,
    method: Method,
    layers: Vec<TargetLayer>,
}

impl CamEngine {
    /// An engine for `method` on `layers` (at least one; sorted and de-duplicated here) over
    /// `model`, the inference copy of a network ([`Classifier::fold`]): fold a checkpoint once
    /// and hand the same copy to every engine, [`GuidedBackprop`](crate::guided::GuidedBackprop)
    /// and scorer. [`TargetLayer::find_or_default`] picks the layers by name, or the default
    /// one for an image size.
    ///
    /// [`Classifier::fold`]: models::Classifier::fold
    pub fn new(model: &dyn Network, method: Method, layers: &[TargetLayer]) -> Self {
        Self::on(model.boxed(), model.tracked(), method, layers)
    }

    /// An engine for `method` on `layers` over this engine's inference copy of the model,
    /// without folding it again.
    pub fn with(&self, method: Method, layers: &[TargetLayer]) -> Self {
        Self::on(self.plain.clone(), self.tracked.clone(), method, layers)
    }

    fn on(
        plain: Box<dyn Network>,
        tracked: Box<dyn Network>,
        method: Method,
        layers: &[TargetLayer],
    ) -> Self {
        assert!(!layers.is_empty(), "at least one target layer");
        let mut layers = layers.to_vec();
        layers.sort();
        layers.dedup();
        Self {
            depth: plain.layers().len(),
            plain,
            tracked,
            method,
            layers,
        }
    }

    /// The inference copy of the model (batch norm folded), for further forwards on it.
    pub fn model(&self) -> &dyn Network {
        self.plain.as_ref()
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
    /// [`forward`](Self::forward) and [`explain_front`](Self::explain_front) (subsets:
    /// [`Front::select`]).
    pub fn front(&self, images: Tensor<4>) -> Front {
        let images = channels_last(images);
        let activations =
            (self.plain).forward_layers(images.clone(), 0..self.layers[0].index() + 1);
        Front {
            images,
            activations,
        }
    }

    /// The rest of the forward pass of a [`front`](Self::front)'s images, recorded for the
    /// maps' backward (gradient methods): the model's answers come from it
    /// ([`Forward::logits`]), and the maps of one target per image follow from it with
    /// [`explain_forward`](Self::explain_forward), without a second forward pass.
    pub fn forward(&self, front: Front) -> Forward {
        self.forward_targets(front, 1)
    }

    /// The maps of `targets` (one class per image of the batch) from a recorded
    /// [`forward`](Self::forward).
    pub fn explain_forward(&self, forward: Forward, targets: &Targets) -> Explanation {
        let classes = resolve(std::slice::from_ref(targets), &forward.logits);
        self.maps(forward, classes)
    }

    /// [`explain`](Self::explain) continued from [`front`](Self::front).
    pub fn explain_front(&self, front: Front, targets: &[Targets]) -> Explanation {
        assert!(!targets.is_empty(), "at least one target per image");
        let forward = self.forward_targets(front, targets.len());
        let classes = resolve(targets, &forward.logits);
        self.maps(forward, classes)
    }

    /// The forward pass from the first target layer, for `k` targets per image.
    ///
    /// Gradient methods: the first target layer's activations, repeated once per target,
    /// become a tracked leaf; after each further target layer a zero-valued leaf is added so
    /// that its gradient can be read. Other methods run without autodiff.
    fn forward_targets(&self, front: Front, k: usize) -> Forward {
        let Front {
            images,
            activations: head,
        } = front;
        let n = head.dims()[0];
        let gradients = self.method.uses_gradients();
        let first = if gradients {
            repeat(head.clone(), k).autodiff().require_grad()
        } else {
            head.clone()
        };
        let mut activations = vec![head];
        let mut leaves = vec![first.clone()];
        let mut x = first;
        let mut start = self.layers[0].index() + 1;
        for layer in &self.layers[1..] {
            if gradients {
                x = self.tracked.forward_layers(x, start..layer.index() + 1);
                let probe = x.zeros_like().require_grad();
                activations.push(x.clone().inner().narrow(0, 0, n));
                leaves.push(probe.clone());
                x = x + probe;
            } else {
                x = self.plain.forward_layers(x, start..layer.index() + 1);
                activations.push(x.clone());
            }
            start = layer.index() + 1;
        }
        if !gradients {
            let logits = self
                .plain
                .head(self.plain.forward_layers(x, start..self.depth));
            return Forward {
                images,
                logits,
                activations,
                tracked: None,
            };
        }
        let features = self.tracked.forward_layers(x, start..self.depth);
        // Channels-last gradients from the head on: the backward's depthwise convolutions run
        // ~10× faster in that layout.
        let tracked = self.tracked.head(channels_last(features));
        Forward {
            images,
            logits: tracked.clone().inner().narrow(0, 0, n),
            activations,
            tracked: Some((tracked, leaves)),
        }
    }

    /// The maps of a forward pass for `classes` (`[K][N]`): the one backward of the summed
    /// target logits (gradient methods), the method's weighting per layer, then scaling,
    /// upsampling and fusion.
    fn maps(&self, forward: Forward, classes: Vec<Vec<usize>>) -> Explanation {
        let Forward {
            images,
            logits,
            activations,
            tracked,
        } = forward;
        let [_, _, height, width] = images.dims();
        let gradients = match tracked {
            Some((tracked, leaves)) => {
                let rows = classes.iter().map(Vec::len).sum::<usize>();
                let index = class_tensor(&classes, &tracked.device()).autodiff();
                let grads = tracked.gather(1, index.reshape([rows, 1])).sum().backward();
                leaves
                    .iter()
                    .map(|leaf| Some(leaf.grad(&grads).expect("target layers are tracked leaves")))
                    .collect()
            }
            None => vec![None; activations.len()],
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
                    model: self.plain.as_ref(),
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
}

/// The forward pass of a batch past the first target layer (see [`CamEngine::forward`]).
#[derive(Debug)]
pub struct Forward {
    images: Tensor<4>,
    /// The logits of the batch's images, without autodiff.
    logits: Tensor<2>,
    /// Every target layer's activations, the images' rows.
    activations: Vec<Tensor<4>>,
    /// Gradient methods: the tracked logits of every target's rows, and the leaves whose
    /// gradients the maps take.
    tracked: Option<(Tensor<2>, Vec<Tensor<4>>)>,
}

impl Forward {
    /// The logits of the batch's images.
    pub fn logits(&self) -> Tensor<2> {
        self.logits.clone()
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
