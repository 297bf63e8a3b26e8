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
    let mut builder = tempfile::Builder::new();
    builder.prefix(".camwatch-").suffix(".partial");
    // The mode of a file made by `std::fs::write` (0666 less the umask), not a temporary
    // file's private 0600: reports are for reading, from a web server or another account too.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let tmp = builder.tempfile_in(dir).map_err(|e| error(e.to_string()))?;
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

/// Writes `bytes` to `path` through `.NAME.partial` beside it, renamed into place, without
/// waiting for the disk: a killed process leaves the old file or the new one, never half of
/// one, but a power cut may lose the write. For many small files that can be made again
/// (thumbnails), where a sync and a unique temporary name per file would cost more than making
/// them. The folder is created when missing.
pub fn write_bytes_unsynced(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let error = |e: std::io::Error| WriteError {
        path: path.to_owned(),
        reason: e.to_string(),
    };
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.partial"));
    if let Err(e) = std::fs::write(&tmp, bytes) {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        match dir {
            Some(dir) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(error)?;
                std::fs::write(&tmp, bytes).map_err(error)?;
            }
            _ => return Err(error(e)),
        }
    }
    std::fs::rename(&tmp, path).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_replaces_the_file_and_creates_its_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/file.txt");
        write_bytes(&path, b"old").unwrap();
        write_bytes(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        write_bytes_unsynced(&path, b"newer").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"newer");
        let elsewhere = dir.path().join("other/file.txt");
        write_bytes_unsynced(&elsewhere, b"made").unwrap();
        assert_eq!(std::fs::read(&elsewhere).unwrap(), b"made");
        assert_eq!(
            std::fs::read_dir(dir.path().join("other")).unwrap().count(),
            1
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_written_file_gets_the_mode_of_any_new_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |name: &str| {
            let path = dir.path().join(name);
            std::fs::metadata(path).unwrap().permissions().mode() & 0o777
        };
        std::fs::write(dir.path().join("plain.txt"), b"x").unwrap();
        write_bytes(&dir.path().join("atomic.txt"), b"x").unwrap();
        write_bytes_unsynced(&dir.path().join("unsynced.txt"), b"x").unwrap();
        assert_eq!(mode("atomic.txt"), mode("plain.txt"));
        assert_eq!(mode("unsynced.txt"), mode("plain.txt"));
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_leaves_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.txt");
        write_bytes(&path, b"old").unwrap();
        let error = write_atomically(&path, |tmp| {
            std::fs::write(tmp, b"half").unwrap();
            Err("disk full".to_owned())
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot write {}: disk full", path.display())
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"old");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "the temporary file is removed");
    }
}
