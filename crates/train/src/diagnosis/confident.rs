//! Confident learning (Northcutt et al. 2021), as cleanlab's `filter.find_label_issues` runs it
//! with its defaults (`filter_by="prune_by_noise_rate"`, `frac_noise=1`,
//! `min_examples_per_class=1`), ranked by self-confidence as `order_label_issues` ranks them.

/// cleanlab's tolerance when comparing probabilities with thresholds.
const TOLERANCE: f64 = 1e-6;

/// The images whose given label confident learning doubts, most doubtful first (lowest
/// probability of the given label). `probabilities[i]` are image `i`'s class probabilities,
/// `labels[i]` its given class.
pub fn label_issues(probabilities: &[Vec<f32>], labels: &[usize]) -> Vec<usize> {
    let classes = probabilities.first().map_or(0, Vec::len);
    if classes < 2 {
        return Vec::new();
    }
    let p = |i: usize, k: usize| f64::from(probabilities[i][k]);
    let mut counts = vec![0usize; classes];
    for &l in labels {
        counts[l] += 1;
    }
    let joint = confident_joint(probabilities, labels, &counts);
    let prune = keep_one_per_class(transpose(&joint));
    let mut issue = vec![false; labels.len()];
    for given in 0..classes {
        let members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == given).collect();
        if members.len() <= 1 {
            continue;
        }
        for (other, row) in prune.iter().enumerate() {
            let remove = row[given];
            if other == given || remove == 0 {
                continue;
            }
            // The `remove` images of the class most likely `other` instead.
            let mut ranked = members.clone();
            ranked.sort_by(|&a, &b| {
                let margin = |i: usize| p(i, other) - p(i, given);
                margin(b).total_cmp(&margin(a))
            });
            for &i in ranked.iter().take(remove as usize) {
                issue[i] = true;
            }
        }
    }
    // An image the model answers with its given label is not an issue.
    let mut found: Vec<usize> = (0..labels.len())
        .filter(|&i| {
            issue[i] && predicted_with_tolerance(&probabilities[i], labels[i]) != labels[i]
        })
        .collect();
    found.sort_by(|&a, &b| p(a, labels[a]).total_cmp(&p(b, labels[b])));
    found
}

/// The calibrated confident joint `C[given][guessed]`: each image counted under its given
/// label and the class it confidently belongs to (at or above that class's mean probability
/// among its own members), rescaled to the label counts and rounded keeping row totals.
fn confident_joint(
    probabilities: &[Vec<f32>],
    labels: &[usize],
    counts: &[usize],
) -> Vec<Vec<i64>> {
    let classes = counts.len();
    let thresholds: Vec<f64> = (0..classes)
        .map(|k| {
            if counts[k] == 0 {
                return 2.0;
            }
            let sum: f64 = (0..labels.len())
                .filter(|&i| labels[i] == k)
                .map(|i| f64::from(probabilities[i][k]))
                .sum();
            (sum / counts[k] as f64).max(2.0 * TOLERANCE)
        })
        .collect();
    let mut joint = vec![vec![0i64; classes]; classes];
    for (row, &given) in probabilities.iter().zip(labels) {
        let confident: Vec<usize> = (0..classes)
            .filter(|&k| f64::from(row[k]) >= thresholds[k] - TOLERANCE)
            .collect();
        let guess = match confident.as_slice() {
            [] => continue,
            [only] => *only,
            _ => argmax(row),
        };
        joint[given][guess] += 1;
    }
    for (k, row) in joint.iter_mut().enumerate() {
        row[k] = row[k].max(1);
    }
    let total = labels.len() as f64;
    let scaled: Vec<Vec<f64>> = joint
        .iter()
        .zip(counts)
        .map(|(row, &count)| {
            let sum = row.iter().sum::<i64>().max(1) as f64;
            row.iter().map(|&c| c as f64 / sum * count as f64).collect()
        })
        .collect();
    let sum: f64 = scaled.iter().flatten().sum();
    scaled
        .iter()
        .map(|row| {
            let row: Vec<f64> = row.iter().map(|v| v / sum.max(1e-100) * total).collect();
            round_keeping_sum(&row)
        })
        .collect()
}

