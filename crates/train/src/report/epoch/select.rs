//! Which validation images an epoch's report shows.

use serde::Serialize;

use crate::data::Data;
use crate::evaluation::Evaluation;

/// Why a sample is in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Misclassified this epoch.
    Misclassified,
    /// One of the fixed probe samples.
    Probe,
}

/// The `most` misclassified samples with the highest loss, then the probes not among them.
pub fn select(evaluation: &Evaluation, probes: &[usize], most: usize) -> Vec<(usize, Reason)> {
    let mut wrong = evaluation.misclassified();
    wrong.sort_by(|&a, &b| evaluation.losses[b].total_cmp(&evaluation.losses[a]));
    wrong.truncate(most);
    let mut selected: Vec<(usize, Reason)> = wrong
        .into_iter()
        .map(|i| (i, Reason::Misclassified))
        .collect();
    for &i in probes {
        if !selected.iter().any(|(j, _)| *j == i) {
            selected.push((i, Reason::Probe));
        }
    }
    selected
}

/// Fixed probe samples: the first validation image of each class, then the next ones.
pub fn probes(data: &Data, count: usize) -> Vec<usize> {
    let labels: Vec<usize> = data.val.labels().collect();
    probe_indices(&labels, data.classes.len(), count)
}

fn probe_indices(labels: &[usize], classes: usize, count: usize) -> Vec<usize> {
    let mut chosen: Vec<usize> = (0..classes)
        .filter_map(|c| labels.iter().position(|&l| l == c))
        .take(count)
        .collect();
    let rest: Vec<usize> = (0..labels.len())
        .filter(|i| !chosen.contains(i))
        .take(count - chosen.len())
        .collect();
    chosen.extend(rest);
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_take_one_image_per_class_first() {
        assert_eq!(probe_indices(&[0, 0, 1, 1, 2], 3, 4), [0, 2, 4, 1]);
        assert_eq!(probe_indices(&[0, 0, 1, 1, 2], 3, 2), [0, 2]);
    }

    #[test]
    fn mistakes_come_first_by_loss_then_the_other_probes() {
        let evaluation = Evaluation {
            labels: vec![0, 1, 1, 0],
            predictions: vec![1, 1, 0, 1],
            probabilities: Vec::new(),
            losses: vec![0.9, 0.1, 2.0, 1.5],
        };
        let selected = select(&evaluation, &[0, 1], 2);
        assert_eq!(
            selected,
            [
                (2, Reason::Misclassified),
                (3, Reason::Misclassified),
                (0, Reason::Probe),
                (1, Reason::Probe)
            ]
        );
    }
}
