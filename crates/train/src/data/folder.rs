//! Finding samples in an image-folder tree, torchvision's `ImageFolder` convention: one
//! sub-folder per class (images anywhere below it), labels in sorted folder-name order; either
//! `train/` and `val/` sub-trees (also below an `images/` level), or one tree split
//! deterministically.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::files::{has_image_extension, is_system};
use super::masks::{MASK_SUFFIX, MaskFinder};

/// One sample: an image file, its label, and its object mask when one exists.
#[derive(Clone, Debug)]
pub struct Item {
    /// The image file.
    pub path: PathBuf,
    /// Class index.
    pub label: usize,
    /// Its object mask, if one was found.
    pub mask: Option<PathBuf>,
}

impl Item {
    /// `<class folder>/<file name>`, short enough for titles and tables.
    pub fn short_name(&self) -> String {
        super::files::short_name(&self.path)
    }
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
    /// The folder holding the class folders (or `train/` and `val/`).
    pub root: PathBuf,
    /// Class names in label order (sorted folder names).
    pub classes: Vec<String>,
    /// Training samples.
    pub train: Vec<Item>,
    /// Validation samples.
    pub val: Vec<Item>,
    /// Files that are not images.
    pub skipped: Vec<Skipped>,
    /// Hidden and system files passed over.
    pub ignored: usize,
    /// The mask tree used, if any.
    pub mask_tree: Option<PathBuf>,
}

impl Scan {
    /// `(with a mask, all)` samples.
    pub fn mask_count(&self) -> (usize, usize) {
        let all = self.train.iter().chain(&self.val);
        let masked = all.clone().filter(|i| i.mask.is_some()).count();
        (masked, all.count())
    }
}

/// Scans `root`: `root/{train,val}/<class>/…` when both exist (or `root/images/{train,val}`,
/// with masks from `root/masks` unless `masks` is given), otherwise `root/<class>/…` split
/// per class by `val_split` with `seed`. Masks come from the tree at `masks` (same relative
/// paths) or lie beside their images.
pub fn scan(root: &Path, masks: Option<&Path>, val_split: f64, seed: u64) -> anyhow::Result<Scan> {
    if !(0.0..1.0).contains(&val_split) {
        bail!("--val-split must be in [0, 1), got {val_split}");
    }
    scan_holding_out(root, masks, Holdout::Share { val_split, seed })
}

/// Scans `root` as [`scan`] does for a model trained elsewhere: `val/` is validation (and
/// `train/`, when there, feeds the shortcut audit); a folder of class folders alone is all
/// validation.
pub fn scan_validation(root: &Path, masks: Option<&Path>) -> anyhow::Result<Scan> {
    scan_holding_out(root, masks, Holdout::All)
}

/// What a folder without `train/` and `val/` holds out for validation.
#[derive(Clone, Copy)]
enum Holdout {
    /// `val_split` of each class, drawn with `seed` (at least one image stays for training).
    Share { val_split: f64, seed: u64 },
    /// Every image.
    All,
}

fn scan_holding_out(root: &Path, masks: Option<&Path>, holdout: Holdout) -> anyhow::Result<Scan> {
    if !root.is_dir() {
        bail!(
            "dataset folder {} does not exist; pass --data DIR with one sub-folder per class",
            root.display()
        );
    }
    let nested = root.join("images");
    let (root, masks) = if !has_split(root) && has_split(&nested) {
        let sibling = root.join("masks");
        let masks = masks
            .map(Path::to_owned)
            .or_else(|| sibling.is_dir().then_some(sibling));
        (nested, masks)
    } else {
        (root.to_owned(), masks.map(Path::to_owned))
    };
    let finder = MaskFinder::new(masks.as_deref())?;
    let mut walk = Walk {
        root: &root,
        finder: &finder,
        skipped: Vec::new(),
        ignored: 0,
    };
    let (train_root, val_root) = (root.join("train"), root.join("val"));
    let (classes, train, val) = if has_split(&root) {
        let classes = class_folders(&train_root)?;
        let val_classes = class_folders(&val_root)?;
        if classes != val_classes {
            bail!(
                "{} has classes {classes:?} but {} has {val_classes:?}; both need the same class folders",
                train_root.display(),
                val_root.display()
            );
        }
        let train = walk.items(&train_root, &classes)?;
        let val = walk.items(&val_root, &classes)?;
        (classes, train, val)
    } else {
        if let Some(half) = [&train_root, &val_root].into_iter().find(|p| p.is_dir()) {
            bail!(
                "{} has {} but not both train/ and val/; add the other with the same class folders, or pass --data {} to split it by --val-split",
                root.display(),
                half.file_name().unwrap_or_default().to_string_lossy(),
                half.display()
            );
        }
        let classes = class_folders(&root)?;
        let (val_split, seed) = match holdout {
            Holdout::Share { val_split, seed } => (val_split, seed),
            Holdout::All => (1.0, 0),
        };
        let mut rng = StdRng::seed_from_u64(seed);
        let (mut train, mut val) = (Vec::new(), Vec::new());
        for label in 0..classes.len() {
            let mut of_class: Vec<Item> = walk
                .items(&root, &classes[label..=label])?
                .into_iter()
                .map(|item| Item { label, ..item })
                .collect();
            of_class.shuffle(&mut rng);
            let n_val = match holdout {
                Holdout::All => of_class.len(),
                Holdout::Share { .. } => {
                    ((of_class.len() as f64 * val_split).round() as usize).min(of_class.len() - 1)
                }
            };
            val.extend(of_class.drain(..n_val));
            train.extend(of_class);
        }
        (classes, train, val)
    };
    Ok(Scan {
        classes,
        train,
        val,
        skipped: walk.skipped,
        ignored: walk.ignored,
        mask_tree: finder.tree().map(Path::to_owned),
        root,
    })
}

