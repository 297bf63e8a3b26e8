//! One gallery image's results, as `gallery.json`, `data.js` and `predictions.csv` hold them.

use super::Target;
use cam::Explanation;
use cam::metrics::MapStats;
use serde::Serialize;

/// One image: its answer, its top classes and its predicted-class map's scores.
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// Position in the gallery (path order); its files are named after it.
    pub index: usize,
    /// The file, relative to the gallery's folder.
    pub path: String,
    /// True class, from the class folder (labelled folders only).
    pub label: Option<usize>,
    /// Predicted class.
    pub predicted: usize,
    /// Probability of the predicted class.
    pub p_predicted: f32,
    /// Probability of the true class.
    pub p_true: Option<f32>,
    /// Cross-entropy loss of the true class.
    pub loss: Option<f32>,
    /// The most probable classes, most probable first: `[class, probability]`.
    pub top: Vec<(usize, f32)>,
    /// Entropy, Gini and (with a mask) the object scores of the predicted-class map.
    pub map: MapStats,
    /// The maps, `[targets, 32, 32]` float32: predicted class, then true class when labelled.
    pub npy: String,
}

impl Record {
    /// Image `i` of `explanation` (its [`Target`]s in order), gallery index `index`.
    pub fn new(
        index: usize,
        path: String,
        explanation: &Explanation,
        i: usize,
        label: Option<usize>,
        top_k: usize,
        map: MapStats,
    ) -> Self {
        let probabilities = &explanation.probabilities[i];
        let predicted = explanation.classes[Target::Predicted.index()][i];
        let p_true = label.map(|l| probabilities[l]);
        Self {
            index,
            path,
            label,
            predicted,
            p_predicted: probabilities[predicted],
            p_true,
            loss: p_true.map(|p| -p.max(f32::MIN_POSITIVE).ln()),
            top: explanation.top(i, top_k),
            map,
            npy: format!("maps/{index:05}.npy"),
        }
    }
}

/// One row of `predictions.csv`: the record, flat, with class names.
#[derive(Serialize)]
pub struct CsvRow<'a> {
    index: usize,
    path: &'a str,
    label: Option<&'a str>,
    predicted: &'a str,
    correct: Option<bool>,
    p_predicted: f32,
    p_true: Option<f32>,
    loss: Option<f32>,
    /// `name:probability` pairs, most probable first, `;`-separated.
    top: String,
    entropy: f64,
    gini: f64,
    iou_top20: Option<f64>,
    pointing_hit: Option<bool>,
    energy_in_mask: Option<f64>,
    npy: &'a str,
}

impl<'a> CsvRow<'a> {
    /// `record` with the names of `classes`.
    pub fn new(record: &'a Record, classes: &'a [String]) -> Self {
        let top = record
            .top
            .iter()
            .map(|&(c, p)| format!("{}:{p:.4}", classes[c]))
            .collect::<Vec<_>>()
            .join(";");
        Self {
            index: record.index,
            path: &record.path,
            label: record.label.map(|l| classes[l].as_str()),
            predicted: &classes[record.predicted],
            correct: record.label.map(|l| l == record.predicted),
            p_predicted: record.p_predicted,
            p_true: record.p_true,
            loss: record.loss,
            top,
            entropy: record.map.entropy,
            gini: record.map.gini,
            iou_top20: record.map.iou_top20,
            pointing_hit: record.map.pointing_hit,
            energy_in_mask: record.map.energy_in_mask,
            npy: &record.npy,
        }
    }
}
