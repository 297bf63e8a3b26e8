//! The optimizer and the learning-rate schedule.

use anyhow::anyhow;
use burn::lr_scheduler::LrSchedulerConfig;
use burn::lr_scheduler::cosine::CosineAnnealingLrSchedulerConfig;
use burn::lr_scheduler::linear::LinearLrSchedulerConfig;
use burn::lr_scheduler::module_lr_scheduler::{ModuleLrScheduler, ModuleLrSchedulerConfig};
use burn::lr_scheduler::sequential::SequentialLrSchedulerConfig;
use burn::module::ParamGroup;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{AdamConfig, ModuleOptimizer, SgdConfig};

use models::{Classifier, Model};

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

/// Share of the peak learning rate the warm-up starts from.
const WARMUP_START: f64 = 0.01;

/// The schedule over all epochs: a linear warm-up from 1% of the peak over the first
/// `warmup_epochs`, then `config.schedule`; the backbone (all but the head) follows the same
/// curve scaled by `backbone_lr_factor`. Advanced past `done_epochs` when resuming.
pub fn schedule(
    config: &OptimizationConfig,
    model: &Model,
    steps_per_epoch: usize,
    done_epochs: usize,
) -> anyhow::Result<ModuleLrScheduler> {
    let steps = config.epochs * steps_per_epoch;
    let warmup = (config.warmup_epochs * steps_per_epoch).min(steps.saturating_sub(1));
    let curve = |peak: f64| -> LrSchedulerConfig {
        let after = match config.schedule {
            Schedule::Cosine => CosineAnnealingLrSchedulerConfig::new(peak, steps - warmup).into(),
            Schedule::Constant => LrSchedulerConfig::Constant(peak),
        };
        if warmup == 0 {
            return after;
        }
        let warm = LinearLrSchedulerConfig::new(peak * WARMUP_START, peak, warmup);
        SequentialLrSchedulerConfig::new(vec![warm.into(), after], vec![warmup]).into()
    };
    let mut policy = ModuleLrSchedulerConfig::new(curve(config.lr));
    if config.backbone_lr_factor != 1.0 {
        let backbone = ParamGroup::from_ids(model.backbone_ids());
        policy = policy.with_group(backbone, curve(config.lr * config.backbone_lr_factor));
    }
    let mut schedule = policy
        .init()
        .map_err(|e| anyhow!("--lr {}: {e}", config.lr))?;
    for _ in 0..done_epochs * steps_per_epoch {
        schedule.step();
    }
    Ok(schedule)
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::prelude::*;
    use models::MobileNetV2Config;

    use super::*;
    use crate::training::Recipe;

    #[test]
    fn the_backbone_follows_the_classifiers_curve_scaled_after_a_linear_warm_up() {
        let device = Device::default();
        let model = Model::MobileNetV2(
            MobileNetV2Config::new(3)
                .with_width_mult(0.25)
                .init(&device),
        );
        let Model::MobileNetV2(network) = &model else {
            unreachable!("a MobileNetV2")
        };
        let config = OptimizationConfig {
            epochs: 4,
            batch_size: 8,
            lr: 1e-3,
            optimizer: OptimizerKind::Adam,
            schedule: Schedule::Cosine,
            weight_decay: 0.0,
            warmup_epochs: 1,
            backbone_lr_factor: 0.1,
            recipe: &Recipe::FINE_TUNING,
        };
        let steps_per_epoch = 10;
        let mut backbone_id = None;
        network.features.visit(&mut IdOf(&mut backbone_id));
        let backbone_id = backbone_id.expect("a backbone parameter");
        let head_id = network.classifier.1.weight.id;
        let mut curve = schedule(&config, &model, steps_per_epoch, 0).unwrap();
        let rates: Vec<(f64, f64)> = (0..config.epochs * steps_per_epoch)
            .map(|_| {
                let rate = curve.step();
                (
                    rate.lr_from_param(head_id, None),
                    rate.lr_from_param(backbone_id, None),
                )
            })
            .collect();
        for (head, backbone) in &rates {
            assert!((backbone - 0.1 * head).abs() < 1e-12, "{head} {backbone}");
        }
        assert!(
            rates[0].0 < 1.2e-4,
            "the warm-up starts near 1%: {}",
            rates[0].0
        );
        let peak = rates.iter().map(|r| r.0).fold(0.0, f64::max);
        assert!((peak - 1e-3).abs() < 1e-9, "peak {peak}");
        let at_peak = rates.iter().position(|r| r.0 == peak).unwrap();
        assert!(
            (9..=11).contains(&at_peak),
            "the peak ends the warm-up epoch: step {at_peak}"
        );
        assert!(rates.last().unwrap().0 < 1e-5, "cosine ends near 0");
        // Resuming after an epoch continues the same curve.
        let mut resumed = schedule(&config, &model, steps_per_epoch, 1).unwrap();
        assert_eq!(resumed.step().lr_from_param(head_id, None), rates[10].0);
    }

    /// Keeps the first parameter id a module visit meets.
    struct IdOf<'a>(&'a mut Option<burn::module::ParamId>);

    impl burn::module::ModuleVisitor for IdOf<'_> {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<D>>) {
            self.0.get_or_insert(param.id);
        }
    }
}