/// Whether `dir` holds both `train/` and `val/`.
fn has_split(dir: &Path) -> bool {
    dir.join("train").is_dir() && dir.join("val").is_dir()
}

/// Sorted names of the sub-folders of `dir` (hidden and system ones ignored).
pub fn sub_folders(dir: &Path) -> anyhow::Result<Vec<String>> {
    let mut folders: Vec<String> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read folder {}", dir.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir() && !is_system(&e.file_name()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    Ok(folders)
}

/// Sorted names of the class folders of `dir`: at least two.
fn class_folders(dir: &Path) -> anyhow::Result<Vec<String>> {
    let classes = sub_folders(dir)?;
    if classes.len() < 2 {
        bail!(
            "{} has {} class folder(s); an image-folder dataset needs one sub-folder per class, at least two",
            dir.display(),
            classes.len()
        );
    }
    Ok(classes)
}

/// The walk over class folders: what it skips and passes over as it goes.
struct Walk<'a> {
    root: &'a Path,
    finder: &'a MaskFinder,
    skipped: Vec<Skipped>,
    ignored: usize,
}

impl Walk<'_> {
    /// The image files anywhere below `dir/<class>/` for each class, in path order, with their
    /// masks; other files go to `skipped`, hidden and system ones are counted in `ignored`.
    fn items(&mut self, dir: &Path, classes: &[String]) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        for (label, class) in classes.iter().enumerate() {
            items.extend(self.class_images(&dir.join(class), label)?);
        }
        Ok(items)
    }

    /// [`Self::images`] of a class folder, which must hold at least one.
    fn class_images(&mut self, folder: &Path, label: usize) -> anyhow::Result<Vec<Item>> {
        let items = self.images(folder, label)?;
        if items.is_empty() {
            bail!(
                "class folder {} has no images; add images (JPEG, PNG, BMP, GIF, WebP, TIFF) or remove the folder",
                folder.display()
            );
        }
        Ok(items)
    }

    /// The image files anywhere below `folder`, in path order, labelled `label`, with their
    /// masks.
    fn images(&mut self, folder: &Path, label: usize) -> anyhow::Result<Vec<Item>> {
        let mut items = Vec::new();
        let mut ignored = 0;
        let walk = walkdir::WalkDir::new(folder)
            .follow_links(true)
            .min_depth(1)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                let system = is_system(e.file_name());
                ignored += usize::from(system);
                !system
            });
        for entry in walk {
            let entry =
                entry.with_context(|| format!("cannot read class folder {}", folder.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let path = entry.into_path();
            let name = path.file_name().unwrap_or_default().to_string_lossy();
            if name.ends_with(MASK_SUFFIX) {
                continue;
            }
            if !has_image_extension(&path) {
                self.skipped.push(Skipped {
                    path,
                    reason: "not an image file".to_owned(),
                });
                continue;
            }
            let relative = path.strip_prefix(self.root).unwrap_or(&path).to_owned();
            items.push(Item {
                label,
                mask: self.finder.find(&path, &relative),
                path,
            });
        }
        self.ignored += ignored;
        Ok(items)
    }
}

/// The images of a test folder, for a model with known classes.
#[derive(Debug)]
pub struct TestFolder {
    /// The images in path order; with `labelled`, each with its class index in the model's
    /// classes (else every label is 0 and means nothing).
    pub items: Vec<Item>,
    /// Whether the images are labelled by class folders.
    pub labelled: bool,
    /// Files that are not images.
    pub skipped: Vec<Skipped>,
    /// Hidden and system files passed over.
    pub ignored: usize,
}

/// Scans a test folder: labelled when its sub-folders are named as the model's `classes`
/// (images anywhere below them; classes may be missing), unlabelled when none is (images
/// anywhere below `root`). Masks come from the tree at `masks` or lie beside their images.
pub fn scan_test(
    root: &Path,
    classes: &[String],
    masks: Option<&Path>,
) -> anyhow::Result<TestFolder> {
    if !root.is_dir() {
        bail!("test folder {} does not exist", root.display());
    }
    let folders = sub_folders(root)?;
    let (known, unknown): (Vec<&String>, Vec<&String>) =
        folders.iter().partition(|f| classes.contains(f));
    let finder = MaskFinder::new(masks)?;
    let mut walk = Walk {
        root,
        finder: &finder,
        skipped: Vec::new(),
        ignored: 0,
    };
    let labelled = !known.is_empty();
    let items = if labelled {
        if !unknown.is_empty() {
            bail!(
                "{} mixes class folders with folders that name no class of the model ({}); the model's classes are: {}. Rename or move those folders, or pass a folder without class folders to explain its images unlabelled",
                root.display(),
                unknown
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
                classes.join(", ")
            );
        }
        let mut items = Vec::new();
        for name in known {
            let label = classes
                .iter()
                .position(|c| c == name)
                .expect("a known class");
            items.extend(walk.class_images(&root.join(name), label)?);
        }
        items
    } else {
        walk.images(root, 0)?
    };
    if items.is_empty() {
        bail!(
            "{} holds no images (JPEG, PNG, BMP, GIF, WebP, TIFF), neither in class folders nor loose",
            root.display()
        );
    }
    Ok(TestFolder {
        items,
        labelled,
        skipped: walk.skipped,
        ignored: walk.ignored,
    })
}
