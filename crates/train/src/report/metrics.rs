//! Per-class scores from a confusion matrix.

use serde::Serialize;

/// Precision, recall and F1 of one class.
#[derive(Clone, Debug, Serialize)]
pub struct ClassScores {
    /// Class name.
    pub name: String,
    /// Of the samples predicted as this class, the share that are.
    pub precision: f64,
    /// Of the samples of this class, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Samples of this class.
    pub support: usize,
}

/// Per-class scores from a confusion matrix.
pub fn per_class(confusion: &[Vec<usize>], names: &[String]) -> Vec<ClassScores> {
    (0..confusion.len())
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = confusion.iter().map(|row| row[c]).sum();
            let support: usize = confusion[c].iter().sum();
            let ratio = |a: f64, b: usize| if b == 0 { 0.0 } else { a / b as f64 };
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassScores {
                name: names[c].clone(),
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect()
}

/// The off-diagonal cells with the most samples: `(true, predicted, count)`.
pub fn most_confused(confusion: &[Vec<usize>], top: usize) -> Vec<(usize, usize, usize)> {
    let mut pairs: Vec<(usize, usize, usize)> = confusion
        .iter()
        .enumerate()
        .flat_map(|(t, row)| row.iter().enumerate().map(move |(p, &n)| (t, p, n)))
        .filter(|&(t, p, n)| t != p && n > 0)
        .collect();
    pairs.sort_by_key(|&(_, _, n)| std::cmp::Reverse(n));
    pairs.truncate(top);
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_and_most_confused_pairs_from_a_confusion_matrix() {
        let confusion = [vec![3, 1, 0], vec![0, 0, 0], vec![2, 0, 2]];
        let names: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        let scores = per_class(&confusion, &names);
        // a: 3 of 5 predicted a are a; 3 of its 4 found.
        assert_eq!((scores[0].precision, scores[0].recall), (0.6, 0.75));
        assert_eq!(
            (scores[1].f1, scores[1].support),
            (0.0, 0),
            "no sample, no NaN"
        );
        assert_eq!(most_confused(&confusion, 5), [(2, 0, 2), (0, 1, 1)]);
    }
}
