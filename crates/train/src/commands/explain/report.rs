//! What `train explain --json` prints, typed; the text output reads the same structs.

use std::collections::BTreeMap;
use std::path::PathBuf;

use cam::metrics::{Faithfulness, MapStats};
use serde::Serialize;

/// The whole report: input size, target layers and one entry per image.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainReport {
    /// Side of the square model input.
    pub image_size: usize,
    /// The target layers, as given (or the default for the input size).
    pub layers: Vec<String>,
    /// One entry per image, in command-line order.
    pub images: Vec<ImageReport>,
    /// The model-parameter randomization test (`--sanity`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sanity: Option<cam::sanity::Cascade>,
}

/// One image: its top-k predictions and its maps.
#[derive(Clone, Debug, Serialize)]
pub struct ImageReport {
    /// The image file.
    pub path: PathBuf,
    /// The most probable classes, most probable first.
    pub predictions: Vec<Prediction>,
    /// One entry per method and target, method-major.
    pub maps: Vec<MapReport>,
    /// The baseline maps' scores (`--metrics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baselines: Option<BaselineScores>,
}

/// Per explained class name, per baseline name, the scores of that baseline map.
pub type BaselineScores = BTreeMap<String, BTreeMap<&'static str, MapMetrics>>;

/// One predicted class.
#[derive(Clone, Debug, Serialize)]
pub struct Prediction {
    /// Class index.
    pub class: usize,
    /// Class name.
    pub name: String,
    /// Softmax probability.
    pub probability: f32,
}

/// One map (a method and a target class) and the files showing it.
#[derive(Clone, Debug, Serialize)]
pub struct MapReport {
    /// The CAM method.
    pub method: &'static str,
    /// The class explained.
    pub class: usize,
    /// Its name.
    pub name: String,
    /// Its softmax probability.
    pub probability: f32,
    /// Whether the map has no positive evidence (see [`cam::Explanation::empty`]).
    pub empty: bool,
    /// The overlay on the original-size photo.
    pub overlay: PathBuf,
    /// The figure of the image and method (input | heatmap | one overlay per class).
    pub figure: PathBuf,
    /// The final maps of the image and method, `[classes, H, W]`.
    pub npy: PathBuf,
    /// Each target layer's raw maps, `[classes, h, w]`.
    pub raw_npy: Vec<PathBuf>,
    /// The map's scores (`--metrics`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MapMetrics>,
    /// The guided backpropagation figure of the image and method (`--guided`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guided: Option<PathBuf>,
    /// The layer comparison figure of the image and method (`--compare-layers`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers_figure: Option<PathBuf>,
}

/// Concentration, localization (where a mask exists) and faithfulness of one map.
#[derive(Clone, Debug, Serialize)]
pub struct MapMetrics {
    /// Entropy, Gini and the object-mask scores.
    #[serde(flatten)]
    pub stats: MapStats,
    /// Confidence change, deletion and insertion AUC and their curves.
    #[serde(flatten)]
    pub faithfulness: Faithfulness,
}
