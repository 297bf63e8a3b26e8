//! Optimizer and learning-rate schedule from the command line.

use anyhow::anyhow;
use burn::lr_scheduler::constant::ConstantLr;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::ModuleLrScheduler;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};

use crate::cli::{OptimizerKind, Schedule, TrainArgs};

/// The optimizer the flags describe.
pub fn optimizer(args: &TrainArgs) -> ModuleOptimizer {
    let decay = (args.weight_decay > 0.0).then(|| WeightDecayConfig::new(args.weight_decay as f32));
    match args.optimizer {
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
    args: &TrainArgs,
    steps_per_epoch: usize,
    done_epochs: usize,
) -> anyhow::Result<ModuleLrScheduler> {
    let mut schedule = match args.schedule {
        Schedule::Cosine => {
            CosineAnnealingLrSchedulerConfig::new(args.lr, args.epochs * steps_per_epoch)
                .init()
                .map_err(|e| anyhow!("--lr {}: {e}", args.lr))?
        }
        Schedule::Constant => ModuleLrScheduler::new(ConstantLr::from(args.lr)),
    };
    for _ in 0..done_epochs * steps_per_epoch {
        schedule.step();
    }
    Ok(schedule)
}
