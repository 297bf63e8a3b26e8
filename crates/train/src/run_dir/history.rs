//! Per-epoch results, kept across `--resume` and drawn in the run report.

use serde::{Deserialize, Serialize};

use crate::diagnosis::duplicates::Duplicate;
use crate::diagnosis::margins::{EpochMargins, Margins};

/// What an epoch of training measured.
pub struct TrainStats {
    /// Mean loss (non-finite if training diverged; the epoch then stops early).
    pub loss: f64,
    /// Accuracy on the (augmented) training batches.
    pub accuracy: f64,
    /// Throughput.
    pub images_per_second: f64,
    /// Learning rate of the last step.
    pub lr: f64,
    /// Every training image's margin in this epoch.
    pub margins: EpochMargins,
}

/// An epoch's training numbers, each unknown where the trainer did not give it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainNumbers {
    /// Mean training loss.
    #[serde(default)]
    pub train_loss: Option<f64>,
    /// Training accuracy (on augmented images, in training mode).
    #[serde(default)]
    pub train_accuracy: Option<f64>,
    /// Learning rate at the end of the epoch.
    #[serde(default)]
    pub lr: Option<f64>,
    /// Training images per second.
    #[serde(default)]
    pub images_per_second: Option<f64>,
}

impl From<&TrainStats> for TrainNumbers {
    fn from(stats: &TrainStats) -> Self {
        Self {
            train_loss: Some(stats.loss),
            train_accuracy: Some(stats.accuracy),
            lr: Some(stats.lr),
            images_per_second: Some(stats.images_per_second),
        }
    }
}

/// One epoch's numbers.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch.
    pub epoch: usize,
    /// What training measured (unknown for runs trained elsewhere without a metrics file).
    #[serde(flatten)]
    pub train: TrainNumbers,
    /// Mean validation loss.
    pub val_loss: f64,
    /// Validation accuracy.
    pub val_accuracy: f64,
    /// Seconds spent training, validating and reporting.
    pub seconds: [f64; 3],
    /// `confusion[true][predicted]` counts on validation.
    pub confusion: Vec<Vec<usize>>,
    /// Validation sample indices the model got wrong.
    pub misclassified: Vec<usize>,
    /// The class each of `misclassified` was taken for.
    #[serde(default)]
    pub misclassified_as: Vec<usize>,
    /// How well the validation answers' confidences match their accuracy.
    #[serde(default)]
    pub calibration: Option<crate::diagnosis::Calibration>,
    /// Whether this epoch set the best validation accuracy so far.
    pub best: bool,
    /// Mean absolute change of the probe images' true-class maps since the previous epoch.
    #[serde(default)]
    pub attention_drift: Option<f64>,
    /// Where each class's decisions point relative to the object masks (datasets with masks).
    #[serde(default)]
    pub attention: Vec<crate::audit::ClassAttention>,
}

/// All epochs of a run so far.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct History {
    /// Completed epochs in order.
    pub epochs: Vec<EpochRecord>,
    /// Every training image's margins so far (runs camwatch trains).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margins: Option<Margins>,
    /// Near-duplicate images within and across the splits, found once per run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicates: Option<Vec<Duplicate>>,
}

impl History {
    /// Best validation accuracy so far.
    pub fn best_accuracy(&self) -> Option<f64> {
        self.epochs.iter().map(|e| e.val_accuracy).reduce(f64::max)
    }

    /// The one-line summary of the last epoch of a training run.
    pub fn summary_line(&self, epochs: usize) -> String {
        let e = self.epochs.last().expect("at least one epoch");
        let [train, val, report] = e.seconds;
        let number = |v: Option<f64>, format: fn(f64) -> String| v.map_or("?".to_owned(), format);
        format!(
            "epoch {}/{epochs}  train loss {} acc {}  val loss {:.3} acc {:.1}%{}  {} img/s  time {:.1}s + val {:.1}s + report {:.1}s ({:.1}% of epoch)",
            e.epoch,
            number(e.train.train_loss, |v| format!("{v:.3}")),
            number(e.train.train_accuracy, |v| format!("{:.1}%", 100.0 * v)),
            e.val_loss,
            100.0 * e.val_accuracy,
            if e.best { " (best)" } else { "" },
            number(e.train.images_per_second, |v| format!("{v:.0}")),
            train,
            val,
            report,
            100.0 * report / (train + val + report)
        )
    }
}
