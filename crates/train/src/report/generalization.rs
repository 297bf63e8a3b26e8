//! Whether what the model learns carries over to validation at all.

/// An epoch whose training accuracy is high while validation stays near chance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gap {
    /// The epoch.
    pub epoch: usize,
    /// Training accuracy.
    pub train: f64,
    /// Validation accuracy.
    pub val: f64,
    /// Accuracy of guessing: one over the class count.
    pub chance: f64,
}

/// Training accuracy from which a gap is judged.
const MIN_TRAIN: f64 = 0.6;
/// Validation must gain at least this share of training's gain over chance.
const MIN_TRANSFER: f64 = 0.25;

impl Gap {
    /// The gap of an epoch, if validation gained less than a quarter of what training gained
    /// over chance while training reached 60%. Ordinary overfitting (training 99%, validation
    /// 70% of 5 classes) is not one; a model that learned a mark only the training images
    /// have (training 87%, validation 19%) is.
    pub fn find(epoch: usize, train: f64, val: f64, classes: usize) -> Option<Self> {
        let chance = 1.0 / classes.max(1) as f64;
        let gap = train >= MIN_TRAIN && val - chance < MIN_TRANSFER * (train - chance);
        gap.then_some(Self {
            epoch,
            train,
            val,
            chance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_is_learning_that_does_not_transfer_not_ordinary_overfitting() {
        assert!(
            Gap::find(8, 0.87, 0.19, 5).is_some(),
            "the planted-mark run"
        );
        assert!(Gap::find(8, 0.95, 0.30, 5).is_some());
        assert!(
            Gap::find(8, 0.99, 0.70, 5).is_none(),
            "overfitting, but it transfers"
        );
        assert!(
            Gap::find(2, 0.45, 0.20, 5).is_none(),
            "not learned enough to judge"
        );
        assert!(
            Gap::find(8, 0.90, 0.55, 2).is_some(),
            "two classes: 55% is near chance"
        );
    }
}
