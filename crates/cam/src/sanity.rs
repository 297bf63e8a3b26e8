//! The model-parameter randomization test of Adebayo et al., "Sanity Checks for Saliency Maps"
//! (NeurIPS 2018): a map that explains a model must change when the model's weights do.
//!
//! The cascade re-initializes the trained model from the top, one part at a time (the
//! classifier, then `features.18` down to `features.0`), with the weights of a freshly
//! initialized model of the same shape (torchvision's initialization), and after each step
//! compares every method's map of each image with its map on the trained model, by Spearman
//! rank correlation and structural similarity. The class explained stays the trained model's
//! prediction. A method whose maps stay highly correlated once the top half of the network
//! (what turns features into classes) is random shows the image, not what the model learned:
//! the paper found guided backpropagation to be one.

use burn::prelude::*;
use models::native::channels_last;
use models::{Classifier, Network};

use crate::guided::GuidedBackprop;
use crate::metrics::{spearman, ssim};
use crate::{CamEngine, Method, TargetLayer, Targets, argmax};

/// Mean Spearman correlation with the trained model's maps, once the top half of the network is
/// random, from which a method counts as insensitive to the model.
pub const INSENSITIVE: f64 = 0.5;

/// The lowest layer re-initialized when the verdict is taken, for a network of `depth` layers:
/// the head and the top half of the layers are random then (MobileNetV2: `features.18` to
/// `features.10`; ResNet-18: `layer4.1` to `layer3.0`).
pub fn verdict_layer(depth: usize) -> usize {
    depth.div_ceil(2)
}

/// What makes a map in the test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Explainer {
    /// A CAM method, at the given target layers.
    Cam(Method),
    /// Guided backpropagation: the absolute input gradient, summed over colours.
    GuidedBackprop,
}

impl Explainer {
    /// Its name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cam(method) => method.name(),
            Self::GuidedBackprop => "guided backprop",
        }
    }
}

/// One explainer's similarity to its trained-model maps, step by step (the first step is the
/// trained model itself), each the mean over the images.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Curve {
    /// The explainer's name.
    pub explainer: &'static str,
    /// Mean Spearman rank correlation per step.
    pub spearman: Vec<f64>,
    /// Mean structural similarity per step.
    pub ssim: Vec<f64>,
    /// Whether the maps stay correlated (Spearman of at least [`INSENSITIVE`]) with the top
    /// half of the network random: the method does not explain what the model learned.
    pub insensitive: bool,
}

/// The result of a cascade.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Cascade {
    /// What each step re-initialized, cumulatively: `trained`, then the model's
    /// [`Classifier::cascade_steps`] (`classifier`, `features.18`, ... `features.0`).
    pub steps: Vec<String>,
    /// The step the verdicts are taken at: the top half of the layers re-initialized (see
    /// [`verdict_layer`]).
    pub verdict_step: usize,
    /// One curve per explainer.
    pub curves: Vec<Curve>,
}

/// Runs the cascade on normalized `images` `[N, 3, H, W]`: the trained `model`, its parts
/// replaced by those of `fresh` (the same architecture, newly initialized) one at a time from
/// the top. CAM maps are taken at `layers`.
pub fn cascade<M: Classifier>(
    model: &M,
    fresh: &M,
    images: Tensor<4>,
    explainers: &[Explainer],
    layers: &[TargetLayer],
) -> Cascade {
    let folded = model.fold();
    let classes: Vec<usize> = {
        let logits = folded.forward(channels_last(images.clone()));
        let [_, k] = logits.dims();
        let values: Vec<f32> = logits.into_data().iter::<f32>().collect();
        values.chunks(k).map(argmax).collect()
    };
    let [_, _, height, width] = images.dims();
    let maps = |model: &dyn Network| -> Vec<Vec<Vec<f32>>> {
        // One inference copy of this step's model serves every method.
        let engine = CamEngine::new(model, Method::GradCam, layers);
        explainers
            .iter()
            .map(|&e| explain(&engine, e, images.clone(), &classes))
            .collect()
    };
    let trained = maps(folded.as_ref());
    let cascade_steps = model.cascade_steps();
    let mut scores: Vec<Vec<(f64, f64)>> = vec![vec![(1.0, 1.0)]; explainers.len()];
    for parts in 1..=cascade_steps.len() {
        let randomized = model.with_fresh_top(fresh, parts);
        for (e, now) in maps(randomized.fold().as_ref()).into_iter().enumerate() {
            let n = now.len() as f64;
            let (r, s) = now
                .iter()
                .zip(&trained[e])
                .fold((0.0, 0.0), |(r, s), (a, b)| {
                    (r + spearman(a, b), s + ssim(a, b, [height, width]))
                });
            scores[e].push((r / n, s / n));
        }
    }
    let layers_of_model = folded.layers();
    let verdict = &layers_of_model[verdict_layer(layers_of_model.len())];
    let steps: Vec<String> = std::iter::once("trained".to_owned())
        .chain(cascade_steps)
        .collect();
    let verdict_step = steps
        .iter()
        .position(|s| s == verdict)
        .expect("every layer is a cascade step");
    let curves = explainers
        .iter()
        .zip(scores)
        .map(|(e, steps)| Curve {
            explainer: e.name(),
            spearman: steps.iter().map(|s| s.0).collect(),
            ssim: steps.iter().map(|s| s.1).collect(),
            insensitive: steps[verdict_step].0 >= INSENSITIVE,
        })
        .collect();
    Cascade {
        steps,
        verdict_step,
        curves,
    }
}

/// Each image's map of `classes[i]` by `explainer`, `H × W` values in `[0, 1]`, on `engine`'s
/// inference copy of the model (and its target layers, for CAM methods).
fn explain(
    engine: &CamEngine,
    explainer: Explainer,
    images: Tensor<4>,
    classes: &[usize],
) -> Vec<Vec<f32>> {
    let n = classes.len();
    match explainer {
        Explainer::Cam(method) => {
            let explanation = engine
                .with(method, engine.layers())
                .explain(images, &[Targets::Classes(classes.to_vec())]);
            (0..n).map(|i| explanation.map(0, i).to_vec()).collect()
        }
        Explainer::GuidedBackprop => {
            let gradients =
                GuidedBackprop::new(engine.model()).gradients(images, &[classes.to_vec()]);
            let [_, _, h, w] = gradients.dims();
            let magnitude: Vec<f32> = gradients
                .abs()
                .sum_dim(1)
                .into_data()
                .iter::<f32>()
                .collect();
            magnitude
                .chunks(h * w)
                .map(|m| {
                    let max = m
                        .iter()
                        .copied()
                        .fold(0.0f32, f32::max)
                        .max(f32::MIN_POSITIVE);
                    m.iter().map(|v| v / max).collect()
                })
                .collect()
        }
    }
}
