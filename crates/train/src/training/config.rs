//! What a training run does, as plain values (the command line builds them, see `cli`).

use std::path::PathBuf;

use super::optim::{OptimizerKind, Schedule};
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
    /// Peak learning rate.
    pub lr: f64,
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
    /// Width multiplier of a new network (a checkpoint fixes its own).
    pub width_mult: f64,
    /// A torchvision checkpoint whose backbone starts the run.
    pub weights: Option<PathBuf>,
    /// Dropout probability before the classifier while training.
    pub dropout: f64,
    /// Train only the classifier.
    pub freeze_features: bool,
    /// With a frozen backbone and no augmentation, compute each image's features once.
    pub feature_cache: bool,
}
