//! What the mistakes are made of: label issues against a known truth and against cleanlab,
//! duplicates planted across the splits, and the calibration error against `data.js`.

use std::path::Path;

use train::data::synthetic::{self, Spec};

use crate::common::{args, epoch_data, json, run};

/// A generated dataset of `train` and `val` images per class in `dir/data`.
fn dataset(dir: &Path, train: usize, val: usize) -> std::path::PathBuf {
    let root = dir.join("data");
    let spec = Spec {
        train_per_class: train,
        val_per_class: val,
        seed: 11,
        ..Spec::default()
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    root
}

/// The near-duplicate pairs of `metrics.json` as (first path, second path, splits crossed).
fn pairs(metrics: &serde_json::Value) -> Vec<(String, String, bool)> {
    let path = |m: &serde_json::Value| m["path"].as_str().unwrap().to_owned();
    metrics["duplicates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let crosses = d["first"]["split"] != d["second"]["split"];
            (path(&d["first"]), path(&d["second"]), crosses)
        })
        .collect()
}

#[test]
fn planted_duplicates_are_all_found_and_a_clean_dataset_has_none() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path(), 30, 6);
    let one_epoch = ["--epochs", "1", "--image-size", "64"];
    let clean = dir.path().join("clean");
    run(args(&clean, &root, &one_epoch)).unwrap();
    let metrics = json(&clean.join("reports/tiny/epoch-001/metrics.json"));
    assert_eq!(pairs(&metrics), [], "no duplicates among distinct images");

    // Ten training images, two per class, saved again as validation images: JPEG, 100 px.
    let mut planted = Vec::new();
    for class in synthetic::CLASSES {
        for n in [3, 17] {
            let source = format!("{class}/{n:04}.png");
            let copy = format!("{class}/copy-{n}.jpg");
            let image = image::open(root.join("train").join(&source)).unwrap();
            let smaller = image.resize_exact(100, 100, image::imageops::FilterType::CatmullRom);
            smaller
                .to_rgb8()
                .save(root.join("val").join(&copy))
                .unwrap();
            planted.push((copy, source));
        }
    }
    let leaky = dir.path().join("leaky");
    run(args(&leaky, &root, &one_epoch)).unwrap();
    let reports = leaky.join("reports/tiny");
    let found = pairs(&json(&reports.join("epoch-001/metrics.json")));
    for (copy, source) in &planted {
        assert!(
            found.contains(&(copy.clone(), source.clone(), true)),
            "{copy} as a near-twin of {source}: {found:?}"
        );
    }
    assert_eq!(found.len(), planted.len(), "nothing else: {found:?}");
    // The browser marks them, and the run page counts them.
    let data = epoch_data(&reports, 1);
    let marked = data["images"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|im| im["tw"].is_string())
        .count();
    assert_eq!(marked, planted.len());
    let page = std::fs::read_to_string(reports.join("index.html")).unwrap();
    assert!(
        page.contains("<b>10</b> validation images have a\nnear-twin in training"),
        "{page}"
    );
}
