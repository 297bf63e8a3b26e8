//! What the mistakes are made of: label issues against a known truth and against cleanlab,
//! duplicates planted across the splits, and the calibration error against `data.js`.

use std::path::Path;

use train::data::synthetic::{self, Spec};

use crate::common::{args, epoch_data, json, run, train_in_child};

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

/// Precision and recall of `found` against `truth`.
fn precision_recall(found: &[String], truth: &[String]) -> (f64, f64) {
    let hits = found.iter().filter(|f| truth.contains(f)).count() as f64;
    (
        hits / found.len().max(1) as f64,
        hits / truth.len().max(1) as f64,
    )
}

#[test]
fn validation_label_issues_are_cleanlabs_and_the_calibration_error_is_data_js() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    let spec = Spec {
        train_per_class: 24,
        val_per_class: 20,
        seed: 5,
        label_noise: 0.1,
        ..Spec::default()
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    run(args(dir.path(), &root, &["--epochs", "3", "--lr", "0.02"])).unwrap();
    let reports = dir.path().join("reports/tiny");
    let epoch = reports.join("epoch-003");
    let metrics = json(&epoch.join("metrics.json"));
    let data = epoch_data(&reports, 3);
    let images = data["images"].as_array().unwrap();

    // The same images in the same order as cleanlab's find_label_issues with its defaults, on
    // the probabilities the epoch saved.
    let ours: Vec<u64> = (metrics["label_issues"].as_array().unwrap().iter())
        .map(|issue| issue["index"].as_u64().unwrap())
        .collect();
    let cleanlab = camwatch_tests::python_json("cleanlab_issues.py", [&epoch]);
    let theirs: Vec<u64> = (cleanlab["issues"].as_array().unwrap().iter())
        .map(|i| i.as_u64().unwrap())
        .collect();
    assert_eq!(ours, theirs);
    assert!(
        !ours.is_empty(),
        "a model three epochs in doubts some labels"
    );
    let truth: Vec<String> = (json(&root.join(synthetic::LABEL_NOISE_FILE))["moved"]
        .as_array()
        .unwrap()
        .iter())
    .filter(|m| m["split"] == "val")
    .map(|m| m["path"].as_str().unwrap().to_owned())
    .collect();
    assert_eq!(truth.len(), 10, "two of each class's 20");
    let path = |i: &u64| images[*i as usize]["f"].as_str().unwrap().to_owned();
    let found: Vec<String> = ours.iter().map(path).collect();
    let listed: Vec<String> = (metrics["label_issues"].as_array().unwrap().iter())
        .map(|issue| issue["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, found, "paths relative to the split folder");
    let (precision, recall) = precision_recall(&found, &truth);
    let reference = precision_recall(&theirs.iter().map(path).collect::<Vec<_>>(), &truth);
    assert!(precision >= reference.0 && recall >= reference.1);
    // The browser marks exactly them.
    let marked: Vec<u64> = (images.iter())
        .filter(|im| im["li"] == true)
        .map(|im| im["i"].as_u64().unwrap())
        .collect();
    let mut sorted = ours.clone();
    sorted.sort();
    assert_eq!(marked, sorted);

    // Top-1 ECE in 15 equal-width bins, from data.js's confidences and answers.
    let mut bins = [(0usize, 0.0f64, 0usize); 15];
    for im in images {
        let confidence = im["pp"].as_f64().unwrap();
        let bin = (1..=15).find(|&k| confidence <= k as f64 / 15.0).unwrap() - 1;
        bins[bin].0 += 1;
        bins[bin].1 += confidence;
        bins[bin].2 += usize::from(im["p"] == im["l"]);
    }
    let ece: f64 = bins
        .iter()
        .filter(|b| b.0 > 0)
        .map(|&(_, sum, right)| (right as f64 - sum).abs())
        .sum::<f64>()
        / images.len() as f64;
    let recorded = metrics["calibration"]["ece"].as_f64().unwrap();
    assert!((recorded - ece).abs() < 1e-6, "{recorded} against {ece}");

    // Training suspects by area under the margin, with the fields of the validation list.
    let training = json(&reports.join("label_issues.json"));
    for issue in training.as_array().unwrap() {
        assert_eq!(issue["split"], "train");
        for field in ["path", "given", "suggested", "score"] {
            assert!(!issue[field].is_null(), "{field} in {issue}");
        }
    }
}

/// Epochs of the label-noise run: the model must be good enough (about 80% right) for the
/// margins of wrong labels to stand apart.
const NOISY_EPOCHS: &str = "60";

#[test]
fn training_images_with_flipped_labels_are_found_by_their_margins() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data");
    // The generated dataset with one label in ten flipped: 200 training images per class, over
    // plain backgrounds, which a model trained from scratch learns within these epochs.
    let spec = Spec {
        background: synthetic::Background::Plain,
        label_noise: 0.1,
        ..Spec::default()
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    let out = |sub: &str| dir.path().join(sub).to_str().unwrap().to_owned();
    let flags = [
        "train",
        "--data",
        root.to_str().unwrap(),
        "--num-classes",
        "5",
        "--epochs",
        NOISY_EPOCHS,
        "--batch-size",
        "16",
        "--crop-scale",
        "0.7",
        "--checkpoints",
        &out("checkpoints"),
        "--reports",
        &out("reports"),
        "--run",
        "noisy",
        "--shortcut-audit",
        "off",
    ];
    // In a process of its own: tests running beside it in this one would draw from LibTorch's
    // random generator between its steps, and the run would differ from one suite to the next.
    train_in_child(flags.iter().map(|f| f.to_string()).collect());
    let moved = json(&root.join(synthetic::LABEL_NOISE_FILE));
    let moved: Vec<&serde_json::Value> = (moved["moved"].as_array().unwrap().iter())
        .filter(|m| m["split"] == "train")
        .collect();
    let truth: Vec<String> = moved
        .iter()
        .map(|m| m["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(truth.len(), 100);
    let suspects = json(&dir.path().join("reports/noisy/label_issues.json"));
    let found: Vec<String> = (suspects.as_array().unwrap().iter())
        .map(|s| s["path"].as_str().unwrap().to_owned())
        .collect();
    let (precision, recall) = precision_recall(&found, &truth);
    assert!(
        precision >= 0.8 && recall >= 0.8,
        "precision {precision:.2}, recall {recall:.2} of {} suspects",
        found.len()
    );
    // Most suggestions name the class the image shows (the model is about 80% right).
    let hits: Vec<&serde_json::Value> = (suspects.as_array().unwrap().iter())
        .filter(|s| truth.contains(&s["path"].as_str().unwrap().to_owned()))
        .collect();
    let right = hits
        .iter()
        .filter(|s| {
            moved
                .iter()
                .any(|m| m["path"] == s["path"] && m["truth"] == s["suggested"])
        })
        .count();
    assert!(
        right as f64 >= 0.6 * hits.len() as f64,
        "{right} of {} suggestions",
        hits.len()
    );
}
