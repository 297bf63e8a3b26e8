//! Measuring heatmaps: localization against object masks, faithfulness to the model, and
//! trivial baseline maps to hold them against.

mod baselines;
mod faithfulness;
mod localization;

pub use baselines::{Baseline, baseline_map};
pub use faithfulness::{Faithfulness, PERTURBATION_STEPS, faithfulness};
pub use localization::MapStats;
