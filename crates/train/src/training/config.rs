//! What a training run does, as plain values (the command line builds them, see `cli`).

use std::path::PathBuf;

use super::optim::{OptimizerKind, Schedule};
use super::recipe::Recipe;
use crate::data::DataConfig;
use crate::monitor::MonitorConfig;
use crate::run_dir::OutputConfig;

/// A whole training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// The dataset.
    pub data: DataConfig,
    /// Epochs, batches, optimizer and schedule.
    pub optimization: OptimizationConfig,
    /// The network and what of it trains.
    pub model: ModelConfig,
    /// Where the run goes.
    pub output: OutputConfig,
    /// The per-epoch monitor.
    pub monitor: MonitorConfig,
    /// LibTorch device: `cpu`, `cuda` or `cuda:N`.
    pub device: String,
    /// Seed of initialization, splitting, shuffling and augmentation.
    pub seed: u64,
}

/// How the model is optimized.
#[derive(Clone, Debug)]
pub struct OptimizationConfig {
    /// Training epochs.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate (the classifier's).
    pub lr: f64,
    /// Epochs of linear warm-up before the schedule.
    pub warmup_epochs: usize,
    /// The backbone's learning rate as a share of the classifier's.
    pub backbone_lr_factor: f64,
    /// The defaults the flags left in place came from.
    pub recipe: &'static Recipe,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// The learning-rate schedule.
    pub schedule: Schedule,
    /// L2 weight decay (0 = none).
    pub weight_decay: f64,
}

/// The network and what of it trains.
#[derive(Clone, Debug)]
pub struct ModelConfig {
    /// torchvision's name of a new network's architecture (a checkpoint fixes its own).
    pub arch: String,
    /// Width multiplier of a new network (a checkpoint fixes its own); `None`: the
    /// architecture's default.
    pub width_mult: Option<f64>,
    /// A torchvision checkpoint whose backbone starts the run.
    pub weights: Option<PathBuf>,
    /// Dropout probability before the classifier while training.
    pub dropout: f64,
    /// Train only the classifier.
    pub freeze_features: bool,
    /// With a frozen backbone and no augmentation, compute each image's features once.
    pub feature_cache: bool,
}

impl OptimizationConfig {
    /// One line saying how the learning rate goes and where its values came from.
    pub fn describe(&self) -> String {
        let rates = if self.backbone_lr_factor == 1.0 {
            format!("peak {:.1e}", self.lr)
        } else {
            format!(
                "peak {:.1e} for the classifier, {:.1e} for the backbone",
                self.lr,
                self.lr * self.backbone_lr_factor
            )
        };
        let warmup = match self.warmup_epochs {
            0 => "no warm-up".to_owned(),
            1 => "1 warm-up epoch".to_owned(),
            n => format!("{n} warm-up epochs"),
        };
        let after = match self.schedule {
            Schedule::Cosine => "then cosine to 0",
            Schedule::Constant => "then constant",
        };
        format!(
            "learning rate: {:?}, {rates}, {warmup}, {after} (defaults for {}; --lr, --warmup-epochs and --backbone-lr-factor change them)",
            self.optimizer, self.recipe.name
        )
    }
}
