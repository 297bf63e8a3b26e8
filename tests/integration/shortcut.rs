//! Shortcut detection on two models trained once and committed (`tests/fixtures/*.bpk`, each
//! `train` on a `generate`d dataset at the defaults with `--no-augment` for 10 epochs): one on
//! images carrying a class-coloured watermark (it follows the marks: ~100% training, ~20%
//! validation accuracy), one on clean images.

use std::path::{Path, PathBuf};

use camwatch_tests::device;
use mobilenetv2::checkpoint::{self, LoadOptions};
use train::data::synthetic::{self, Shortcut, Spec};

fn committed(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name)
}

/// Fresh images (with masks) from the generator the models were trained with, decoded at
/// their 96 px; the audit reads the training split.
fn validation_data(dir: &Path, shortcut: Option<Shortcut>) -> train::data::Data {
    let root = dir.join("data");
    let spec = Spec {
        train_per_class: 16,
        val_per_class: 2,
        seed: 1234,
        shortcut,
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    let scan = train::data::scan(&root, 0.2, 0).unwrap();
    train::data::load(root, scan, 96).unwrap()
}

fn flagged(model: &str, shortcut: Option<Shortcut>) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let device = device();
    let model = checkpoint::load(&committed(model), &LoadOptions::default(), &device)
        .unwrap()
        .model;
    let data = validation_data(dir.path(), shortcut);
    let attention = train::audit_attention(&model, &data, &device, dir.path()).unwrap();
    assert_eq!(attention.len(), 5, "every class is audited");
    let flagged: Vec<String> = attention
        .iter()
        .filter(|a| a.flagged)
        .map(|a| a.class.clone())
        .collect();
    for a in attention.iter().filter(|a| a.flagged) {
        let evidence = a
            .evidence
            .as_ref()
            .expect("flagged classes come with evidence");
        assert!(dir.path().join(evidence).is_file());
    }
    flagged
}

#[test]
fn a_model_that_follows_a_watermark_is_flagged() {
    let flagged = flagged("shortcut.bpk", Some(Shortcut::Watermark));
    assert!(flagged.len() >= 3, "flagged only {flagged:?}");
}

#[test]
fn a_model_that_looks_at_the_objects_is_not_flagged() {
    let flagged = flagged("clean.bpk", None);
    assert!(flagged.is_empty(), "false alarm for {flagged:?}");
}
