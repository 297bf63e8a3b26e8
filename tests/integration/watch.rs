//! `train watch`: a run trained in PyTorch, reported epoch by epoch as camwatch's own runs are.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use camwatch_tests::{fixture, python, workspace};
use serde_json::Value;
use train::data::synthetic::{self, Background, Spec};

use crate::common::{json, run, training_command};

/// The generated textures at 30 training and 8 validation images per class, over plain
/// backgrounds (a model from scratch leaves chance sooner there).
fn dataset(dir: &Path) -> PathBuf {
    let root = dir.join("data");
    let spec = Spec {
        train_per_class: 30,
        val_per_class: 8,
        seed: 3,
        background: Background::Plain,
        ..Spec::default()
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    root
}

/// `train watch` in a child process (so that it can be interrupted), its output kept. It runs
/// at the tests' own priority: the other tests beside it would starve it at its default.
fn watcher(args: &[&str]) -> Child {
    let mut all = vec!["train", "watch", "--nice", "0"];
    all.extend(args);
    training_command(all.iter().map(|s| s.to_string()).collect())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `train watch --follow` of `target` on the tiny dataset `data` at 32 px, looking every 50 ms,
/// into `reports/run`.
fn following(target: &Path, data: &Path, reports: &Path, run: &str) -> Child {
    watcher(&[
        target.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--follow",
        "--poll",
        "0.05",
        "--image-size",
        "32",
        "--reports",
        reports.to_str().unwrap(),
        "--run",
        run,
    ])
}

/// The epochs a run's history holds, once it has at least `n` (waiting up to two minutes).
fn wait_for_epochs(report: &Path, n: usize) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let history = report.join("history.json");
        if let Ok(bytes) = std::fs::read(&history)
            && let Ok(value) = serde_json::from_slice::<Value>(&bytes)
        {
            let epochs = value["epochs"].as_array().cloned().unwrap_or_default();
            if epochs.len() >= n {
                return epochs;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "no {n} epochs in {}",
            history.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Ctrl-C to the watcher; its exit status and output.
fn interrupt(mut child: Child) -> (std::process::ExitStatus, String) {
    // SAFETY: kill only sends a signal to the child's process id.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let status = child.wait().unwrap();
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        stdout.read_to_string(&mut out).unwrap();
    }
    if let Some(mut stderr) = child.stderr.take() {
        stderr.read_to_string(&mut out).unwrap();
    }
    (status, out)
}

/// Each image's prediction in an epoch's `data.js`, by its path below the validation folder.
fn predictions(epoch_dir: &Path) -> Vec<(String, u64, u64)> {
    let script = std::fs::read_to_string(epoch_dir.join("data.js")).unwrap();
    let data: Value =
        serde_json::from_str(&script[script.find('(').unwrap() + 1..script.rfind(')').unwrap()])
            .unwrap();
    data["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|im| {
            (
                im["f"].as_str().unwrap().to_owned(),
                im["p"].as_u64().unwrap(),
                im["l"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The oracle: a PyTorch script trains as the Grad-CAM tutorials do (Resize((s, s)),
/// DataParallel, torch.save per epoch, class_indices.json) while `train watch --follow` runs
/// beside it. Every watched epoch lists the mistakes PyTorch itself made; Ctrl-C ends it with 0.
#[test]
fn a_pytorch_run_watched_while_it_trains_shows_pytorchs_own_answers() {
    watched_pytorch_run_answers_as_pytorch("mobilenet_v2");
}

/// The same oracle on a torchvision ResNet-18.
#[test]
fn a_pytorch_resnet18_run_watched_while_it_trains_shows_pytorchs_own_answers() {
    watched_pytorch_run_answers_as_pytorch("resnet18");
}

/// The oracle for a run of `arch`: `watch --follow`, then `gallery` and `explain` on its last
/// checkpoint, answer as PyTorch did.
fn watched_pytorch_run_answers_as_pytorch(arch: &str) {
    let dir = tempfile::tempdir().unwrap();
    let data = dataset(dir.path());
    let out = dir.path().join("pytorch");
    std::fs::create_dir_all(&out).unwrap();
    let reports = dir.path().join("reports");
    let watch = watcher(&[
        out.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--follow",
        "--poll",
        "0.2",
        "--image-size",
        "64",
        "--resize",
        "squash",
        "--reports",
        reports.to_str().unwrap(),
        "--run",
        "watched",
    ]);
    let script = workspace().join("scripts/pytorch_run.py");
    let training = std::process::Command::new(python())
        .arg(&script)
        .args([&data, &out])
        .args([
            "--epochs", "3", "--batch", "8", "--size", "64", "--arch", arch,
        ])
        .output()
        .unwrap();
    assert!(
        training.status.success(),
        "{}",
        String::from_utf8_lossy(&training.stderr)
    );
    let report = reports.join("watched");
    let epochs = wait_for_epochs(&report, 3);
    let (status, output) = interrupt(watch);
    eprintln!("{output}");
    assert!(status.success(), "Ctrl-C ends the watcher with 0: {status}");
    assert!(output.contains("classes: checker, dots, grid, rings, stripes (from"));
    assert!(output.contains("class_indices.json"), "{output}");

    let theirs: Value = json(&out.join("predictions.json"));
    for (n, epoch) in epochs.iter().enumerate() {
        let ours = predictions(&report.join(format!("epoch-{:03}", n + 1)));
        let theirs = &theirs[(n + 1).to_string()];
        let agree = ours
            .iter()
            .filter(|(path, p, _)| theirs[path].as_u64() == Some(*p))
            .count();
        let right = |answers: &mut dyn Iterator<Item = (u64, u64)>| {
            answers.filter(|(p, l)| p == l).count() as i64
        };
        let our_right = right(&mut ours.iter().map(|(_, p, l)| (*p, *l)));
        let their_right = right(
            &mut ours
                .iter()
                .map(|(path, _, l)| (theirs[path].as_u64().unwrap(), *l)),
        );
        eprintln!(
            "epoch {}: {agree} of {} answers as PyTorch's; {our_right} right, PyTorch {their_right}",
            n + 1,
            ours.len()
        );
        assert_eq!(ours.len(), 40);
        assert!(agree * 100 >= 99 * ours.len(), "epoch {}", n + 1);
        assert!((our_right - their_right).abs() <= 1);
        // The mistakes the report lists are those answers.
        let mistakes = epoch["misclassified"].as_array().unwrap().len() as i64;
        assert_eq!(mistakes, 40 - our_right);
        // The training numbers came from the script's metrics.jsonl.
        assert!(epoch["train_loss"].as_f64().is_some(), "{epoch}");
    }
    let live = std::fs::read_to_string(report.join("live.js")).unwrap();
    assert!(live.contains("\"epochs\": 3, \"running\": false"), "{live}");

    // The same checkpoint in `gallery` with --resize squash answers as PyTorch did, labelled by
    // the folder's class folders (no class_indices.json beside this copy).
    let alone = dir.path().join("alone/model.pth");
    std::fs::create_dir_all(alone.parent().unwrap()).unwrap();
    std::fs::copy(out.join("epoch_003.pth"), &alone).unwrap();
    let gallery_out = dir.path().join("gallery");
    run([
        "train",
        "gallery",
        data.join("val").to_str().unwrap(),
        "--checkpoint",
        alone.to_str().unwrap(),
        "--image-size",
        "64",
        "--resize",
        "squash",
        "--output",
        gallery_out.to_str().unwrap(),
    ])
    .unwrap();
    let gallery = json(&gallery_out.join("gallery.json"));
    assert_eq!(gallery["labelled"], true);
    let images = gallery["images"].as_array().unwrap();
    let agree = images
        .iter()
        .filter(|im| theirs["3"][im["path"].as_str().unwrap()] == im["predicted"])
        .count();
    assert!(
        agree * 100 >= 99 * images.len(),
        "{agree} of {}",
        images.len()
    );

    // `explain` with --resize squash too, on the first image of each class.
    for class in ["checker", "dots", "grid", "rings", "stripes"] {
        let image = format!("{class}/0000.png");
        let (path, explained) = (data.join("val").join(&image), dir.path().join("explain"));
        let args = [
            "train",
            "explain",
            path.to_str().unwrap(),
            "--checkpoint",
            alone.to_str().unwrap(),
            "--image-size",
            "64",
            "--resize",
            "squash",
            "--output",
            explained.to_str().unwrap(),
        ];
        let Some(train::cli::Command::Explain(args)) =
            <train::cli::Cli as clap::Parser>::try_parse_from(args)
                .unwrap()
                .command
        else {
            panic!("explain")
        };
        let report = train::explain_report(&args).unwrap();
        let ours = report.images[0].predictions[0].class as u64;
        assert_eq!(Some(ours), theirs["3"][&image].as_u64(), "{image}");
    }
}

/// A checkpoint written in slow chunks (torch.save is not atomic) is reported once it loads
/// whole, never before, and never ends the watcher.
#[test]
fn a_checkpoint_written_in_slow_chunks_is_reported_once_whole() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::common::tiny_dataset(dir.path());
    let out = dir.path().join("checkpoints");
    std::fs::create_dir_all(&out).unwrap();
    let reports = dir.path().join("reports");
    let watch = following(&out, &data, &reports, "slow");
    let bytes = std::fs::read(fixture("small_module.pth")).unwrap();
    {
        use std::io::Write;
        let mut file = std::fs::File::create(out.join("epoch_001.pth")).unwrap();
        for chunk in bytes.chunks(bytes.len() / 10 + 1) {
            file.write_all(chunk).unwrap();
            file.flush().unwrap();
            std::thread::sleep(Duration::from_millis(150));
            assert!(
                !reports.join("slow/history.json").exists(),
                "reported before the file was whole"
            );
        }
    }
    let epochs = wait_for_epochs(&reports.join("slow"), 1);
    let (status, output) = interrupt(watch);
    assert!(status.success(), "{output}");
    assert_eq!(epochs.len(), 1);
    assert!(!output.contains("skipping"), "{output}");
    // No metrics file: the pages say the training numbers are unknown.
    let page = std::fs::read_to_string(reports.join("slow/index.html")).unwrap();
    assert!(page.contains("The training numbers are unknown"));
}

/// A script that overwrites one file every epoch: each new version is an epoch.
#[test]
fn a_file_rewritten_every_epoch_gives_an_epoch_per_version() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::common::tiny_dataset(dir.path());
    let file = dir.path().join("model.pth");
    std::fs::copy(fixture("small_module.pth"), &file).unwrap();
    let reports = dir.path().join("reports");
    let watch = following(&file, &data, &reports, "single");
    wait_for_epochs(&reports.join("single"), 1);
    // The next epoch's weights, saved in place.
    std::fs::write(&file, std::fs::read(fixture("small_model.pth")).unwrap()).unwrap();
    let epochs = wait_for_epochs(&reports.join("single"), 2);
    std::thread::sleep(Duration::from_millis(500));
    let (status, output) = interrupt(watch);
    assert!(status.success(), "{output}");
    assert_eq!(epochs.len(), 2, "{output}");
}

/// Lightning's checkpoint names and its CSVLogger's metrics.csv give the epochs in order and
/// the training curves; `last.ckpt` repeats an epoch and is passed over.
#[test]
fn lightning_names_and_metrics_csv_give_training_curves() {
    let dir = tempfile::tempdir().unwrap();
    let data = crate::common::tiny_dataset(dir.path());
    let version = dir.path().join("lightning_logs/version_0");
    let checkpoints = version.join("checkpoints");
    std::fs::create_dir_all(&checkpoints).unwrap();
    for name in ["epoch=1-step=20.ckpt", "epoch=0-step=10.ckpt", "last.ckpt"] {
        std::fs::copy(fixture("small_lightning.ckpt"), checkpoints.join(name)).unwrap();
    }
    std::fs::write(
        version.join("metrics.csv"),
        "epoch,step,train_loss_step,train_loss_epoch,train_acc_epoch,val_loss\n\
         0,9,1.7,,,\n0,9,,1.6,0.3,\n0,9,,,,1.5\n1,19,1.2,,,\n1,19,,1.1,0.55,\n",
    )
    .unwrap();
    let reports = dir.path().join("reports");
    run([
        "train",
        "watch",
        "--nice",
        "0",
        checkpoints.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
        "--image-size",
        "32",
        "--reports",
        reports.to_str().unwrap(),
    ])
    .unwrap();
    // The run is named after the checkpoint folder.
    let history = json(&reports.join("checkpoints/history.json"));
    let epochs = history["epochs"].as_array().unwrap();
    assert_eq!(epochs.len(), 2, "last.ckpt is passed over");
    assert_eq!(epochs[0]["train_loss"], 1.6);
    assert_eq!(epochs[1]["train_accuracy"], 0.55);
    let page = std::fs::read_to_string(reports.join("checkpoints/index.html")).unwrap();
    assert!(!page.contains("The training numbers are unknown"));
    assert!(reports.join("checkpoints/curves.png").is_file());
}
