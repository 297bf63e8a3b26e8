//! Everything before the first epoch: device, data, run folders, model and optimizer.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::module::Module;
use burn::nn::DropoutConfig;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use mobilenetv2::checkpoint::{self, LoadOptions, Metadata};
use mobilenetv2::{MobileNetV2, MobileNetV2Config};

use super::optim;
use crate::cli::TrainArgs;
use crate::data::{self, Data, synthetic};
use crate::progress::bar;
use crate::run::{History, Run};

/// Where the default dataset is generated.
pub const DEFAULT_DATASET: &str = "datasets/textures";

/// The state a run starts (or resumes) from.
pub struct Setup {
    /// LibTorch device (plain; training uses its autodiff decorator).
    pub device: Device,
    /// The decoded dataset.
    pub data: Data,
    /// The run's folders.
    pub run: Run,
    /// The model on the autodiff device, in training mode.
    pub model: MobileNetV2,
    /// The optimizer (with its state when resuming).
    pub optimizer: ModuleOptimizer,
    /// Completed epochs.
    pub history: History,
    /// Metadata stored with every checkpoint.
    pub metadata: Metadata,
}

/// Prepares data, run folders, model and optimizer from the flags.
pub fn prepare(args: &TrainArgs) -> anyhow::Result<Setup> {
    if args.image_size < 32 || !args.image_size.is_multiple_of(32) {
        bail!(
            "--image-size must be a positive multiple of 32 (MobileNetV2 downsamples by 32), got {}",
            args.image_size
        );
    }
    if args.batch_size == 0 || args.epochs == 0 {
        bail!("--batch-size and --epochs must be at least 1");
    }
    let device = crate::device::parse(&args.device)?;
    println!(
        "{} (a run repeats exactly for its --seed on the same CPU kind and thread count)",
        crate::device::describe(&args.device)
    );
    let root = dataset_root(args)?;
    let scan = data::scan(&root, args.val_split, args.seed)?;
    if let Some(n) = args.num_classes
        && n != scan.classes.len()
    {
        bail!(
            "--num-classes {n} does not match the {} class folders found in {}: {}",
            scan.classes.len(),
            root.display(),
            scan.classes.join(", ")
        );
    }
    let run = run_folders(args, &root)?;
    let resume_meta = if args.resume {
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
    let image_size = resume_meta
        .as_ref()
        .map_or(args.image_size, |m| m.image_size);
    let data = data::load(root, scan, image_size)?;

    let autodiff = device.clone().autodiff();
    device.seed(args.seed);
    let (model, optimizer, history, width_mult) = match &resume_meta {
        Some(meta) => {
            let loaded = checkpoint::load(&run.last(), &LoadOptions::default(), &device)?;
            let optimizer = optim::optimizer(args)
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
            (loaded.model, optimizer, history, meta.width_mult)
        }
        None => {
            let (model, width) = initial_model(args, data.classes.len(), &device)?;
            (model, optim::optimizer(args), History::default(), width)
        }
    };
    let MobileNetV2 {
        features,
        classifier: (_, linear),
    } = model.to_device(&autodiff).train();
    let model = MobileNetV2 {
        features: if args.freeze_features {
            features.freeze()
        } else {
            features
        },
        classifier: (DropoutConfig::new(args.dropout).init(), linear),
    };
    let metadata = Metadata {
        class_names: data.classes.clone(),
        width_mult,
        image_size,
        normalization: data.normalization.clone(),
        epoch: history.epochs.len(),
        val_accuracy: None,
        parameters: model.num_params(),
    };
    std::fs::create_dir_all(&run.checkpoints)?;
    let names: serde_json::Map<String, serde_json::Value> = data
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| (i.to_string(), c.clone().into()))
        .collect();
    mobilenetv2::atomic::write_bytes(
        &run.checkpoints.join("class_indices.json"),
        &serde_json::to_vec_pretty(&names).context("JSON encoding")?,
    )?;
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

/// `--data`, or the default dataset, generated when missing.
fn dataset_root(args: &TrainArgs) -> anyhow::Result<PathBuf> {
    if let Some(root) = &args.data {
        return Ok(root.clone());
    }
    let root = PathBuf::from(DEFAULT_DATASET);
    if !synthetic::is_complete(&root) {
        let progress = bar(0, "generate");
        progress.set_message(format!("default dataset into {}", root.display()));
        synthetic::generate(&root, synthetic::Spec::default(), &progress)?;
        progress.finish_and_clear();
        println!(
            "generated the default textures dataset in {}",
            root.display()
        );
    }
    Ok(root)
}

/// The run's name and folders: a new run never reuses an old run's folders.
fn run_folders(args: &TrainArgs, root: &Path) -> anyhow::Result<Run> {
    let base = match &args.run {
        Some(name) => name.clone(),
        None => root
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "run".to_owned()),
    };
    let folders = |name: &str| Run {
        name: name.to_owned(),
        checkpoints: args.checkpoints.join(name),
        reports: args.reports.join(name),
    };
    let used = |run: &Run| run.checkpoints.exists() || run.reports.exists();
    let candidates = std::iter::once(base.clone()).chain((2..).map(|i| format!("{base}-{i}")));
    if args.resume {
        let existing: Vec<Run> = candidates.map(|n| folders(&n)).take_while(used).collect();
        let run = existing
            .into_iter()
            .rev()
            .find(|r| r.last().is_file())
            .with_context(|| {
                format!(
                    "nothing to resume: no {} checkpoint of run '{base}'; drop --resume to start a new run",
                    args.checkpoints.join(&base).join("last.bpk").display()
                )
            })?;
        return Ok(run);
    }
    let run = candidates
        .map(|n| folders(&n))
        .find(|r| !used(r))
        .expect("unbounded names");
    if run.name != base {
        println!(
            "run '{base}' exists; starting run '{}' (pass --resume to continue '{base}')",
            run.name
        );
    }
    Ok(run)
}

/// A fresh model, or one with a torchvision backbone from `--weights`, and its width.
fn initial_model(
    args: &TrainArgs,
    num_classes: usize,
    device: &Device,
) -> anyhow::Result<(MobileNetV2, f64)> {
    match &args.weights {
        Some(path) => {
            let options = LoadOptions {
                num_classes: Some(num_classes),
                backbone_only: true,
                ..Default::default()
            };
            let loaded = checkpoint::load(path, &options, device)?;
            println!(
                "loaded the backbone of {} ({}, {} classes); the classifier is new, for {num_classes} classes",
                path.display(),
                loaded.info.format.describe(),
                loaded.info.num_classes
            );
            Ok((loaded.model, loaded.info.width_mult))
        }
        None => {
            let config = MobileNetV2Config::new(num_classes).with_width_mult(args.width_mult);
            Ok((config.init(device), args.width_mult))
        }
    }
}