/// cleanlab's `_keep_at_least_n_per_class` with `n = 1` on the prune-count matrix
/// `P[guessed][given]`: at least one image of each given class stays, taken evenly from the
/// class's other cells.
fn keep_one_per_class(mut prune: Vec<Vec<i64>>) -> Vec<Vec<i64>> {
    let classes = prune.len();
    for col in 0..classes {
        let diagonal = prune[col][col];
        let raised = diagonal.max(1);
        let nonzero = (0..classes).filter(|&r| prune[r][col] != 0).count();
        let share = (raised - diagonal) as f64 / (nonzero as f64 - 1.0).max(1.0);
        for (row, cells) in prune.iter_mut().enumerate() {
            cells[col] = if row == col {
                raised
            } else {
                // Truncated toward zero, as cleanlab's `astype(int)`.
                (cells[col] as f64 - share).max(0.0) as i64
            };
        }
    }
    prune
}

/// cleanlab's `round_preserving_sum`: rounds half to even, then moves the difference to the
/// sum's rounding onto the values with the largest (or smallest) remainders.
fn round_keeping_sum(values: &[f64]) -> Vec<i64> {
    let mut ints: Vec<f64> = values.iter().map(|v| v.round_ties_even()).collect();
    let target = values.iter().sum::<f64>().round_ties_even();
    loop {
        let sum = ints.iter().sum::<f64>().round_ties_even();
        let diff = (target - sum).round_ties_even();
        if diff.abs() <= TOLERANCE {
            break;
        }
        let step = diff.signum();
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| (values[a] - ints[a]).total_cmp(&(values[b] - ints[b])));
        if step > 0.0 {
            order.reverse();
        }
        for &i in order.iter().take((diff.abs() as usize).min(values.len())) {
            ints[i] += step;
        }
    }
    ints.into_iter().map(|v| v as i64).collect()
}

fn transpose(matrix: &[Vec<i64>]) -> Vec<Vec<i64>> {
    (0..matrix.len())
        .map(|c| matrix.iter().map(|row| row[c]).collect())
        .collect()
}

/// The first class of highest probability.
fn argmax(row: &[f32]) -> usize {
    (0..row.len()).fold(0, |best, k| if row[k] > row[best] { k } else { best })
}

/// The prediction with the given label's probability raised by cleanlab's tolerance, so that
/// a tie goes to the label.
fn predicted_with_tolerance(row: &[f32], label: usize) -> usize {
    let raised = |k: usize| f64::from(row[k]) + if k == label { TOLERANCE } else { 0.0 };
    (0..row.len()).fold(0, |best, k| if raised(k) > raised(best) { k } else { best })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_confident_answer_against_the_label_is_an_issue() {
        // Three classes of four images; image 2 is labelled 0 but looks like class 1.
        let row = |k: usize, p: f32| {
            let mut r = vec![(1.0 - p) / 2.0; 3];
            r[k] = p;
            r
        };
        let mut probabilities: Vec<Vec<f32>> = (0..12).map(|i| row(i / 4, 0.9)).collect();
        probabilities[2] = row(1, 0.95);
        probabilities[7] = row(1, 0.5); // labelled 1, weakly: not an issue
        let labels: Vec<usize> = (0..12).map(|i| i / 4).collect();
        assert_eq!(label_issues(&probabilities, &labels), [2]);
    }

    #[test]
    fn rounding_keeps_the_sum() {
        let rounded = round_keeping_sum(&[0.4, 0.4, 0.4, 1.8]);
        assert_eq!(rounded.iter().sum::<i64>(), 3);
        assert_eq!(rounded[3], 2);
        assert_eq!(round_keeping_sum(&[2.5, 0.5]).iter().sum::<i64>(), 3);
    }
}
