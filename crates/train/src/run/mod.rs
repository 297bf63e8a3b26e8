//! A training run on disk: its folders, checkpoints and history.

mod history;

use std::path::PathBuf;

use anyhow::Context;
use burn::optim::ModuleOptimizer;
use mobilenetv2::MobileNetV2;
use mobilenetv2::checkpoint::{self, Metadata};

pub use history::{EpochRecord, History, TrainStats};

/// A run's folders and how its files are written.
pub struct Run {
    /// Run name.
    pub name: String,
    /// `<checkpoints>/<run>/`.
    pub checkpoints: PathBuf,
    /// `<reports>/<run>/`.
    pub reports: PathBuf,
}

impl Run {
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
        model: &MobileNetV2,
        optimizer: &ModuleOptimizer,
        meta: &Metadata,
        best: bool,
    ) -> anyhow::Result<()> {
        let bytes = optimizer
            .into_bytes()
            .context("serializing the optimizer state")?;
        mobilenetv2::atomic::write_bytes(&self.optimizer_file(meta.epoch), &bytes)?;
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
        mobilenetv2::atomic::write_bytes(&self.history_file(), &json)?;
        Ok(())
    }
}
