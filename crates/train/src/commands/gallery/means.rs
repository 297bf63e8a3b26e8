//! Per-class mean heatmaps: where the model looks for a class, over all its images.

use crate::browser::MAP_SIDE;

/// Running sums of small maps per class.
pub struct MeanMaps {
    sums: Vec<Vec<f64>>,
    counts: Vec<usize>,
}

impl MeanMaps {
    /// Empty sums for `classes` classes.
    pub fn new(classes: usize) -> Self {
        let cells = (MAP_SIDE * MAP_SIDE) as usize;
        Self {
            sums: vec![vec![0.0; cells]; classes],
            counts: vec![0; classes],
        }
    }

    /// Adds a `MAP_SIDE²` map to `class`.
    pub fn add(&mut self, class: usize, map: &[f32]) {
        for (sum, &v) in self.sums[class].iter_mut().zip(map) {
            *sum += f64::from(v);
        }
        self.counts[class] += 1;
    }

    /// Maps added to `class`.
    pub fn count(&self, class: usize) -> usize {
        self.counts[class]
    }

    /// The mean map of `class`, min-max scaled to `[0, 1]`; `None` without maps.
    pub fn mean(&self, class: usize) -> Option<Vec<f32>> {
        (self.counts[class] > 0).then(|| {
            let sums = &self.sums[class];
            let min = sums.iter().copied().fold(f64::INFINITY, f64::min);
            let max = sums.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            sums.iter()
                .map(|s| ((s - min) / (max - min).max(1e-12)) as f32)
                .collect()
        })
    }
}
