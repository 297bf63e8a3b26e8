//! The heatmaps of an epoch's shown images (true and predicted class, kept from the validation
//! pass) as grid panels and `metrics.json` rows.

use std::path::PathBuf;

use cam::metrics::MapStats;
use cam::render::figure::Panel;
use cam::render::overlay::{DEFAULT_IMAGE_WEIGHT, overlay};
use serde::Serialize;

use super::collect::Kept;
use super::select::Reason;
use crate::data::{Data, Sample};

/// A reported sample, as written to `metrics.json`.
#[derive(Clone, Debug, Serialize)]
pub struct SampleReport {
    /// Index into the validation set.
    pub index: usize,
    /// Source file.
    pub path: PathBuf,
    /// Why it is shown.
    pub reason: Reason,
    /// True class.
    pub label: String,
    /// Predicted class.
    pub predicted: String,
    /// Probability of the true class.
    pub p_true: f32,
    /// Probability of the predicted class.
    pub p_predicted: f32,
    /// Cross-entropy loss.
    pub loss: f32,
    /// Statistics of the true-class map.
    pub true_map: MapStats,
    /// Statistics of the predicted-class map.
    pub predicted_map: MapStats,
    /// The true-class map had no positive evidence.
    pub true_map_empty: bool,
    /// The predicted-class map had no positive evidence.
    pub predicted_map_empty: bool,
}

/// What the shown images' maps give the report.
pub struct Explained {
    /// Per image: the picture, its true-class and its predicted-class overlay.
    pub rows: Vec<Vec<Panel>>,
    /// Per image: its row of `metrics.json`.
    pub samples: Vec<SampleReport>,
    /// Per image: its true-class map, `image_size²` values.
    pub true_maps: Vec<Vec<f32>>,
    /// The decoded images, in selection order.
    pub shown: Vec<Sample>,
}

/// The grid rows and `metrics.json` rows of the shown images, from the maps the
/// validation pass kept.
pub fn explain(kept: Vec<Kept>, data: &Data) -> Explained {
    let name = |c: usize| data.classes[c].as_str();
    let mut explained = Explained {
        rows: Vec::with_capacity(kept.len()),
        samples: Vec::with_capacity(kept.len()),
        true_maps: Vec::with_capacity(kept.len()),
        shown: Vec::with_capacity(kept.len()),
    };
    for k in kept {
        let (sample, index, loss, predicted) = (&k.sample, k.index, k.loss, k.predicted);
        let probabilities = &k.probabilities;
        let tag = match k.reason {
            Reason::Misclassified => "misclassified",
            Reason::Probe => "probe",
        };
        explained.rows.push(vec![
            Panel {
                title: format!("#{index} {}\n{tag}, loss {loss:.2}", sample.short_name()),
                image: sample.image.clone(),
            },
            Panel {
                title: format!(
                    "true: {}\np={:.2}",
                    name(sample.label),
                    probabilities[sample.label]
                ),
                image: overlay(&sample.image, &k.true_map, DEFAULT_IMAGE_WEIGHT),
            },
            Panel {
                title: format!(
                    "pred: {}\np={:.2}",
                    name(predicted),
                    probabilities[predicted]
                ),
                image: overlay(&sample.image, &k.predicted_map, DEFAULT_IMAGE_WEIGHT),
            },
        ]);
        explained.samples.push(SampleReport {
            index,
            path: sample.path.clone(),
            reason: k.reason,
            label: name(sample.label).to_owned(),
            predicted: name(predicted).to_owned(),
            p_true: probabilities[sample.label],
            p_predicted: probabilities[predicted],
            loss,
            true_map: MapStats::new(&k.true_map, sample.mask.as_ref()),
            predicted_map: MapStats::new(&k.predicted_map, sample.mask.as_ref()),
            true_map_empty: k.true_empty,
            predicted_map_empty: k.predicted_empty,
        });
        explained.true_maps.push(k.true_map);
        explained.shown.push(k.sample);
    }
    explained
}
