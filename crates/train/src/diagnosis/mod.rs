//! What an epoch's mistakes are made of beside the model's own errors: labels that look wrong
//! ([`confident`] on validation, [`margins`] on training), images shared between the splits
//! ([`duplicates`]), and confidences that overstate accuracy ([`calibration`]).

pub mod calibration;
pub mod confident;
pub mod duplicates;
pub mod margins;

use std::path::Path;

use serde::Serialize;

use crate::data::Data;
use crate::evaluation::Evaluation;
use crate::run_dir::History;

pub use calibration::Calibration;
use margins::Margins;

/// The top-1 calibration of `evaluation`'s answers.
pub fn calibration(evaluation: &Evaluation) -> Calibration {
    let answers = (evaluation.probabilities.iter())
        .zip(&evaluation.predictions)
        .zip(&evaluation.labels);
    Calibration::new(answers.map(|((p, &predicted), &label)| (p[predicted], predicted == label)))
}

/// An image whose given label looks wrong, as `metrics.json` and `label_issues.json` list it.
#[derive(Clone, Debug, Serialize)]
pub struct LabelIssue {
    /// `train` or `val`.
    pub split: &'static str,
    /// Index in the split (validation order, or the training split's file order).
    pub index: usize,
    /// The file, relative to its split's folder.
    pub path: String,
    /// The class its folder gives it.
    pub given: String,
    /// The class the model gives it.
    pub suggested: String,
    /// How likely the given label is, low first: the probability of the given class
    /// (validation) or the area under the margin (training).
    pub score: f64,
    /// The first epoch of the unbroken run of epochs up to this one in which the model answered
    /// the suggested class (validation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_since: Option<usize>,
}

/// The validation images confident learning flags in `evaluation`, most doubtful first, each
/// with the epoch since which the model has answered its suggested class (`history` holds the
/// epochs before `epoch`).
pub fn validation_label_issues(
    evaluation: &Evaluation,
    data: &Data,
    history: &History,
    epoch: usize,
) -> Vec<LabelIssue> {
    confident::label_issues(&evaluation.probabilities, &evaluation.labels)
        .into_iter()
        .map(|i| {
            let suggested = evaluation.predictions[i];
            let answered = |record: &crate::run_dir::EpochRecord| {
                (record.misclassified.iter().zip(&record.misclassified_as))
                    .any(|(&m, &p)| m == i && p == suggested)
            };
            let unbroken = history
                .epochs
                .iter()
                .rev()
                .take_while(|r| answered(r))
                .count();
            let (given, p) = (evaluation.labels[i], &evaluation.probabilities[i]);
            LabelIssue {
                split: "val",
                index: i,
                path: relative_path(&data.val.item(i).path, &data.root, "val"),
                given: data.classes[given].clone(),
                suggested: data.classes[suggested].clone(),
                score: f64::from(p[given]),
                suggested_since: Some(epoch - unbroken),
            }
        })
        .collect()
}

/// `path` relative to the folder of its split (`root/<split>`), or to `root` where the split
/// has no folder of its own.
pub fn relative_path(path: &Path, root: &Path, split: &str) -> String {
    let relative = (path.strip_prefix(root.join(split)))
        .or_else(|_| path.strip_prefix(root))
        .unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

/// The training images whose area under the margin is below [`margins::THRESHOLD`], lowest
/// first, suggested as the class of their largest other logit when last seen.
pub fn training_label_issues(margins: &Margins, data: &Data) -> Vec<LabelIssue> {
    margins
        .suspects()
        .into_iter()
        .map(|i| {
            let item = data.train.item(i);
            LabelIssue {
                split: "train",
                index: i,
                path: relative_path(&item.path, &data.root, "train"),
                given: data.classes[item.label].clone(),
                suggested: data.classes[margins.other[i] as usize].clone(),
                score: margins.aum(i).unwrap_or_default(),
                suggested_since: None,
            }
        })
        .collect()
}
