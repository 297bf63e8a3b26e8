//! Everything before the first epoch: device, data, run folders, model and optimizer.

use anyhow::{Context, bail};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use models::checkpoint::{self, LoadOptions, Metadata};
use models::{Architecture, Classifier, Model};
use vision::EvalTransform;

use super::{ModelConfig, TrainConfig, optim};
use crate::data::{self, Data};
use crate::run_dir::{History, RunDir};

/// The state a run starts (or resumes) from.
pub struct Setup {
    /// LibTorch device (plain; training uses its autodiff decorator).
    pub device: Device,
    /// The decoded dataset.
    pub data: Data,
    /// The run's folders.
    pub run: RunDir,
    /// The model on the autodiff device, in training mode.
    pub model: Model,
    /// The optimizer (with its state when resuming).
    pub optimizer: ModuleOptimizer,
    /// Completed epochs.
    pub history: History,
    /// Metadata stored with every checkpoint.
    pub metadata: Metadata,
}

/// Prepares data, run folders, model and optimizer as `config` says.
pub fn prepare(config: &TrainConfig) -> anyhow::Result<Setup> {
    let image_size = config.data.image_size;
    if image_size < 32 || !image_size.is_multiple_of(32) {
        bail!(
            "--image-size must be a positive multiple of 32 (the networks downsample by 32), got {image_size}"
        );
    }
    let optimization = &config.optimization;
    if optimization.batch_size == 0 || optimization.epochs == 0 {
        bail!("--batch-size and --epochs must be at least 1");
    }
    let device = crate::device::parse(&config.device)?;
    println!(
        "{} (a run repeats exactly for its --seed on the same CPU kind and thread count)",
        crate::device::describe(&config.device)
    );
    println!("{}", optimization.describe());
    let root = config.data.dataset_root()?;
    let scan = data::scan(
        &root,
        config.data.masks.as_deref(),
        config.data.val_split,
        config.seed,
    )?;
    if let Some(n) = config.data.num_classes
        && n != scan.classes.len()
    {
        bail!(
            "--num-classes {n} does not match the {} class folders found in {}: {}",
            scan.classes.len(),
            root.display(),
            scan.classes.join(", ")
        );
    }
    let run = RunDir::choose(&config.output, &root)?;
    let claim = run.claim_guard();
    let resume_meta = if config.output.resume {
        let meta = checkpoint::inspect(&run.last())?
            .metadata
            .with_context(|| format!("{} is not a camwatch checkpoint", run.last().display()))?;
        if meta.class_names != scan.classes {
            bail!(
                "cannot resume run '{}': it was trained on classes {:?}, the dataset has {:?}",
                run.name,
                meta.class_names,
                scan.classes
            );
        }
        Some(meta)
    } else {
        None
    };
    // A resumed run keeps the transform it was trained with.
    let transform = match &resume_meta {
        Some(meta) => EvalTransform {
            size: meta.image_size,
            resize: meta.resize,
        },
        None => EvalTransform {
            size: image_size,
            resize: config.data.resize,
        },
    };
    let data = data::load(scan, transform, config.data.cache)?;

    let autodiff = device.clone().autodiff();
    device.seed(config.seed);
    let (model, optimizer, history) = match &resume_meta {
        Some(meta) => {
            let loaded = checkpoint::load(&run.last(), &LoadOptions::default(), &device)?;
            let optimizer = optim::optimizer(optimization)
                .load(run.optimizer_file(meta.epoch))
                .with_context(|| {
                    format!("cannot read the optimizer state of run '{}'", run.name)
                })?;
            let mut history: History = serde_json::from_slice(
                &std::fs::read(run.history_file()).context("reading history.json")?,
            )
            .context("history.json is corrupt")?;
            history.epochs.truncate(meta.epoch);
            println!("resuming run '{}' after epoch {}", run.name, meta.epoch);
            (loaded.model, optimizer, history)
        }
        None => {
            let model = initial_model(&config.model, data.classes.len(), &device)?;
            (model, optim::optimizer(optimization), History::default())
        }
    };
    let model = model
        .to_device(&autodiff)
        .train()
        .for_training(config.model.dropout, config.model.freeze_features);
    let architecture = model.architecture();
    let metadata = Metadata {
        class_names: data.classes.clone(),
        arch: architecture.variant().to_owned(),
        width_mult: architecture.width_mult(),
        image_size: transform.size,
        normalization: data.normalization.clone(),
        resize: transform.resize,
        epoch: history.epochs.len(),
        val_accuracy: None,
        parameters: model.trainable_params(),
    };
    std::fs::create_dir_all(&run.checkpoints)?;
    let names: serde_json::Map<String, serde_json::Value> = data
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| (i.to_string(), c.clone().into()))
        .collect();
    atomic_write::write_bytes(
        &run.checkpoints.join("class_indices.json"),
        &serde_json::to_vec_pretty(&names).context("JSON encoding")?,
    )?;
    claim.keep();
    Ok(Setup {
        device,
        data,
        run,
        model,
        optimizer,
        history,
        metadata,
    })
}

/// A fresh model of `--arch`, or one with a torchvision backbone from `--weights`.
fn initial_model(
    config: &ModelConfig,
    num_classes: usize,
    device: &Device,
) -> anyhow::Result<Model> {
    match &config.weights {
        Some(path) => {
            let options = LoadOptions {
                num_classes: Some(num_classes),
                backbone_only: true,
            };
            let loaded = checkpoint::load(path, &options, device)?;
            let variant = loaded.info.architecture.variant();
            if config.arch != models::DEFAULT_ARCH && config.arch.replace('-', "_") != variant {
                anyhow::bail!(
                    "--arch {} but {} holds a {variant}; drop --arch (the checkpoint fixes it) or pass --arch {variant}",
                    config.arch,
                    path.display()
                );
            }
            println!(
                "loaded the backbone of {} ({}, {}, {} classes); the classifier is new, for {num_classes} classes",
                path.display(),
                loaded.info.architecture.describe(),
                loaded.info.format.describe(),
                loaded.info.num_classes
            );
            Ok(loaded.model)
        }
        None => {
            let width = config.width_mult.unwrap_or(match config.arch.as_str() {
                models::DEFAULT_ARCH => 0.5,
                _ => 1.0,
            });
            let architecture = Architecture::parse(&config.arch, num_classes, width)
                .map_err(anyhow::Error::msg)?;
            Ok(architecture.init(device))
        }
    }
}
