//! Which files of a dataset folder are images, which are litter left by the system, and how a
//! file is named in titles.

use std::ffi::OsStr;
use std::path::Path;

/// Extensions decoded as images.
pub const IMAGE_EXTENSIONS: [&str; 8] = ["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif", "tiff"];

/// Files and folders that operating systems, archivers and NAS boxes leave in photo folders.
const SYSTEM_NAMES: [&str; 5] = [
    "Thumbs.db",
    "desktop.ini",
    "@eaDir",
    "__MACOSX",
    "$RECYCLE.BIN",
];

/// Whether a file or folder is hidden or left by the system (ignored without a warning each).
pub fn is_system(name: &OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || SYSTEM_NAMES.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// Whether `path` has an image file's extension (any case).
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.as_str()))
}

/// `<parent folder>/<file name>` of `path`, short enough for titles and tables.
pub fn short_name(path: &Path) -> String {
    let file = path.file_name().unwrap_or_default().to_string_lossy();
    match path.parent().and_then(|p| p.file_name()) {
        Some(parent) => format!("{}/{file}", parent.to_string_lossy()),
        None => file.into_owned(),
    }
}
