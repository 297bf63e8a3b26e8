//! Shortcut detection end to end: a model trained briefly on images with a planted,
//! class-coloured watermark is flagged by the per-epoch audit, one trained on the same images
//! without the mark is not; with object masks (the monitor's default audit) and without them
//! (the fixed-spot search).

use std::path::{Path, PathBuf};

use camwatch_tests::device;
use models::checkpoint::{self, LoadOptions};
use train::AuditScope;
use train::data::synthetic::{self, Background, Shortcut, Spec};

/// Trains `name` for `epochs` epochs on 200 generated images per class at 96 px (about 8 s an
/// epoch on two cores, in a child process so that no test beside it shares LibTorch's random
/// generator) and returns its last epoch's audit and its data.
fn trained(
    dir: &Path,
    name: &str,
    shortcut: Option<Shortcut>,
    epochs: usize,
    batch_size: usize,
    extra: &[&str],
) -> (serde_json::Value, PathBuf) {
    let data = dir.join(name);
    let spec = Spec {
        train_per_class: 200,
        val_per_class: 8,
        seed: 0,
        shortcut,
        // Without augmentation (the marks sit in the corners), a model memorizes camouflage
        // backgrounds; over plain ones the clean model learns the objects within 9 epochs.
        background: Background::Plain,
        label_noise: 0.0,
    };
    synthetic::generate(&data, spec, &indicatif::ProgressBar::hidden()).unwrap();
    let out = |sub: &str| dir.join(sub).to_str().unwrap().to_owned();
    let (epochs, batch_size) = (epochs.to_string(), batch_size.to_string());
    let args = [
        "train",
        "--data",
        data.to_str().unwrap(),
        "--num-classes",
        "5",
        "--epochs",
        &epochs,
        "--no-augment",
        "--batch-size",
        &batch_size,
        // The marks sit in the corners: the whole frame matters.
        "--resize",
        "squash",
        "--run",
        name,
        "--checkpoints",
        &out("checkpoints"),
        "--reports",
        &out("reports"),
    ];
    let args = args.iter().chain(extra).map(|a| a.to_string()).collect();
    crate::common::train_in_child(args);
    let metrics = dir.join(format!("reports/{name}/epoch-{epochs:0>3}/metrics.json"));
    let metrics: serde_json::Value =
        serde_json::from_slice(&std::fs::read(metrics).unwrap()).unwrap();
    (metrics["attention"].clone(), data)
}

/// The report folder of run `name`'s last epoch.
fn last_epoch(dir: &Path, name: &str) -> PathBuf {
    let reports = dir.join(format!("reports/{name}"));
    let last = std::fs::read_dir(&reports)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().into_string().ok())
        .filter(|n| n.starts_with("epoch-"))
        .max()
        .expect("at least one epoch");
    reports.join(last)
}

/// One class's verdict: flagged, not flagged, or not audited (with the reason).
#[derive(Debug, PartialEq)]
enum Verdict {
    Flagged,
    Clear,
    NotAudited(String),
}

/// Every class has an entry, audited or not; returns the flagged classes, checking that only
/// classes where it is legitimate went unaudited: a marked class is always audited (the mark
/// makes its training images easy), the others only for too few right answers.
fn flagged_in(verdicts: &[(String, Verdict)], marked: &[&str]) -> Vec<String> {
    assert_eq!(verdicts.len(), 5, "every class has an entry: {verdicts:?}");
    for (class, verdict) in verdicts {
        if let Verdict::NotAudited(reason) = verdict {
            eprintln!("  {class}: not audited ({reason})");
            assert!(
                !marked.contains(&class.as_str()),
                "marked class {class} was not audited: {reason}"
            );
            assert!(reason.contains("classified correctly"), "{class}: {reason}");
        }
    }
    let audited = verdicts
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::NotAudited(_)))
        .count();
    assert!(
        audited >= 3,
        "a verdict needs audited classes; only {audited} of 5: {verdicts:?}"
    );
    verdicts
        .iter()
        .filter(|(_, v)| *v == Verdict::Flagged)
        .map(|(c, _)| c.clone())
        .collect()
}

fn verdict(flagged: bool, not_audited: Option<String>) -> Verdict {
    match (not_audited, flagged) {
        (Some(reason), _) => Verdict::NotAudited(reason),
        (None, true) => Verdict::Flagged,
        (None, false) => Verdict::Clear,
    }
}

