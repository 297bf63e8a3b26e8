//! The training numbers a run trained elsewhere logs beside its checkpoints: Lightning's
//! `metrics.csv` (CSVLogger), or JSON lines (`{"epoch": 3, "train_loss": 0.41, ...}`).
//!
//! Each row may hold some of an epoch's values (Lightning logs steps and epochs in separate
//! rows); the last value of each column in an epoch counts. The training loss is the first of
//! `train_loss_epoch`, `train_loss`, `loss`; the accuracy likewise (`train_acc_epoch`,
//! `train_acc`, `train_accuracy`, `acc`, `accuracy`; percentages are read as such); the
//! learning rate the first column named `lr...`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::run_dir::TrainNumbers;

/// The names a log is found by beside the checkpoints (or one folder up, as Lightning keeps
/// `lightning_logs/version_N/metrics.csv` beside `checkpoints/`).
const NAMES: [&str; 3] = ["metrics.csv", "metrics.jsonl", "metrics.json"];

/// A training log file.
pub struct TrainingLog {
    path: PathBuf,
}

/// Each epoch's last value of each column.
type Epochs = BTreeMap<u64, BTreeMap<String, f64>>;

impl TrainingLog {
    /// `given`, else a log beside `checkpoints` (a folder, or a file's folder) or one up.
    pub fn find(given: Option<&Path>, checkpoints: &Path) -> Option<Self> {
        if let Some(path) = given {
            return Some(Self {
                path: path.to_owned(),
            });
        }
        let folder = if checkpoints.is_dir() {
            checkpoints
        } else {
            checkpoints.parent()?
        };
        let folders = std::iter::once(folder).chain(folder.parent());
        folders
            .flat_map(|f| NAMES.iter().map(move |n| f.join(n)))
            .find(|p| p.is_file())
            .map(|path| Self { path })
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The numbers of the epoch numbered `number` in the log, else (a checkpoint with no number
    /// in its name) of the `order`-th epoch it logs (0-based). Read anew each time: the log
    /// grows while training runs.
    pub fn numbers(&self, number: Option<u64>, order: usize) -> TrainNumbers {
        let epochs = self.read();
        let columns = match number {
            Some(n) => epochs.get(&n),
            None => epochs.values().nth(order),
        };
        let Some(columns) = columns else {
            return TrainNumbers::default();
        };
        let first = |names: &[&str]| names.iter().find_map(|n| columns.get(*n).copied());
        TrainNumbers {
            train_loss: first(&["train_loss_epoch", "train_loss", "loss"]),
            train_accuracy: first(&[
                "train_acc_epoch",
                "train_acc",
                "train_accuracy",
                "acc",
                "accuracy",
            ])
            .map(|a| if a > 1.0 { a / 100.0 } else { a }),
            lr: columns
                .iter()
                .find(|(name, _)| name.starts_with("lr"))
                .map(|(_, &v)| v),
            images_per_second: None,
        }
    }

    fn read(&self) -> Epochs {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Epochs::new();
        };
        let mut epochs = Epochs::new();
        let mut add = |row: BTreeMap<String, f64>| {
            if let Some(&epoch) = row.get("epoch") {
                epochs.entry(epoch as u64).or_default().extend(row);
            }
        };
        if self.path.extension().is_some_and(|e| e == "csv") {
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            let Ok(headers) = reader.headers().cloned() else {
                return epochs;
            };
            for record in reader.records().filter_map(Result::ok) {
                add(headers
                    .iter()
                    .zip(record.iter())
                    .filter_map(|(h, v)| Some((h.to_owned(), v.trim().parse().ok()?)))
                    .collect());
            }
        } else {
            for line in text.lines() {
                if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) {
                    add(map
                        .into_iter()
                        .filter_map(|(k, v)| Some((k, v.as_f64()?)))
                        .collect());
                }
            }
        }
        epochs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lightning_rows_and_json_lines_give_each_epochs_numbers() {
        let dir = tempfile::tempdir().unwrap();
        let csv = dir.path().join("metrics.csv");
        std::fs::write(
            &csv,
            "epoch,step,train_loss_step,train_loss_epoch,train_acc_epoch,val_loss,lr-Adam\n\
             0,9,1.2,,,,0.001\n0,9,,1.1,0.4,,\n0,9,,,,1.0,\n1,19,0.8,,,,0.0005\n1,19,,0.7,0.6,,\n",
        )
        .unwrap();
        let log = TrainingLog::find(None, dir.path()).unwrap();
        let first = log.numbers(Some(0), 0);
        assert_eq!(first.train_loss, Some(1.1));
        assert_eq!(first.train_accuracy, Some(0.4));
        assert_eq!(first.lr, Some(0.001));
        assert_eq!(log.numbers(None, 1).train_loss, Some(0.7));
        assert_eq!(log.numbers(Some(5), 0), TrainNumbers::default());

        let jsonl = dir.path().join("log.jsonl");
        std::fs::write(
            &jsonl,
            "{\"epoch\": 1, \"train_loss\": 0.5, \"train_acc\": 81.0}\nnot json\n",
        )
        .unwrap();
        let log = TrainingLog::find(Some(&jsonl), dir.path()).unwrap();
        let numbers = log.numbers(Some(1), 0);
        assert_eq!(numbers.train_loss, Some(0.5));
        assert_eq!(numbers.train_accuracy, Some(0.81), "a percentage");
    }
}
