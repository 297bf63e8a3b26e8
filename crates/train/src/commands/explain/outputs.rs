//! The files of one image and method: the figure, the overlays, the `.npy` maps and the guided
//! figure.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use cam::guided::{gradient_image, guided_grad_cam};
use cam::render::figure::{Panel, grid, safe_file_name, save_png};
use cam::render::npy::save_npy;
use cam::render::overlay;
use cam::{CamEngine, Explanation};
use image::RgbImage;

use crate::cli::ExplainArgs;

/// Side of each panel in the figures.
const PANEL: u32 = 256;

/// One method's pass over the batch, written out image by image.
pub(super) struct Pass<'a> {
    /// Output folder and overlay weight.
    pub args: &'a ExplainArgs,
    /// Class names by index.
    pub names: &'a [String],
    /// The engine of the pass (its method and layers).
    pub engine: &'a CamEngine,
    /// The engine's maps of the whole batch.
    pub explanation: &'a Explanation,
}

/// One image of the batch.
pub(super) struct Image<'a> {
    /// Position in the batch.
    pub index: usize,
    /// Start of its output file names.
    pub stem: &'a str,
    /// The model input (the evaluation transform's output).
    pub input: &'a RgbImage,
    /// The part of the photo the model sees, at the photo's resolution.
    pub original: &'a RgbImage,
}

/// The files written for one image and method.
pub(super) struct Written {
    /// Input | heatmap | one overlay per target.
    pub figure: PathBuf,
    /// The overlay on the photo (the part the model sees) at its resolution, per target.
    pub overlays: Vec<PathBuf>,
    /// The final maps, `[targets, H, W]`.
    pub npy: PathBuf,
    /// Each layer's raw maps, `[targets, h, w]`.
    pub raw_npy: Vec<PathBuf>,
    /// Guided backpropagation and guided method per target, when gradients were given.
    pub guided: Option<PathBuf>,
    /// One panel per layer and the fused map, per target (`--compare-layers`).
    pub layers: Option<PathBuf>,
}

