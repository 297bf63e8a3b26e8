//! The checkpoints a training process leaves: which files are epochs, in which order, and
//! which of them are complete.
//!
//! A folder's files with a number in their names (`epoch_003.pth`, `epoch=3-step=120.ckpt`,
//! `model_3.pt`) are epochs in the order of that number; files without one beside them
//! (`last.pth`, `best.pth`) repeat an epoch and are passed over. A folder of unnumbered files,
//! or a single file, gives an epoch per new version of each file (a script that overwrites
//! `model.pth` every epoch), in the order they were written.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::SystemTime;

use anyhow::{Context, bail};
use regex::Regex;

/// File endings of the checkpoints camwatch reads.
pub const EXTENSIONS: [&str; 6] = ["pth", "pt", "ckpt", "safetensors", "bpk", "bin"];

/// One version of a checkpoint file: its path, the epoch number its name gives, and when it
/// was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// The file.
    pub path: PathBuf,
    /// The number in its name (`epoch=3-step=120.ckpt`: 3), if any.
    pub number: Option<u64>,
    /// Size and modification time: a rewritten file is a new version.
    version: (u64, SystemTime),
}

impl Candidate {
    fn stat(path: &Path) -> Option<Self> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Self {
            number: epoch_number(path),
            version: (meta.len(), meta.modified().ok()?),
            path: path.to_owned(),
        })
    }

    /// Whether the file is still the version this candidate saw (it was not rewritten since).
    pub fn unchanged(&self) -> bool {
        Self::stat(&self.path).is_some_and(|now| now.version == self.version)
    }

    /// The file's name, for people.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }
}

/// A folder of checkpoints, or one checkpoint file, and the versions already reported.
pub struct Source {
    target: PathBuf,
    reported: HashSet<Candidate>,
}

impl Source {
    /// Watches `target`, a folder or a file.
    pub fn new(target: &Path) -> anyhow::Result<Self> {
        if !target.exists() && !target.parent().is_some_and(Path::is_dir) {
            bail!(
                "{} does not exist; pass the folder your training script saves its checkpoints in",
                target.display()
            );
        }
        Ok(Self {
            target: target.to_owned(),
            reported: HashSet::new(),
        })
    }

    /// The checkpoint versions not reported yet, in epoch order.
    pub fn pending(&self) -> anyhow::Result<Vec<Candidate>> {
        let mut files = self.listing()?;
        if files.iter().any(|c| c.number.is_some()) {
            files.retain(|c| c.number.is_some());
            files.sort_by_key(|c| (c.number, c.version.1));
        } else {
            files.sort_by_key(|c| c.version.1);
        }
        files.retain(|c| !self.reported.contains(c) && !self.numbered_seen(c));
        Ok(files)
    }

    /// A numbered file reported before, in whatever version: its epoch is done.
    fn numbered_seen(&self, candidate: &Candidate) -> bool {
        candidate.number.is_some() && self.reported.iter().any(|r| r.path == candidate.path)
    }

    /// Marks a version as reported (or given up on).
    pub fn done(&mut self, candidate: Candidate) {
        self.reported.insert(candidate);
    }

    /// Unnumbered files beside numbered ones, which no epoch comes from.
    pub fn passed_over(&self) -> Vec<String> {
        let files = self.listing().unwrap_or_default();
        if !files.iter().any(|c| c.number.is_some()) {
            return Vec::new();
        }
        let mut names: Vec<String> = files
            .iter()
            .filter(|c| c.number.is_none())
            .map(Candidate::name)
            .collect();
        names.sort();
        names
    }

    /// Every checkpoint file there is now: the folder's, or the one file.
    fn listing(&self) -> anyhow::Result<Vec<Candidate>> {
        if !self.target.is_dir() {
            return Ok(Candidate::stat(&self.target).into_iter().collect());
        }
        let entries = std::fs::read_dir(&self.target)
            .with_context(|| format!("cannot read folder {}", self.target.display()))?;
        Ok(entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| is_checkpoint(p))
            .filter_map(|p| Candidate::stat(&p))
            .collect())
    }
}

/// Whether `path` names a checkpoint file (hidden and temporary files are not).
fn is_checkpoint(path: &Path) -> bool {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    path.is_file()
        && !name.starts_with('.')
        && path
            .extension()
            .is_some_and(|e| EXTENSIONS.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The epoch number in a checkpoint's name: after `epoch` where it says so
/// (`epoch=3-step=120`, `epoch_003`), else its last number (`model_3`).
pub fn epoch_number(path: &Path) -> Option<u64> {
    static EPOCH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i)epoch[^0-9a-z]*(\d+)").expect("a valid pattern"));
    static LAST: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(\d+)\D*$").expect("a valid pattern"));
    let stem = path.file_stem()?.to_string_lossy();
    let number = EPOCH.captures(&stem).or_else(|| LAST.captures(&stem))?;
    number[1].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_numbers_come_from_the_usual_names() {
        let number = |name: &str| epoch_number(Path::new(name));
        assert_eq!(number("epoch_003.pth"), Some(3));
        assert_eq!(number("epoch=3-step=120.ckpt"), Some(3));
        assert_eq!(number("model_3.pt"), Some(3));
        assert_eq!(number("checkpoint-epoch12.pth"), Some(12));
        assert_eq!(number("resnet50_epoch_7_acc_0.93.pth"), Some(7));
        assert_eq!(number("last.pth"), None);
        assert_eq!(number("model.pth"), None);
    }

    #[test]
    fn numbered_files_are_epochs_in_order_and_others_beside_them_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["epoch_10.pth", "epoch_2.pth", "last.pth", "notes.txt"] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        let mut source = Source::new(dir.path()).unwrap();
        let pending = source.pending().unwrap();
        let names: Vec<String> = pending.iter().map(Candidate::name).collect();
        assert_eq!(names, ["epoch_2.pth", "epoch_10.pth"]);
        assert_eq!(source.passed_over(), ["last.pth"]);
        source.done(pending[0].clone());
        assert_eq!(source.pending().unwrap().len(), 1);
    }

    #[test]
    fn a_rewritten_file_is_a_new_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("model.pth");
        std::fs::write(&file, b"first").unwrap();
        let mut source = Source::new(&file).unwrap();
        let first = source.pending().unwrap();
        assert_eq!(first.len(), 1);
        source.done(first[0].clone());
        assert!(source.pending().unwrap().is_empty());
        std::fs::write(&file, b"second, longer").unwrap();
        assert_eq!(source.pending().unwrap().len(), 1, "a new version");
    }
}
