//! Fine-tuning defaults against PyTorch's transfer-learning tutorial, from the same backbone.
//!
//! The backbone is camwatch's default run (MobileNetV2 width 0.5 trained from scratch on the
//! generated textures, 96 px), exported with torchvision's names: it has never seen the five
//! other textures (`scripts/finetune.py --draw`: bricks, crosshatch, dashes, concentric
//! squares, waves) it is then fine-tuned on, 200 training and 50 validation images per class,
//! 96 px, crops of at least half the frame on both sides. Each side fine-tunes it for `EPOCHS`
//! epochs and reports every epoch's validation accuracy:
//! - camwatch's defaults with `--weights` (the fine-tuning recipe the run's first lines name);
//! - camwatch with the from-scratch learning rate (5e-3 on every layer, no warm-up): what
//!   `--weights` gave before it had defaults of its own;
//! - camwatch's `--freeze-features` (only the new classifier learns);
//! - the tutorial's recipe (SGD 0.001, momentum 0.9, StepLR 7/0.1) as written (batches of 4)
//!   and in camwatch's batches of 32.
//!
//! Run: `cargo bench -p camwatch-tests --bench finetune` (after `make setup`; the backbone's
//! training takes the default run's few minutes once, then each row about a minute on 2 cores).
//! The backbone and the target dataset are kept under `target/bench-finetune/`.

mod common;

use std::path::Path;

/// Fine-tuning epochs on each side.
const EPOCHS: usize = 5;

fn main() {
    let scratch = camwatch_tests::workspace().join("target/bench-finetune");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    let runs = scratch.join("runs");
    let backbone = scratch.join("textures.safetensors");
    if !backbone.exists() {
        let _ = std::fs::remove_dir_all(runs.join("backbone"));
        let (runs, backbone) = (path(&runs), path(&backbone));
        // The default run's flags, spelled out: `--data` alone would train as on user data.
        let textures = path(&common::default_dataset());
        let train = [
            "train",
            "--data",
            &textures,
            "--epochs",
            "40",
            "--crop-scale",
            "0.7",
        ];
        let output = [
            "--run",
            "backbone",
            "--checkpoints",
            &runs,
            "--reports",
            &runs,
        ];
        let args = train.iter().chain(&output);
        assert_eq!(train::main(args), 0, "the backbone's training failed");
        let last = format!("{runs}/backbone/last.bpk");
        assert_eq!(train::main(["train", "export", &last, &backbone]), 0);
    }
    let data = scratch.join("other-textures");
    if !data.join("val").is_dir() {
        camwatch_tests::python_json("finetune.py", ["--draw", &path(&data)]);
    }

    let epochs = EPOCHS.to_string();
    let camwatch = |name: &str, extra: &[&str]| -> Vec<f64> {
        let run = runs.join(name);
        let _ = std::fs::remove_dir_all(&run);
        let (folder, runs, weights) = (path(&data), path(&runs), path(&backbone));
        let mut args = vec!["train", "--data", &folder];
        args.extend([
            "--weights",
            &weights,
            "--epochs",
            &epochs,
            "--image-size",
            "96",
        ]);
        args.extend(["--checkpoints", &runs, "--reports", &runs, "--run", name]);
        args.extend(["--crop-scale", "0.5", "--shortcut-audit", "off"]);
        args.extend(extra);
        let args: Vec<String> = args.into_iter().map(String::from).collect();
        assert_eq!(train::main(&args), 0, "train {args:?} failed");
        let history = std::fs::read(run.join("history.json")).expect("history.json");
        let history: serde_json::Value = serde_json::from_slice(&history).expect("JSON");
        history["epochs"]
            .as_array()
            .expect("epochs")
            .iter()
            .map(|e| e["val_accuracy"].as_f64().expect("accuracy"))
            .collect()
    };
    let pytorch = |batch: &str| -> Vec<f64> {
        let result = camwatch_tests::python_json(
            "finetune.py",
            [
                "--data",
                &path(&data),
                "--weights",
                &path(&backbone),
                "--epochs",
                &epochs,
                "--batch",
                batch,
                "--crop-scale",
                "0.5",
            ],
        );
        serde_json::from_value(result["val_accuracy"].clone()).expect("accuracies")
    };
    let rows = [
        ("camwatch, --weights defaults", camwatch("defaults", &[])),
        (
            "camwatch, --lr 5e-3 everywhere, no warm-up",
            camwatch("scratch-lr", &camwatch_tests::FROM_SCRATCH_RATE),
        ),
        (
            "camwatch, --freeze-features",
            camwatch("frozen", &["--freeze-features"]),
        ),
        ("PyTorch tutorial, batches of 4", pytorch("4")),
        ("PyTorch tutorial, batches of 32", pytorch("32")),
    ];
    let width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    print!("{:<width$}", "validation accuracy after epoch");
    for epoch in 1..=EPOCHS {
        print!(" {epoch:>6}");
    }
    println!();
    for (name, accuracies) in &rows {
        print!("{name:<width$}");
        for a in accuracies {
            print!(" {:>5.1}%", 100.0 * a);
        }
        println!();
    }
}
