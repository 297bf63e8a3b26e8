//! The result of one engine pass, on the host, ready for overlays, files and metrics.

use burn::prelude::*;
use burn::tensor::activation::softmax;

use crate::layer::TargetLayer;

/// One layer's maps at its own resolution, after ReLU and before any scaling.
#[derive(Clone, Debug)]
pub struct LayerMaps {
    /// The layer.
    pub layer: TargetLayer,
    /// `[height, width]` of the layer's feature map.
    pub size: [usize; 2],
    /// `K × N` maps, target-major, row-major.
    pub data: Vec<f32>,
}

impl LayerMaps {
    /// The raw map of `image` for `target`, in a batch of `images`: `size` values.
    pub fn raw(&self, images: usize, target: usize, image: usize) -> &[f32] {
        let len = self.size[0] * self.size[1];
        let at = (target * images + image) * len;
        &self.data[at..at + len]
    }

    /// That map as the fusion takes it: min-max scaled on its own, then upsampled to `size`
    /// (`[height, width]`).
    pub fn scaled(&self, images: usize, target: usize, image: usize, size: [usize; 2]) -> Vec<f32> {
        let raw = self.raw(images, target, image);
        let min = raw.iter().copied().fold(f32::INFINITY, f32::min);
        let max = raw.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let scaled: Vec<f32> = raw.iter().map(|v| (v - min) / (max - min + 1e-7)).collect();
        vision::resize::map(&scaled, self.size, (size[1] as u32, size[0] as u32))
    }
}

/// Maps for `N` images and `K` targets, plus the model's predictions.
#[derive(Clone, Debug)]
pub struct Explanation {
    /// Logits per image, `[N][classes]`.
    pub logits: Vec<Vec<f32>>,
    /// Softmax probabilities per image, `[N][classes]`.
    pub probabilities: Vec<Vec<f32>>,
    /// The class each map explains, `[K][N]`.
    pub classes: Vec<Vec<usize>>,
    /// `[height, width]` of the final maps (the input size).
    pub size: [usize; 2],
    /// `K × N` final maps in `[0, 1]`: per-layer ReLU, min-max scaling and upsampling,
    /// then the mean over layers, scaled again (pytorch-grad-cam's fusion).
    pub maps: Vec<f32>,
    /// The raw maps of every target layer.
    pub layer_maps: Vec<LayerMaps>,
    /// `K × N` flags: the map had no positive value on any layer (every weighted activation
    /// was non-positive, typically a class the model firmly rejects), so it is all zeros.
    pub empty: Vec<bool>,
}

impl Explanation {
    pub(crate) fn new(
        logits: Tensor<2>,
        classes: Vec<Vec<usize>>,
        maps: Tensor<3>,
        layers: &[TargetLayer],
        raw: Vec<Tensor<3>>,
        empty: Tensor<3, Bool>,
    ) -> Self {
        let [_, height, width] = maps.dims();
        let rows = |t: Tensor<2>| -> Vec<Vec<f32>> {
            let [_, c] = t.dims();
            let flat: Vec<f32> = t.into_data().try_to_vec::<f32>().expect("f32 data");
            flat.chunks(c).map(<[f32]>::to_vec).collect()
        };
        Self {
            probabilities: rows(softmax(logits.clone(), 1)),
            logits: rows(logits),
            classes,
            size: [height, width],
            maps: maps.into_data().try_to_vec::<f32>().expect("f32 data"),
            layer_maps: layers
                .iter()
                .zip(raw)
                .map(|(layer, t)| {
                    let [_, h, w] = t.dims();
                    LayerMaps {
                        layer: layer.clone(),
                        size: [h, w],
                        data: t.into_data().try_to_vec::<f32>().expect("f32 data"),
                    }
                })
                .collect(),
            empty: empty.into_data().iter::<bool>().collect(),
        }
    }

    /// The final map of `image` for target `target`, `height × width` values in `[0, 1]`.
    pub fn map(&self, target: usize, image: usize) -> &[f32] {
        let len = self.size[0] * self.size[1];
        let at = (target * self.image_count() + image) * len;
        &self.maps[at..at + len]
    }

    /// Whether that map is empty (see [`Explanation::empty`]).
    pub fn is_empty(&self, target: usize, image: usize) -> bool {
        self.empty[target * self.image_count() + image]
    }

    /// Images in the batch (`N`).
    pub fn image_count(&self) -> usize {
        self.logits.len()
    }

    /// The `k` most probable classes of `image` with their probabilities, most probable first.
    pub fn top(&self, image: usize, k: usize) -> Vec<(usize, f32)> {
        let mut ranked: Vec<(usize, f32)> = self.probabilities[image]
            .iter()
            .copied()
            .enumerate()
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked.truncate(k);
        ranked
    }

    /// The predicted class of `image`.
    pub fn predicted(&self, image: usize) -> usize {
        argmax(&self.probabilities[image])
    }
}

/// The index of the largest value (the last of equal ones; 0 for an empty slice).
pub fn argmax(values: &[f32]) -> usize {
    values
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |(i, _)| i)
}