/// The monitor's audit (object masks) of the last epoch.
fn with_masks(audit: &serde_json::Value, dir: &Path, name: &str, marked: &[&str]) -> Vec<String> {
    let classes: Vec<(String, Verdict)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let class = a["class"].as_str().unwrap().to_owned();
            if let Some(reason) = a["not_audited"].as_str() {
                return (class, Verdict::NotAudited(reason.to_owned()));
            }
            assert!(a["object_only"].is_number(), "the masked audit ran: {a}");
            // The margins the docs quote (shown with `--nocapture`).
            let background = a["background_only"].as_f64().unwrap();
            let lead = background - a["object_only"].as_f64().unwrap();
            let own = background - a["background_elsewhere"].as_f64().unwrap_or(0.0);
            eprintln!(
                "{name} {}: background-only lead {lead:.2} over the object, {own:.2} over other classes' backgrounds",
                a["class"]
            );
            if a["flagged"] == true {
                let evidence = a["evidence"]
                    .as_str()
                    .expect("flagged classes have evidence");
                let file = last_epoch(dir, name).join(evidence);
                assert!(file.is_file(), "{}", file.display());
            }
            (class, verdict(a["flagged"] == true, None))
        })
        .collect();
    flagged_in(&classes, marked)
}

/// The fixed-spot audit of the trained model on its data with every mask deleted.
fn without_masks(dir: &Path, name: &str, data: &Path, marked: &[&str]) -> Vec<String> {
    for split in std::fs::read_dir(data).unwrap().flatten() {
        for class in std::fs::read_dir(split.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            for file in std::fs::read_dir(class.path()).unwrap().flatten() {
                if file.path().to_string_lossy().ends_with(".mask.png") {
                    std::fs::remove_file(file.path()).unwrap();
                }
            }
        }
    }
    let device = device();
    let checkpoint = dir.join(format!("checkpoints/{name}/last.bpk"));
    let model = checkpoint::load(&checkpoint, &LoadOptions::default(), &device)
        .unwrap()
        .model;
    let scan = train::data::scan(data, None, 0.2, 0).unwrap();
    let transform = vision::EvalTransform {
        size: 96,
        resize: vision::Resize::Squash,
    };
    let data = train::data::load(scan, transform, train::data::Cache::Memory).unwrap();
    let audit = train::audit_attention(&model, &data, AuditScope::All, &device, dir).unwrap();
    let classes: Vec<(String, Verdict)> = audit
        .iter()
        .map(|a| {
            if a.not_audited.is_none() {
                assert!(a.fixed_spot.is_some() && a.object_only.is_none());
                eprintln!(
                    "{name} {}: fixed spot {:.2}",
                    a.class,
                    a.fixed_spot.unwrap()
                );
            }
            (a.class.clone(), verdict(a.flagged, a.not_audited.clone()))
        })
        .collect();
    flagged_in(&classes, marked)
}

#[test]
fn a_planted_watermark_is_flagged_and_clean_images_are_not() {
    planted_watermark_is_flagged_and_clean_images_are_not(&[]);
}

/// The same with a narrow ResNet-18 (base width 16).
#[test]
fn a_planted_watermark_is_flagged_and_clean_images_are_not_with_a_resnet18() {
    planted_watermark_is_flagged_and_clean_images_are_not(&[
        "--arch",
        "resnet18",
        "--width-mult",
        "0.25",
    ]);
}

/// The watermarked and the clean run of the network `extra` flags choose.
fn planted_watermark_is_flagged_and_clean_images_are_not(extra: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();

    // The first four classes carry their own mark; 'stripes' carries none, so for the model
    // it is "no mark" and rests on no spot at all.
    let marked = ["checker", "dots", "grid", "rings"];
    // Batches of 16, twice the steps of the default, for 8 epochs: with 32, how firmly the marks
    // were learned by epoch 6 varied with the CPU setting (one class's mask-free score fell to
    // 0.42 under AVX2 with one thread), and with 16 for 6 epochs AVX2 with two threads left
    // 'dots' resting on its object (0.00). With 8 epochs the marked classes score 0.77-1.00
    // with masks under this host's kernels, AVX2, and AVX2 with one thread.
    let (audit, data) = trained(dir, "watermark", Some(Shortcut::Watermark), 8, 16, extra);
    // What the marks teach does not carry over to validation, whose marks are random.
    let page =
        |name: &str| std::fs::read_to_string(last_epoch(dir, name).join("index.html")).unwrap();
    const GAP: &str = "Nothing learned carries over to validation";
    assert!(page("watermark").contains(GAP), "no generalization warning");
    let flagged = with_masks(&audit, dir, "watermark", &marked);
    assert_eq!(flagged, marked, "with masks");
    let flagged = without_masks(dir, "watermark", &data, &marked);
    assert_eq!(flagged, marked, "without masks");

    // Without marks, the objects take longer: the audit waits for 50% training accuracy,
    // which one thread reached only at epoch 7 (48% at epoch 6).
    let (audit, data) = trained(dir, "clean", None, 9, 32, extra);
    assert!(
        !page("clean").contains(GAP),
        "a false generalization warning"
    );
    let flagged = with_masks(&audit, dir, "clean", &[]);
    assert!(
        flagged.is_empty(),
        "with masks, false alarm for {flagged:?}"
    );
    let flagged = without_masks(dir, "clean", &data, &[]);
    assert!(
        flagged.is_empty(),
        "without masks, false alarm for {flagged:?}"
    );
}
