//! Atomic file writes, shared by every file camwatch produces (checkpoints, maps, reports):
//! a reader, or a run killed mid-write, sees the old file or the new one, never half of one.

use std::path::{Path, PathBuf};

/// A file that could not be written.
#[derive(Debug, thiserror::Error)]
#[error("cannot write {path}: {reason}")]
pub struct WriteError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Runs `write` on a temporary path beside `path`, syncs it, then renames it into place.
/// `write` returns an error message; failures become "cannot write PATH: reason".
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), WriteError> {
    let error = |reason: String| WriteError {
        path: path.to_owned(),
        reason,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".camwatch-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| error(e.to_string()))?;
    write(tmp.path()).map_err(error)?;
    std::fs::File::open(tmp.path())
        .and_then(|f| f.sync_all())
        .map_err(|e| error(e.to_string()))?;
    tmp.persist(path).map_err(|e| error(e.error.to_string()))?;
    Ok(())
}

/// Writes `bytes` to `path` atomically.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_atomically(path, |tmp| {
        std::fs::write(tmp, bytes).map_err(|e| e.to_string())
    })
}
