//! `train watch`: the per-epoch heatmap report of a run trained elsewhere. Each checkpoint the
//! training process writes ([`source`]) becomes one epoch of the same report training gives,
//! observed by the same [`Monitor`]; the training numbers come from its log ([`log`]) where
//! there is one.

mod log;
mod source;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use burn::prelude::*;
use models::checkpoint::{self, LoadOptions, Loaded};

use super::classifier::Inputs;
use crate::cli::WatchArgs;
use crate::data::{self, Cache, Data};
use crate::monitor::{Monitor, TrainedEpoch};
use crate::progress::spinner;
use crate::run_dir::{History, OutputConfig, RunDir};
use log::TrainingLog;
use source::{Candidate, Source};

/// Watches `args.checkpoints` and reports each checkpoint as an epoch.
pub fn run(args: &WatchArgs) -> anyhow::Result<()> {
    lower_priority(args.nice);
    let stop = stop_on_ctrl_c()?;
    let device = crate::device::parse(&args.device)?;
    let mut source = Source::new(&args.checkpoints)?;
    let follow = args.follow.then(|| Duration::from_secs_f64(args.poll));
    let (first, loaded) = match next_loaded(&mut source, &device, follow, &stop)? {
        Some(found) => found,
        None if stop.load(Ordering::SeqCst) => return Ok(()),
        None => bail!(
            "no checkpoint in {} loads ({}); pass the folder or file your training script saves to, or --follow to wait for one",
            args.checkpoints.display(),
            source::EXTENSIONS.join(", ")
        ),
    };
    let scan = data::scan_validation(&args.data, args.masks.as_deref())?;
    let inputs = Inputs::decide(&loaded.info, &args.inputs, Some(&scan.classes))?;
    for line in inputs.describe(&loaded.info, &args.inputs) {
        println!("{line}");
    }
    check_classes(&inputs.names, &scan.classes, &args.data)?;
    let mut data = data::load_validation(scan, inputs.transform, Cache::Auto)?;
    data.normalization = inputs.normalization.clone();
    let run = RunDir::choose(
        &OutputConfig {
            name: args.run.clone().or_else(|| folder_name(&args.checkpoints)),
            resume: false,
            // A watched run writes no checkpoints: its history lies beside its report.
            checkpoints: args.reports.clone(),
            reports: args.reports.clone(),
        },
        &args.checkpoints,
    )?;
    let log = TrainingLog::find(args.metrics.as_deref(), &args.checkpoints);
    match &log {
        Some(log) => println!("training numbers: {}", log.path().display()),
        None => println!(
            "training numbers: unknown (no metrics.csv or metrics.jsonl beside the checkpoints; --metrics FILE names one)"
        ),
    }
    let passed_over = source.passed_over();
    if !passed_over.is_empty() {
        println!(
            "passing over {} beside the numbered checkpoints (an epoch is each numbered file)",
            passed_over.join(", ")
        );
    }
    let config = args.monitor.config();
    let mut monitor = Monitor::new(&loaded.model, &data, &run, &config, &device)?;
    let mut history = History::default();
    let watch = Watch {
        data: &data,
        run: &run,
        log: log.as_ref(),
    };
    let mut next = Some((first, loaded));
    while let Some((candidate, loaded)) = next.take() {
        watch.observe(&mut monitor, &mut history, &candidate, &loaded)?;
        source.done(candidate);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        next = next_loaded(&mut source, &device, follow, &stop)?;
    }
    monitor.close(&history)?;
    println!(
        "done: {} epoch(s), report {}",
        history.epochs.len(),
        run.reports.join("index.html").display()
    );
    Ok(())
}

/// What every watched epoch shares.
struct Watch<'a> {
    data: &'a Data,
    run: &'a RunDir,
    log: Option<&'a TrainingLog>,
}

