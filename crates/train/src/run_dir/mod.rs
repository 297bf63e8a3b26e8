//! A training run on disk: its folders, checkpoints and history.

mod history;

use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::optim::ModuleOptimizer;
use models::Model;
use models::checkpoint::{self, Metadata};

pub use history::{EpochRecord, History, TrainNumbers, TrainStats};

/// Where a run goes.
#[derive(Clone, Debug)]
pub struct OutputConfig {
    /// Run name; default: the dataset folder's name.
    pub name: Option<String>,
    /// Continue the newest run of that name instead of starting a new one.
    pub resume: bool,
    /// Folder of every run's checkpoints.
    pub checkpoints: PathBuf,
    /// Folder of every run's reports.
    pub reports: PathBuf,
}

/// A run's folders and how its files are written.
pub struct RunDir {
    /// Run name.
    pub name: String,
    /// `<checkpoints>/<run>/`.
    pub checkpoints: PathBuf,
    /// `<reports>/<run>/`.
    pub reports: PathBuf,
}

impl RunDir {
    /// The folders of the run `config` names for the dataset at `root`: a new run never reuses
    /// an old run's folders (a suffix `-2`, `-3`, ... is added); `resume` picks the newest run
    /// of that name with a checkpoint.
    pub fn choose(config: &OutputConfig, root: &Path) -> anyhow::Result<Self> {
        let base = match &config.name {
            Some(name) => name.clone(),
            None => root
                .canonicalize()
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| "run".to_owned()),
        };
        let folders = |name: &str| Self {
            name: name.to_owned(),
            checkpoints: config.checkpoints.join(name),
            reports: config.reports.join(name),
        };
        let used = |run: &Self| run.checkpoints.exists() || run.reports.exists();
        let candidates = std::iter::once(base.clone()).chain((2..).map(|i| format!("{base}-{i}")));
        if config.resume {
            let existing: Vec<Self> = candidates.map(|n| folders(&n)).take_while(used).collect();
            return existing
                .into_iter()
                .rev()
                .find(|r| r.last().is_file())
                .with_context(|| {
                    format!(
                        "nothing to resume: no {} checkpoint of run '{base}'; drop --resume to start a new run",
                        config.checkpoints.join(&base).join("last.bpk").display()
                    )
                });
        }
        // Each name is claimed by creating its report folder, which only one of several runs
        // started at once can do; a run that loses takes the next name.
        std::fs::create_dir_all(&config.reports).with_context(|| {
            format!(
                "cannot create the reports folder {}",
                config.reports.display()
            )
        })?;
        let mut claimed = None;
        for run in candidates.map(|n| folders(&n)) {
            if run.claim()? {
                claimed = Some(run);
                break;
            }
        }
        let run = claimed.expect("unbounded names");
        if run.name != base {
            println!(
                "run '{base}' exists; starting run '{}' (pass --resume to continue '{base}')",
                run.name
            );
        }
        Ok(run)
    }

    /// Creates the run's report folder if no other run has it (nor this name's checkpoint
    /// folder): `false` when the name is taken.
    fn claim(&self) -> anyhow::Result<bool> {
        if self.checkpoints != self.reports && self.checkpoints.exists() {
            return Ok(false);
        }
        match std::fs::create_dir(&self.reports) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) => Err(e).with_context(|| {
                format!("cannot create the run folder {}", self.reports.display())
            }),
        }
    }

    /// A guard that gives the name back (removes the still empty report folder) unless
    /// [`Claim::keep`] is called: a run that fails to start does not push the next one to a new
    /// name.
    pub fn claim_guard(&self) -> Claim {
        Claim(Some(self.reports.clone()))
    }

    /// `<reports>/<run>/epoch-NNN/`, the folder of an epoch's report.
    pub fn epoch_reports(&self, epoch: usize) -> PathBuf {
        self.reports.join(format!("epoch-{epoch:03}"))
    }

    /// The latest checkpoint.
    pub fn last(&self) -> PathBuf {
        self.checkpoints.join("last.bpk")
    }

    pub(crate) fn optimizer_file(&self, epoch: usize) -> PathBuf {
        self.checkpoints
            .join(format!("optimizer-epoch-{epoch:03}.bpk"))
    }

    pub(crate) fn history_file(&self) -> PathBuf {
        self.checkpoints.join("history.json")
    }

    /// Saves the optimizer, then `last.bpk` (and `best.bpk`), each atomically, so that a run
    /// killed at any moment leaves a `last.bpk` whose optimizer state is on disk; then removes
    /// what is no longer needed.
    pub fn save(
        &self,
        model: &Model,
        optimizer: &ModuleOptimizer,
        meta: &Metadata,
        best: bool,
    ) -> anyhow::Result<()> {
        let bytes = optimizer
            .into_bytes()
            .context("serializing the optimizer state")?;
        atomic_write::write_bytes(&self.optimizer_file(meta.epoch), &bytes)?;
        checkpoint::save(model, meta, &self.last())?;
        if best {
            checkpoint::save(model, meta, &self.checkpoints.join("best.bpk"))?;
        }
        let current = self.optimizer_file(meta.epoch);
        for entry in std::fs::read_dir(&self.checkpoints)?.filter_map(Result::ok) {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            // Older optimizer states, and temporary files of a write that was killed.
            let stale_partial = name.starts_with(".camwatch-") && name.ends_with(".partial");
            if (name.starts_with("optimizer-epoch-") && path != current) || stale_partial {
                std::fs::remove_file(path)?;
            }
        }
        Ok(())
    }

    /// Writes the history (before `last.bpk`, so it is never behind the checkpoint).
    pub fn save_history(&self, history: &History) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(history).context("JSON encoding")?;
        atomic_write::write_bytes(&self.history_file(), &json)?;
        Ok(())
    }
}

/// See [`RunDir::claim_guard`].
#[must_use = "the claim is given back when the guard is dropped"]
pub struct Claim(Option<PathBuf>);

impl Claim {
    /// The run started: its folder stays.
    pub fn keep(mut self) {
        self.0 = None;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(folder) = self.0.take() {
            // Only an empty folder goes: nothing a run wrote is removed.
            let _ = std::fs::remove_dir(folder);
        }
    }
}
