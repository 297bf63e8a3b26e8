//! Top-1 calibration: whether a confidence of 0.9 means nine answers in ten are right.

use serde::{Deserialize, Serialize};

/// Equal-width confidence bins of the expected calibration error (Guo et al. 2017).
pub const BINS: usize = 15;

/// How well the top-1 confidences of an epoch's validation answers match their accuracy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Expected calibration error: the mean over images of `|accuracy - confidence|` of their
    /// bin, that is each bin's gap weighted by its share of the images.
    pub ece: f64,
    /// The [`BINS`] bins in order, `(k/15, (k+1)/15]`; empty bins included.
    pub bins: Vec<Bin>,
}

/// One confidence bin of the reliability diagram.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bin {
    /// Images whose top-1 confidence falls in the bin.
    pub count: usize,
    /// Their mean top-1 confidence (0 when empty).
    pub confidence: f64,
    /// The share of them answered right (0 when empty).
    pub accuracy: f64,
}

impl Calibration {
    /// The calibration of answers with top-1 `confidences` that were `right` or not.
    pub fn new(confidences: impl IntoIterator<Item = (f32, bool)>) -> Self {
        let mut sums = vec![(0usize, 0.0f64, 0usize); BINS];
        for (confidence, right) in confidences {
            let confidence = f64::from(confidence);
            // Bin k holds (k/B, (k+1)/B]: the upper edge belongs to the bin below.
            let k = ((confidence * BINS as f64).ceil() as usize).clamp(1, BINS) - 1;
            let (count, sum, hits) = &mut sums[k];
            *count += 1;
            *sum += confidence;
            *hits += usize::from(right);
        }
        let total: usize = sums.iter().map(|s| s.0).sum();
        let bins: Vec<Bin> = sums
            .into_iter()
            .map(|(count, sum, hits)| {
                let mean = |v: f64| if count == 0 { 0.0 } else { v / count as f64 };
                Bin {
                    count,
                    confidence: mean(sum),
                    accuracy: mean(hits as f64),
                }
            })
            .collect();
        let ece = bins
            .iter()
            .map(|b| b.count as f64 * (b.accuracy - b.confidence).abs())
            .sum::<f64>()
            / total.max(1) as f64;
        Self { ece, bins }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_weights_each_bins_gap_by_its_images() {
        // Four answers at 0.95, three right (gap 0.2); one at 0.5, wrong (gap 0.5).
        let answers = [
            (0.95, true),
            (0.95, true),
            (0.95, true),
            (0.95, false),
            (0.5, false),
        ];
        let calibration = Calibration::new(answers);
        assert!((calibration.ece - (4.0 * 0.2 + 0.5) / 5.0).abs() < 1e-6);
        let full: Vec<usize> = calibration.bins.iter().map(|b| b.count).collect();
        assert_eq!(full.iter().sum::<usize>(), 5);
        assert_eq!(full[14], 4);
        assert_eq!(full[7], 1, "0.5 lies in (7/15, 8/15]");
        assert_eq!(
            Calibration::new([(1.0, true)]).ece,
            0.0,
            "certain and right"
        );
    }
}
