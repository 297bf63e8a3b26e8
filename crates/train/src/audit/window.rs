//! What the audit keeps of each class between epochs: its most recent right answers and their
//! measurements, and where in the class's candidates the next search starts.

use std::collections::VecDeque;

use cam::metrics::ObjectReliance;

use crate::data::Sample;

/// One audited right answer.
pub struct Measurement {
    /// Training index.
    pub index: usize,
    /// The training epoch it was measured in (`None` for an audit outside training).
    pub epoch: Option<usize>,
    /// The decoded sample.
    pub sample: Sample,
    /// Its Grad-CAM map for its class, the image's size.
    pub map: Vec<f32>,
    /// The object tests (masks).
    pub object: Option<ObjectTest>,
    /// Relative confidence drops with a patch hidden at each position, and the positions'
    /// `[rows, cols]` (no masks).
    pub drops: Option<(Vec<f32>, [usize; 2])>,
}

/// What an object mask tells of one right answer.
pub struct ObjectTest {
    /// The probabilities with only the object kept and with it hidden.
    pub reliance: ObjectReliance,
    /// Share of the Grad-CAM map's mass on the object.
    pub on_object: f64,
    /// Share of the image the object covers.
    pub area: f64,
}

/// One class's right answers under audit, oldest first, at most `capacity`.
pub struct ClassWindow {
    /// Where the next search starts among the class's candidates.
    pub cursor: usize,
    measurements: VecDeque<Measurement>,
    capacity: usize,
}

impl ClassWindow {
    /// An empty window of `capacity` right answers.
    pub fn new(capacity: usize) -> Self {
        Self {
            cursor: 0,
            measurements: VecDeque::new(),
            capacity,
        }
    }

    /// Adds this step's right answers (replacing older measurements of the same images); the
    /// oldest leave beyond capacity.
    pub fn push(&mut self, fresh: Vec<Measurement>) {
        for m in fresh {
            self.measurements.retain(|old| old.index != m.index);
            self.measurements.push_back(m);
        }
        while self.measurements.len() > self.capacity {
            self.measurements.pop_front();
        }
    }

    /// The measurements held, oldest first.
    pub fn held(&self) -> Vec<&Measurement> {
        self.measurements.iter().collect()
    }

    /// The first and last epoch of the measurements held.
    pub fn epochs(&self) -> Option<[usize; 2]> {
        let first = self.measurements.iter().filter_map(|m| m.epoch).min()?;
        let last = self.measurements.iter().filter_map(|m| m.epoch).max()?;
        Some([first, last])
    }
}