impl Pass<'_> {
    /// Writes the files of `image`; the guided figure too when `guided` holds the guided
    /// backpropagation gradients of the batch (`[K*N, 3, H, W]`).
    pub fn write(&self, image: &Image<'_>, guided: Option<&Tensor<4>>) -> anyhow::Result<Written> {
        let Self {
            args,
            names,
            engine,
            explanation,
        } = *self;
        let Image {
            index: i,
            stem,
            input,
            original,
        } = *image;
        let method = engine.method();
        let base = args.output.join(format!("{stem}.{method}"));
        let [h, w] = explanation.size;
        let k = explanation.classes.len();
        let layers: Vec<String> = engine.layers().iter().map(ToString::to_string).collect();
        let layers = layers.join("+");

        let first = explanation.classes[0][i];
        let mut panels = vec![
            Panel {
                title: format!("{stem}\ninput {w}x{h}"),
                image: input.clone(),
            },
            Panel {
                title: format!("{method} heatmap\n{}", names[first]),
                image: overlay::heatmap(explanation.map(0, i), w as u32, h as u32),
            },
        ];
        let mut maps = Vec::with_capacity(k * h * w);
        let mut overlays = Vec::with_capacity(k);
        let (ow, oh) = original.dimensions();
        for (target, classes) in explanation.classes.iter().enumerate() {
            let class = classes[i];
            let map = explanation.map(target, i);
            maps.extend_from_slice(map);
            let empty = if explanation.is_empty(target, i) {
                ", empty map"
            } else {
                ""
            };
            panels.push(Panel {
                title: format!(
                    "{} ({:.1}%){empty}\n{method} @ {layers}",
                    names[class],
                    100.0 * explanation.probabilities[i][class]
                ),
                image: overlay::overlay(input, map, args.image_weight),
            });
            let full = vision::resize::map(map, explanation.size, (ow, oh));
            let path = suffixed(
                &base,
                &format!(".{}.overlay.png", safe_file_name(&names[class])),
            );
            save_png(&overlay::overlay(original, &full, args.image_weight), &path)?;
            overlays.push(path);
        }
        let figure = suffixed(&base, ".png");
        save_png(&grid(&[panels], PANEL), &figure)?;
        let npy = suffixed(&base, ".npy");
        save_npy(&maps, &[k, h, w], &npy)?;
        let n = explanation.image_count();
        let mut raw_npy = Vec::with_capacity(explanation.layer_maps.len());
        for layer in &explanation.layer_maps {
            let [lh, lw] = layer.size;
            let data: Vec<f32> = (0..k)
                .flat_map(|t| layer.raw(n, t, i).iter().copied())
                .collect();
            let path = suffixed(&base, &format!(".{}.raw.npy", layer.layer));
            save_npy(&data, &[k, lh, lw], &path)?;
            raw_npy.push(path);
        }
        let guided = guided
            .map(|gradients| self.write_guided(image, gradients))
            .transpose()?;
        let layers = args
            .compare_layers
            .then(|| self.write_layers(image, &base))
            .transpose()?;
        Ok(Written {
            figure,
            overlays,
            npy,
            raw_npy,
            guided,
            layers,
        })
    }

    /// The layer comparison of `image`: per target, each layer's map on its own scale, then
    /// the fused map, all over the input.
    fn write_layers(&self, image: &Image<'_>, base: &Path) -> anyhow::Result<PathBuf> {
        let explanation = self.explanation;
        let method = self.engine.method();
        let (i, n) = (image.index, explanation.image_count());
        let [h, w] = explanation.size;
        let weight = self.args.image_weight;
        let rows: Vec<Vec<Panel>> = explanation
            .classes
            .iter()
            .enumerate()
            .map(|(target, classes)| {
                let name = &self.names[classes[i]];
                let mut row: Vec<Panel> = explanation
                    .layer_maps
                    .iter()
                    .map(|layer| {
                        let [lh, lw] = layer.size;
                        Panel {
                            title: format!("{} ({lw}x{lh})\n{method}, {name}", layer.layer),
                            image: overlay::overlay(
                                image.input,
                                &layer.scaled(n, target, i, [h, w]),
                                weight,
                            ),
                        }
                    })
                    .collect();
                row.push(Panel {
                    title: format!("fused ({} layers)\n{method}, {name}", row.len()),
                    image: overlay::overlay(image.input, explanation.map(target, i), weight),
                });
                row
            })
            .collect();
        let figure = suffixed(base, ".layers.png");
        save_png(&grid(&rows, PANEL), &figure)?;
        Ok(figure)
    }

    /// Guided backpropagation and guided method panels of `image`, one pair per target.
    fn write_guided(&self, image: &Image<'_>, gradients: &Tensor<4>) -> anyhow::Result<PathBuf> {
        let explanation = self.explanation;
        let method = self.engine.method();
        let i = image.index;
        let [h, w] = explanation.size;
        let n = explanation.image_count();
        let device = gradients.device();
        let mut panels = Vec::new();
        for (target, classes) in explanation.classes.iter().enumerate() {
            let name = &self.names[classes[i]];
            let gradient = gradients.clone().narrow(0, target * n + i, 1);
            let map = Tensor::<3>::from_data(
                TensorData::new(explanation.map(target, i).to_vec(), [1, h, w]),
                &device,
            );
            panels.push(Panel {
                title: format!("guided backprop\n{name}"),
                image: gradient_image(gradient.clone().squeeze_dim(0)),
            });
            panels.push(Panel {
                title: format!("guided {method}\n{name}"),
                image: gradient_image(guided_grad_cam(gradient, map).squeeze_dim(0)),
            });
        }
        let figure = self
            .args
            .output
            .join(format!("{}.{method}.guided.png", image.stem));
        save_png(&grid(&[panels], PANEL), &figure)?;
        Ok(figure)
    }
}

/// `base` with `suffix` appended to its file name (`a/b.gradcam` + `.npy`).
fn suffixed(base: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", base.display()))
}
