//! The optimizer and the learning-rate schedule.

use anyhow::anyhow;
use burn::lr_scheduler::constant::ConstantLr;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};

use super::OptimizationConfig;

/// Optimizers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum OptimizerKind {
    /// Adam (β = 0.9, 0.999).
    Adam,
    /// SGD with Nesterov momentum 0.9.
    Sgd,
}

/// Learning-rate schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Schedule {
    /// Cosine annealing from the peak learning rate to 0 over all steps.
    Cosine,
    /// The peak learning rate throughout.
    Constant,
}

/// The optimizer `config` describes.
pub fn optimizer(config: &OptimizationConfig) -> ModuleOptimizer {
    let decay =
        (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
    match config.optimizer {
        OptimizerKind::Adam => AdamConfig::new().with_weight_decay(decay).init(),
        OptimizerKind::Sgd => SgdConfig::new()
            .with_weight_decay(decay)
            .with_momentum(Some(
                MomentumConfig::new()
                    .with_dampening(0.0)
                    .with_nesterov(true),
            ))
            .init(),
    }
}

/// The schedule over all epochs, advanced past `done_epochs` when resuming.
pub fn schedule(
    config: &OptimizationConfig,
    steps_per_epoch: usize,
    done_epochs: usize,
) -> anyhow::Result<ModuleLrScheduler> {
    let mut schedule = match config.schedule {
        Schedule::Cosine => {
            CosineAnnealingLrSchedulerConfig::new(config.lr, config.epochs * steps_per_epoch)
                .init()
                .map_err(|e| anyhow!("--lr {}: {e}", config.lr))?
        }
        Schedule::Constant => ModuleLrScheduler::new(ConstantLr::from(config.lr)),
    };
    for _ in 0..done_epochs * steps_per_epoch {
        schedule.step();
    }
    Ok(schedule)
}
