//! Where an image's object mask is: beside it (`NAME.mask.png`), or at the same relative path
//! in a parallel mask tree (`--masks DIR`, any image extension).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use super::files::{has_image_extension, is_system};

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

/// The masks of a dataset.
#[derive(Debug, Default)]
pub struct MaskFinder {
    /// The mask tree's root and its masks by relative path without extension.
    tree: Option<(PathBuf, HashMap<PathBuf, PathBuf>)>,
}

impl MaskFinder {
    /// Masks beside the images, and in the tree at `root` when given.
    pub fn new(root: Option<&Path>) -> anyhow::Result<Self> {
        let Some(root) = root else {
            return Ok(Self::default());
        };
        if !root.is_dir() {
            bail!(
                "mask folder {} does not exist; --masks takes a folder that mirrors the image folder",
                root.display()
            );
        }
        let mut index = HashMap::new();
        let walk = walkdir::WalkDir::new(root)
            .follow_links(true)
            .min_depth(1)
            .into_iter()
            .filter_entry(|e| !is_system(e.file_name()));
        for entry in walk {
            let entry =
                entry.with_context(|| format!("cannot read mask folder {}", root.display()))?;
            let path = entry.path();
            if entry.file_type().is_file() && has_image_extension(path) {
                let key = path.strip_prefix(root).unwrap_or(path).with_extension("");
                index.insert(key, path.to_owned());
            }
        }
        Ok(Self {
            tree: Some((root.to_owned(), index)),
        })
    }

    /// The mask tree's root, when there is one.
    pub fn tree(&self) -> Option<&Path> {
        self.tree.as_ref().map(|(root, _)| root.as_path())
    }

    /// The mask of a loose `image` (not in a scanned dataset): in the tree at the longest tail of
    /// its path found there (`val/cat/x.jpg` → `val/cat/x.*`, `cat/x.*`, then `x.*`), else beside
    /// it.
    pub fn find_loose(&self, image: &Path) -> Option<PathBuf> {
        let parts: Vec<_> = image.components().collect();
        let in_tree = self.tree.as_ref().and_then(|(_, index)| {
            (0..parts.len()).find_map(|start| {
                let tail: PathBuf = parts[start..].iter().collect();
                index.get(&tail.with_extension("")).cloned()
            })
        });
        in_tree.or_else(|| mask_beside(image))
    }

    /// The mask of `image`, whose path relative to the dataset root is `relative`.
    pub fn find(&self, image: &Path, relative: &Path) -> Option<PathBuf> {
        self.tree
            .as_ref()
            .and_then(|(_, index)| index.get(&relative.with_extension("")).cloned())
            .or_else(|| mask_beside(image))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mask_tree_mirrors_the_image_tree_with_any_extension() {
        let dir = tempfile::tempdir().unwrap();
        let masks = dir.path().join("masks");
        std::fs::create_dir_all(masks.join("train/cat/indoor")).unwrap();
        std::fs::write(masks.join("train/cat/indoor/x.png"), b"").unwrap();
        std::fs::write(masks.join("train/cat/.DS_Store"), b"").unwrap();
        let finder = MaskFinder::new(Some(&masks)).unwrap();
        let image = dir.path().join("images/train/cat/indoor/x.jpg");
        assert_eq!(
            finder.find(&image, Path::new("train/cat/indoor/x.jpg")),
            Some(masks.join("train/cat/indoor/x.png"))
        );
        assert_eq!(finder.find(&image, Path::new("train/cat/y.jpg")), None);
        assert_eq!(
            finder.find_loose(Path::new("photos/train/cat/indoor/x.jpeg")),
            Some(masks.join("train/cat/indoor/x.png"))
        );
        let error = MaskFinder::new(Some(&dir.path().join("nope"))).unwrap_err();
        assert!(error.to_string().contains("--masks"), "{error}");
    }
}
