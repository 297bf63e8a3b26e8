//! Area under the margin (Pleiss et al., NeurIPS 2020): per training image, the mean over
//! epochs of its given label's logit minus the largest other logit, from the logits each
//! training step computes anyway (over the epochs from the first that answers half the training
//! images right: before, every margin is near zero). A correctly labelled image's margin grows
//! as the model learns its class; a mislabelled one's stays below zero until the model
//! memorizes it.

use serde::{Deserialize, Serialize};

/// Images whose area under the margin is below this are suspects: since it learned, the model
/// has preferred another class to the given label by this many logits on average.
///
/// Pleiss et al. place the threshold with extra "threshold samples" trained into a fake class,
/// which would change the classifier the user trains. On eight runs with one label in ten
/// flipped (BENCHMARKS.md, "Wrong labels, duplicates and calibration"), 0 also flagged the hard
/// right labels of models still learning (precision 0.18 to 0.81) and -1 missed more wrong ones
/// (recall down to 0.21); -0.75 kept precision at 0.79 or more in every run, and recall at 0.84
/// or more wherever the model reached 77% validation accuracy. A two-component mixture of the
/// areas and Otsu's split failed on one CPU setting of the same run (precision 0.52).
pub const THRESHOLD: f64 = -0.75;

/// The margins of one epoch, per training image (`None` where the epoch did not reach it).
#[derive(Debug, Default)]
pub struct EpochMargins(pub Vec<Option<Margin>>);

/// One image's margin in one step.
#[derive(Clone, Copy, Debug)]
pub struct Margin {
    /// The given label's logit minus the largest other logit.
    pub value: f32,
    /// The class of the largest other logit.
    pub other: usize,
}

impl Margin {
    /// The margin of `logits` for `label`.
    pub fn new(logits: &[f32], label: usize) -> Self {
        let (other, largest) = (logits.iter().enumerate())
            .filter(|&(k, _)| k != label)
            .fold((0, f32::NEG_INFINITY), |best, (k, &v)| {
                if v > best.1 { (k, v) } else { best }
            });
        Self {
            value: logits[label] - largest,
            other,
        }
    }
}

/// The running sums behind every training image's area under the margin, kept with the run's
/// history so that `--resume` continues them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Margins {
    /// Sum of the image's margins over the epochs that saw it.
    pub sums: Vec<f64>,
    /// Epochs that saw the image.
    pub counts: Vec<u32>,
    /// The class of the largest other logit when the image was last seen: the suggested class.
    pub other: Vec<u32>,
}

impl Margins {
    /// Adds an epoch's margins.
    pub fn add(&mut self, epoch: &EpochMargins) {
        let n = epoch.0.len();
        if self.sums.len() != n {
            *self = Self {
                sums: vec![0.0; n],
                counts: vec![0; n],
                other: vec![0; n],
            };
        }
        for (i, margin) in epoch.0.iter().enumerate() {
            if let Some(margin) = margin {
                self.sums[i] += f64::from(margin.value);
                self.counts[i] += 1;
                self.other[i] = margin.other as u32;
            }
        }
    }

    /// Image `i`'s area under the margin (`None` before any epoch saw it).
    pub fn aum(&self, i: usize) -> Option<f64> {
        let count = *self.counts.get(i)?;
        (count > 0).then(|| self.sums[i] / f64::from(count))
    }

    /// The images whose area under the margin is below [`THRESHOLD`], lowest first.
    pub fn suspects(&self) -> Vec<usize> {
        let mut found: Vec<(usize, f64)> = (0..self.sums.len())
            .filter_map(|i| Some((i, self.aum(i)?)))
            .filter(|&(_, aum)| aum < THRESHOLD)
            .collect();
        found.sort_by(|a, b| a.1.total_cmp(&b.1));
        found.into_iter().map(|(i, _)| i).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_is_the_mean_margin_over_the_epochs_that_saw_an_image() {
        let margin = Margin::new(&[1.0, 3.0, 2.5], 0);
        assert_eq!((margin.value, margin.other), (-2.0, 1));
        let mut margins = Margins::default();
        let epoch = |a: f32, b: Option<f32>| {
            EpochMargins(vec![
                Some(Margin { value: a, other: 1 }),
                b.map(|value| Margin { value, other: 2 }),
            ])
        };
        margins.add(&epoch(-1.0, Some(2.0)));
        margins.add(&epoch(-3.0, None));
        assert_eq!(margins.aum(0), Some(-2.0));
        assert_eq!(margins.aum(1), Some(2.0), "the unseen epoch does not count");
        assert_eq!(margins.suspects(), [0]);
        assert_eq!(margins.other[0], 1);
    }
}