impl Watch<'_> {
    /// One checkpoint as the next epoch of the report.
    fn observe(
        &self,
        monitor: &mut Monitor<'_>,
        history: &mut History,
        candidate: &Candidate,
        loaded: &Loaded,
    ) -> anyhow::Result<()> {
        let classes = self.data.classes.len();
        if loaded.info.num_classes != classes {
            bail!(
                "{} has {} classes but the first checkpoint had {classes}; watch one run per report",
                candidate.path.display(),
                loaded.info.num_classes
            );
        }
        let started = Instant::now();
        let epoch = history.epochs.len() + 1;
        let train = self
            .log
            .map(|log| log.numbers(candidate.number, epoch - 1))
            .unwrap_or_default();
        let trained = TrainedEpoch {
            epoch,
            train,
            seconds: 0.0,
        };
        let files = monitor.observe(&loaded.model, trained, history)?;
        files.finish(self.run, history)?;
        let e = history.epochs.last().context("the epoch just observed")?;
        println!(
            "epoch {epoch} <- {}  val loss {:.3} acc {:.1}%{}  {} mistakes  {:.1}s",
            candidate.name(),
            e.val_loss,
            100.0 * e.val_accuracy,
            if e.best { " (best)" } else { "" },
            e.misclassified.len(),
            started.elapsed().as_secs_f64()
        );
        Ok(())
    }
}

/// The next checkpoint that loads whole. A file that does not load, or changes while it is
/// read, is still being written: with `follow` it is tried again at the next look, without
/// it skipped with a warning. With `follow` (the time between looks), waits for one until
/// Ctrl-C.
fn next_loaded(
    source: &mut Source,
    device: &Device,
    follow: Option<Duration>,
    stop: &AtomicBool,
) -> anyhow::Result<Option<(Candidate, Loaded)>> {
    let waiting = spinner("waiting for the next checkpoint (Ctrl-C to stop)");
    loop {
        for candidate in source.pending()? {
            match load_whole(&candidate, device) {
                Ok(loaded) => {
                    waiting.finish_and_clear();
                    return Ok(Some((candidate, loaded)));
                }
                Err(reason) if follow.is_some() => {
                    waiting.set_message(format!(
                        "waiting for {} to load whole ({reason})",
                        candidate.name()
                    ));
                    break;
                }
                Err(reason) => {
                    eprintln!("warning: skipping {}: {reason}", candidate.path.display());
                    source.done(candidate);
                }
            }
        }
        let Some(pause) = follow.filter(|_| !stop.load(Ordering::SeqCst)) else {
            waiting.finish_and_clear();
            return Ok(None);
        };
        std::thread::sleep(pause);
    }
}

/// The checkpoint, if it loads and did not change while it was read.
fn load_whole(candidate: &Candidate, device: &Device) -> Result<Loaded, String> {
    let loaded = checkpoint::load(&candidate.path, &LoadOptions::default(), device)
        .map_err(|e| e.to_string())?;
    if !candidate.unchanged() {
        return Err("it changed while it was read".to_owned());
    }
    Ok(loaded)
}

/// The validation folder's classes must be the model's, in its order.
fn check_classes(model: &[String], folders: &[String], data: &Path) -> anyhow::Result<()> {
    if model == folders {
        return Ok(());
    }
    if model.len() != folders.len() {
        bail!(
            "the model has {} classes but {} has {} class folders ({}); pass the folder the model was trained on",
            model.len(),
            data.display(),
            folders.len(),
            folders.join(", ")
        );
    }
    bail!(
        "the model's classes ({}) are not the class folders of {} ({}); pass --class-names FILE with the names in the model's order, or the folder the model was trained on",
        model.join(", "),
        data.display(),
        folders.join(", ")
    )
}

/// The run's default name: the checkpoint folder's (a file's folder's) name.
fn folder_name(checkpoints: &Path) -> Option<String> {
    let path = checkpoints.canonicalize().ok()?;
    let folder = if path.is_dir() { &path } else { path.parent()? };
    Some(folder.file_name()?.to_string_lossy().into_owned())
}

/// Runs the watcher at niceness `nice`, below the training it watches on a shared machine.
/// Threads started later (LibTorch's, the decoders') inherit it.
fn lower_priority(nice: i32) {
    // SAFETY: setpriority only reads its integer arguments.
    unsafe {
        libc::setpriority(libc::PRIO_PROCESS, 0, nice);
    }
}

/// A flag Ctrl-C sets: the current epoch's files are finished, then the watcher exits 0. A
/// second Ctrl-C stops at once.
fn stop_on_ctrl_c() -> anyhow::Result<Arc<AtomicBool>> {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || {
        if flag.swap(true, Ordering::SeqCst) {
            std::process::exit(130);
        }
        eprintln!("stopping after the current epoch's files (Ctrl-C again to stop now)");
    })
    .context("cannot catch Ctrl-C")?;
    Ok(stop)
}
