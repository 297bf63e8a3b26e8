//! Why an image is on an epoch's page, and the fixed probe images shown in every epoch.

use serde::Serialize;

use crate::data::Data;

/// Why a sample is in the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Reason {
    /// Misclassified this epoch.
    Misclassified,
    /// One of the fixed probe samples.
    Probe,
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
}
