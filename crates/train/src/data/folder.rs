//! Finding samples in an image-folder tree, torchvision's `ImageFolder` convention: one
//! sub-folder per class, labels in sorted folder-name order; either `train/` and `val/`
//! sub-trees, or one tree split deterministically.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Extensions decoded as images.
const IMAGE_EXTENSIONS: [&str; 7] = ["jpg", "jpeg", "png", "bmp", "gif", "webp", "tif"];

/// Suffix of an object mask stored beside its image (`0007.png` → `0007.mask.png`).
pub const MASK_SUFFIX: &str = ".mask.png";

/// `<stem>.mask.png` beside `image`, if there is one.
pub fn mask_beside(image: &Path) -> Option<PathBuf> {
    let mask = image.with_file_name(format!(
        "{}{MASK_SUFFIX}",
        image.file_stem().unwrap_or_default().to_string_lossy()
    ));
    mask.is_file().then_some(mask)
}

/// One sample: an image file, its label, and its object mask when one exists.
#[derive(Clone, Debug)]
pub struct Item {
    /// The image file.
    pub path: PathBuf,
    /// Class index.
    pub label: usize,
    /// `<stem>.mask.png` beside the image, if present.
    pub mask: Option<PathBuf>,
}

/// A file that was not used, and why.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// The samples of a dataset, split into training and validation.
#[derive(Debug)]
pub struct Scan {
    /// Class names in label order (sorted folder names).
    pub classes: Vec<String>,
    /// Training samples.
    pub train: Vec<Item>,
    /// Validation samples.
    pub val: Vec<Item>,
    /// Files that are not images.
    pub skipped: Vec<Skipped>,
}

/// Scans `root`: `root/{train,val}/<class>/*` when both exist, otherwise `root/<class>/*`
/// split per class by `val_split` with `seed`.
pub fn scan(root: &Path, val_split: f64, seed: u64) -> anyhow::Result<Scan> {
    if !root.is_dir() {
        bail!(
            "dataset folder {} does not exist; pass --data DIR with one sub-folder per class",
            root.display()
        );
    }
    let (train_root, val_root) = (root.join("train"), root.join("val"));
    let mut skipped = Vec::new();
    if train_root.is_dir() && val_root.is_dir() {
        let classes = class_folders(&train_root)?;
        let val_classes = class_folders(&val_root)?;
        if classes != val_classes {
            bail!(
                "{} has classes {classes:?} but {} has {val_classes:?}; both need the same class folders",
                train_root.display(),
                val_root.display()
            );
        }
        let train = items(&train_root, &classes, &mut skipped)?;
        let val = items(&val_root, &classes, &mut skipped)?;
        return Ok(Scan {
            classes,
            train,
            val,
            skipped,
        });
    }
    if !(0.0..1.0).contains(&val_split) {
        bail!("--val-split must be in [0, 1), got {val_split}");
    }
    let classes = class_folders(root)?;
    let mut train = Vec::new();
    let mut val = Vec::new();
    let mut rng = StdRng::seed_from_u64(seed);
    for label in 0..classes.len() {
        let mut of_class: Vec<Item> = items(root, &classes[label..=label], &mut skipped)?
            .into_iter()
            .map(|item| Item { label, ..item })
            .collect();
        of_class.shuffle(&mut rng);
        let n_val = ((of_class.len() as f64 * val_split).round() as usize).min(of_class.len() - 1);
        val.extend(of_class.drain(..n_val));
        train.extend(of_class);
    }
    Ok(Scan {
        classes,
        train,
        val,
        skipped,
    })
}

/// Sorted names of the sub-folders of `dir` (hidden ones ignored).
fn class_folders(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut classes: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read dataset folder {}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    classes.sort();
    if classes.len() < 2 {
        bail!(
            "{} has {} class folder(s); an image-folder dataset needs one sub-folder per class, at least two",
            dir.display(),
            classes.len()
        );
    }
    Ok(classes)
}

/// The image files under `dir/<class>/` for each class, with masks; junk goes to `skipped`.
fn items(dir: &Path, classes: &[String], skipped: &mut Vec<Skipped>) -> anyhow::Result<Vec<Item>> {
    let mut items = Vec::new();
    for (label, class) in classes.iter().enumerate() {
        let folder = dir.join(class);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .with_context(|| format!("cannot read class folder {}", folder.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        let before = items.len();
        for path in files {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if name.ends_with(MASK_SUFFIX) {
                continue;
            }
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            if name.starts_with('.') || !IMAGE_EXTENSIONS.contains(&extension.as_str()) {
                skipped.push(Skipped {
                    path,
                    reason: "not an image file".to_owned(),
                });
                continue;
            }
            items.push(Item {
                label,
                mask: mask_beside(&path),
                path,
            });
        }
        if items.len() == before {
            bail!(
                "class folder {} has no images; add images (JPEG, PNG, BMP, GIF, WebP) or remove the folder",
                folder.display()
            );
        }
    }
    Ok(items)
}
