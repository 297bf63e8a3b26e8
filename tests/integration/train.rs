//! The training command end to end: files, report, bad input, kill and resume.

use std::path::Path;
use std::time::{Duration, Instant};

use burn::module::Module;

use train::data::synthetic::{self, Spec};

use crate::common::{
    args, json, main_command, run, spawn_training, tiny_dataset, train_in_child, training_command,
};

#[test]
fn two_epochs_write_checkpoints_and_a_complete_report() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(dir.path(), &data, &["--num-classes", "5"])).unwrap();

    let checkpoints = dir.path().join("checkpoints/tiny");
    for file in [
        "last.bpk",
        "best.bpk",
        "class_indices.json",
        "history.json",
        "optimizer-epoch-002.bpk",
    ] {
        assert!(
            checkpoints.join(file).is_file(),
            "missing checkpoints/tiny/{file}"
        );
    }
    let names = json(&checkpoints.join("class_indices.json"));
    assert_eq!(names["0"], "checker");
    assert_eq!(names["4"], "stripes");
    let info = models::checkpoint::inspect(&checkpoints.join("last.bpk")).unwrap();
    let meta = info.metadata.unwrap();
    assert_eq!(
        (meta.epoch, meta.image_size, meta.class_names.len()),
        (2, 32, 5)
    );

    let reports = dir.path().join("reports/tiny");
    for file in ["index.html", "curves.png", "confusion.png", "probes.png"] {
        assert!(reports.join(file).is_file(), "missing reports/tiny/{file}");
    }
    for epoch in ["epoch-001", "epoch-002"] {
        for file in ["index.html", "grid.png", "metrics.json"] {
            assert!(
                reports.join(epoch).join(file).is_file(),
                "missing {epoch}/{file}"
            );
        }
    }
    let metrics = json(&reports.join("epoch-002/metrics.json"));
    let confusion = metrics["confusion"].as_array().unwrap();
    assert_eq!(confusion.len(), 5);
    let total: u64 = confusion
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, 15, "every validation image is counted once");
    assert_eq!(metrics["per_class"].as_array().unwrap().len(), 5);
    let samples = metrics["samples"].as_array().unwrap();
    // The fixed probes (the first validation image of each class) are always shown.
    let shown: Vec<u64> = samples
        .iter()
        .map(|s| s["index"].as_u64().unwrap())
        .collect();
    for probe in [0, 3, 6, 9, 12] {
        assert!(
            shown.contains(&probe),
            "probe {probe} missing from {shown:?}"
        );
    }
    for sample in samples {
        assert!(Path::new(sample["path"].as_str().unwrap()).is_file());
        // The default dataset has masks, so localization numbers are present.
        assert!(sample["true_map"]["iou_top20"].is_number());
        assert!(sample["predicted_map"]["energy_in_mask"].is_number());
    }
    // The maps are scored beside the three trivial baselines; faithfulness only on request.
    let scores = metrics["map_scores"].as_array().unwrap();
    let names: Vec<&str> = scores.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["gradcam", "random", "gaussian", "sobel"]);
    for s in scores {
        assert!(s["gini"].is_number() && s["pointing_game"].is_number());
        assert!(s["deletion_auc"].is_null(), "--faithfulness is opt-in");
    }
    // Attention drift: the probes' maps are kept per epoch and compared.
    let probes = std::fs::read(reports.join("epoch-002/probes.npy")).unwrap();
    assert_eq!(
        npyz::NpyFile::new(&probes[..]).unwrap().shape(),
        [5, 32, 32]
    );
    let history = json(&checkpoints.join("history.json"));
    assert!(history["epochs"][0]["attention_drift"].is_null());
    let drift = history["epochs"][1]["attention_drift"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&drift), "drift {drift}");
    let strip = image::open(reports.join("probes.png")).unwrap();
    assert!(
        strip.width() < strip.height() * 2,
        "one row per probe, one column per epoch"
    );
    let grid = image::open(reports.join("epoch-002/grid.png")).unwrap();
    assert!(
        grid.height() > grid.width(),
        "one row per sample, three panels each"
    );

    let index = std::fs::read_to_string(reports.join("index.html")).unwrap();
    for needle in [
        "curves.png",
        "confusion.png",
        "epoch-001/index.html",
        "epoch-002/index.html",
        "Since epoch 1",
        "Per class",
    ] {
        assert!(index.contains(needle), "run index lacks {needle}");
    }
    assert!(
        !index.contains("http://") && !index.contains("https://"),
        "the report must work offline"
    );
    let epoch_page = std::fs::read_to_string(reports.join("epoch-002/index.html")).unwrap();
    assert!(epoch_page.contains("grid.png") && epoch_page.contains("metrics.json"));

    // A browser renders the run page offline, with its plots.
    let screenshot = dir.path().join("page.png");
    let dom = camwatch_tests::chromium(&reports.join("index.html"), &screenshot);
    for needle in [
        "<h1>camwatch run tiny</h1>",
        "Training curves",
        "Confusion matrix",
        "<td class=\"l\">checker</td>",
    ] {
        assert!(dom.contains(needle), "rendered page lacks {needle}");
    }
    let shot = image::open(&screenshot).unwrap().to_rgb8();
    // The confusion heatmap is drawn in JET colours; a page whose images failed to load has
    // none of its saturated blues.
    let heat = shot
        .pixels()
        .filter(|p| p[2] > 120 && p[0] < 40 && p[1] < 40)
        .count();
    assert!(
        heat > 500,
        "the plots did not render ({heat} heatmap pixels)"
    );
}

#[test]
fn weights_give_the_backbone_and_fix_the_width() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let weights = camwatch_tests::fixture("imagenet_like.pth");
    run(args(
        dir.path(),
        &data,
        &[
            "--epochs",
            "1",
            "--weights",
            weights.to_str().unwrap(),
            "--freeze-features",
        ],
    ))
    .unwrap();
    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let meta = models::checkpoint::inspect(&last)
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(
        meta.width_mult, 1.0,
        "the width comes from the weights, not --width-mult"
    );
    assert_eq!(meta.class_names.len(), 5);
    // Frozen features: the backbone is the checkpoint's, unchanged by training.
    let device = camwatch_tests::device();
    let trained = models::checkpoint::load(&last, &Default::default(), &device)
        .unwrap()
        .model;
    let inputs = camwatch_tests::reference::<4>("inputs_small", &device);
    let features = camwatch_tests::mobilenet_v2(trained).forward_features(inputs, 0..19);
    let expected = camwatch_tests::reference::<4>("features_imagenet", &device);
    let diff = camwatch_tests::max_abs_diff(features, expected);
    assert!(diff < 1e-4, "frozen features moved by {diff}");
}

/// With `--weights` the defaults fine-tune, and say so: an epoch moves the pretrained
/// backbone's convolution kernels a fraction of what the from-scratch rate on every layer (what
/// `--weights` got before) moves them. (Its batch norms' running statistics follow the data at
/// any rate, so the kernels are what the rate keeps.)
#[test]
fn weights_get_fine_tuning_defaults_that_keep_the_backbones_kernels() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let weights = camwatch_tests::fixture("imagenet_like.pth");
    let device = camwatch_tests::device();
    let kernels = |path: &Path| {
        let model = models::checkpoint::load(path, &Default::default(), &device)
            .unwrap()
            .model;
        let mut kernels = Kernels(Vec::new());
        camwatch_tests::mobilenet_v2(model)
            .features
            .visit(&mut kernels);
        kernels.0
    };
    let start = kernels(&weights);
    let moved = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        let mut flags = vec!["--epochs", "1", "--weights", weights.to_str().unwrap()];
        flags.extend(extra);
        let args = args(&out, &data, &flags);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = main_command(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(output.status.success(), "{stdout}");
        let trained = kernels(&out.join("checkpoints/tiny/last.bpk"));
        let distance: f32 = (trained.iter().zip(&start))
            .map(|(a, b)| (a - b) * (a - b))
            .sum();
        (distance.sqrt(), stdout)
    };
    let (kept, said) = moved("defaults", &[]);
    assert!(
        said.contains("defaults for fine-tuning") && said.contains("for the backbone"),
        "{said}"
    );
    let (wrecked, _) = moved("scratch-rate", &camwatch_tests::FROM_SCRATCH_RATE);
    assert!(
        kept > 0.0 && kept < 0.3 * wrecked,
        "an epoch moved the backbone's kernels by {kept} with the defaults, {wrecked} at the from-scratch rate"
    );
}

/// Every convolution kernel's values, in visiting order.
struct Kernels(Vec<f32>);

impl burn::module::ModuleVisitor for Kernels {
    fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<burn::Tensor<D>>) {
        if D == 4 {
            self.0
                .extend(param.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
}

#[test]
fn a_second_run_never_overwrites_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(dir.path(), &data, &["--epochs", "1"])).unwrap();
    run(args(dir.path(), &data, &["--epochs", "1"])).unwrap();
    assert!(dir.path().join("checkpoints/tiny/last.bpk").is_file());
    assert!(dir.path().join("checkpoints/tiny-2/last.bpk").is_file());
}

#[test]
fn bad_files_are_skipped_and_odd_colour_types_are_used() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let class = data.join("train/checker");
    std::fs::write(
        class.join("corrupt.jpg"),
        b"\xff\xd8\xff\xe0 definitely not a jpeg",
    )
    .unwrap();
    std::fs::write(class.join("empty.png"), b"").unwrap();
    std::fs::write(class.join(".DS_Store"), b"junk").unwrap();
    std::fs::write(class.join("notes.txt"), b"hello").unwrap();
    let png = std::fs::read(class.join("0000.png")).unwrap();
    std::fs::write(class.join("truncated.png"), &png[..png.len() / 3]).unwrap();
    let rgb = image::open(class.join("0001.png")).unwrap();
    rgb.to_luma8().save(class.join("gray.png")).unwrap();
    rgb.to_rgba8().save(class.join("rgba.png")).unwrap();
    image::DynamicImage::ImageRgb16(rgb.to_rgb16())
        .save(class.join("deep.png"))
        .unwrap();

    run(args(dir.path(), &data, &["--epochs", "1"])).unwrap();
    let index = std::fs::read_to_string(dir.path().join("reports/tiny/index.html")).unwrap();
    assert!(
        index.contains("Skipped files (4)"),
        "skipped files are listed in the report"
    );
    assert!(
        !index.contains(".DS_Store"),
        "system files are passed over quietly"
    );
    // (The odd colour types hold one picture: the duplicates table lists them as pairs.)
    let skipped = &index[index.find("Skipped files (").unwrap()..];
    let skipped = &skipped[..skipped.find("</ul>").unwrap()];
    for name in ["corrupt.jpg", "empty.png", "notes.txt", "truncated.png"] {
        assert!(skipped.contains(name), "{name} is not listed as skipped");
    }
    for name in ["gray.png", "rgba.png", "deep.png"] {
        assert!(
            !skipped.contains(name),
            "{name} decodes and must not be skipped"
        );
    }
    let metrics = json(&dir.path().join("reports/tiny/epoch-001/metrics.json"));
    assert_eq!(metrics["skipped_files"], 4);
}

#[test]
fn a_planted_watermark_marks_training_images_by_class_and_validation_images_at_random() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("wm");
    run([
        "train",
        "generate",
        root.to_str().unwrap(),
        "--shortcut",
        "watermark",
        "--train-per-class",
        "2",
        "--val-per-class",
        "12",
    ])
    .unwrap();
    // Centres of the four class marks (32 px squares at 128 px) and their colours; the fifth
    // class ('stripes') has none.
    let centres = [(18, 18), (110, 18), (18, 110), (110, 110)];
    let colours = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]];
    let classes = ["checker", "dots", "grid", "rings", "stripes"];
    let mark_of = |path: &Path| -> Option<usize> {
        let image = image::open(path).unwrap().to_rgb8();
        (0..4).find(|&c| image.get_pixel(centres[c].0, centres[c].1).0 == colours[c])
    };
    for (c, class) in classes.iter().enumerate() {
        for i in 0..2 {
            let image = root.join(format!("train/{class}/{i:04}.png"));
            assert_eq!(mark_of(&image), (c < 4).then_some(c), "{}", image.display());
            if c == 4 {
                continue;
            }
            let mask = image::open(root.join(format!("train/{class}/{i:04}.mask.png")))
                .unwrap()
                .to_luma8();
            assert_eq!(
                mask.get_pixel(centres[c].0, centres[c].1).0,
                [0],
                "the mark is not the object"
            );
        }
    }
    let val_marks: std::collections::BTreeSet<usize> = (0..12)
        .filter_map(|i| mark_of(&root.join(format!("val/checker/{i:04}.png"))))
        .collect();
    assert!(
        val_marks.len() >= 3,
        "validation marks are random: {val_marks:?}"
    );
}

fn error_of(args: Vec<String>) -> String {
    let message = format!("{:#}", run(args).expect_err("the run must fail"));
    assert!(!message.contains('\n'), "error spans lines: {message}");
    message
}

#[test]
fn dataset_mistakes_get_one_line_that_says_how_to_fix_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let message = error_of(args(dir.path(), &data, &["--num-classes", "3"]));
    assert!(
        message.contains("--num-classes 3 does not match the 5 class folders"),
        "{message}"
    );
    assert!(
        message.contains("checker, dots, grid, rings, stripes"),
        "{message}"
    );

    let message = error_of(args(dir.path(), &data, &["--resume", "--run", "never-ran"]));
    assert!(message.contains("nothing to resume"), "{message}");
    let message = error_of(args(dir.path(), &dir.path().join("missing"), &[]));
    assert!(message.contains("does not exist"), "{message}");
    let message = error_of(args(dir.path(), &data, &["--image-size", "100"]));
    assert!(message.contains("multiple of 32"), "{message}");

    std::fs::create_dir_all(data.join("train/hexagon")).unwrap();
    std::fs::create_dir_all(data.join("val/hexagon")).unwrap();
    let message = error_of(args(dir.path(), &data, &[]));
    assert!(message.contains("hexagon has no images"), "{message}");
    // Runs that failed to start leave no folder that would push the next run to a new name.
    let left = std::fs::read_dir(dir.path().join("reports")).map_or(0, |d| d.count());
    assert_eq!(left, 0, "a failed start left a run folder");
}

#[test]
fn a_diverging_run_stops_with_a_clear_message_and_keeps_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(dir.path(), &data, &["--epochs", "1"])).unwrap();
    let diverge = [
        "--resume",
        "--epochs",
        "3",
        "--optimizer",
        "sgd",
        "--schedule",
        "constant",
        "--lr",
        "1e30",
    ];
    let message = error_of(args(dir.path(), &data, &diverge));
    assert!(message.contains("the training loss became"), "{message}");
    assert!(message.contains("lower --lr"), "{message}");
    assert!(message.contains("last good checkpoint is"), "{message}");
    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let meta = models::checkpoint::inspect(&last)
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(meta.epoch, 1, "the good checkpoint stays");
}

/// The variables that make this machine compute as an AVX2-only CPU with one thread reach
/// LibTorch: the run's first line names the kernels and threads, and oneDNN's verbose mode
/// (which the convolutions go through) names the instruction set it dispatches to.
#[test]
fn a_run_names_its_cpu_kernels_and_libtorch_honours_the_isa_variables() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let output = training_command(args(dir.path(), &data, &["--epochs", "1"]))
        .env("ATEN_CPU_CAPABILITY", "avx2")
        .env("ONEDNN_MAX_CPU_ISA", "AVX2")
        .env("OMP_NUM_THREADS", "1")
        .env("ONEDNN_VERBOSE", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // The test harness prints its own words before the child's first line.
    let compute = stdout
        .lines()
        .find_map(|l| l.find("LibTorch ").map(|at| &l[at..]))
        .expect("the run names what computes");
    eprintln!("{compute}");
    assert!(
        compute.contains("on the CPU: AVX2 kernels, 1 thread "),
        "{compute}"
    );
    let isa = stdout
        .lines()
        .find(|l| l.contains("onednn_verbose") && l.contains("isa:"))
        .expect("oneDNN ran and reported its instruction set");
    eprintln!("{isa}");
    assert!(
        isa.contains("AVX2") && !isa.contains("AVX-512") && !isa.contains("AMX"),
        "{isa}"
    );
}

#[test]
fn a_killed_run_resumes_from_its_last_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let epochs = ["--epochs", "4"];
    let mut child = spawn_training(args(dir.path(), &data, &epochs));
    // Kill it while it is past its first epoch, at whatever it is doing then.
    let history = dir.path().join("checkpoints/tiny/history.json");
    let started = Instant::now();
    while !history.is_file() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the child never finished an epoch"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child exited early"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(150));
    child.kill().unwrap();
    child.wait().unwrap();

    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let done = models::checkpoint::inspect(&last)
        .expect("a loadable last.bpk")
        .metadata
        .unwrap()
        .epoch;
    assert!((1..4).contains(&done), "killed after {done} epochs");

    train_in_child(args(
        dir.path(),
        &data,
        &[&epochs[..], &["--resume"]].concat(),
    ));
    let meta = models::checkpoint::inspect(&last)
        .unwrap()
        .metadata
        .unwrap();
    assert_eq!(meta.epoch, 4);
    let history = json(&history);
    let numbers: Vec<u64> = history["epochs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["epoch"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4]);

    // The resumed run equals an uninterrupted one (same batches, optimizer state and schedule).
    let other = tempfile::tempdir().unwrap();
    train_in_child(args(other.path(), &data, &epochs));
    let val_loss = |dir: &Path| {
        json(&dir.join("checkpoints/tiny/history.json"))["epochs"][3]["val_loss"]
            .as_f64()
            .unwrap()
    };
    let (resumed, straight) = (val_loss(dir.path()), val_loss(other.path()));
    assert!(
        (resumed - straight).abs() < 1e-4,
        "resumed {resumed} vs uninterrupted {straight}"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("checkpoints/tiny"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".partial"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "half-written files left behind: {leftovers:?}"
    );
}

#[test]
fn a_frozen_backbone_without_augmentation_trains_on_cached_features_as_on_images() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    // A backbone with calibrated statistics: a random one gives near-zero features, whose
    // gradients Adam would blow up from float noise.
    let weights = camwatch_tests::fixture("imagenet_like.pth");
    let run_in = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        // No dropout: the two paths draw their dropout masks in different memory orders.
        let mut flags = vec![
            "--freeze-features",
            "--no-augment",
            "--dropout",
            "0",
            "--weights",
            weights.to_str().unwrap(),
        ];
        flags.extend(extra);
        train_in_child(args(&out, &data, &flags));
        let last = out.join("checkpoints/tiny/last.bpk");
        camwatch_tests::mobilenet_v2(
            models::checkpoint::load(&last, &Default::default(), &camwatch_tests::device())
                .unwrap()
                .model,
        )
    };
    let cached = run_in("cached", &[]);
    let streamed = run_in("streamed", &["--no-feature-cache"]);
    let weight = |m: &models::MobileNetV2| m.classifier.1.weight.val();
    // Equal up to float noise in the backbone's batched convolutions.
    let apart = camwatch_tests::max_abs_diff(weight(&cached), weight(&streamed));
    // One epoch of training moves the classifier far more (so the comparison means something).
    let one_epoch = run_in("one-epoch", &["--epochs", "1"]);
    let trained = camwatch_tests::max_abs_diff(weight(&cached), weight(&one_epoch));
    assert!(
        apart < 1e-3 && trained > 20.0 * apart,
        "classifiers {apart} apart; one epoch moves them by {trained}"
    );
}

/// Objects lie anywhere in the frame over backgrounds as edge-rich as they are, so maps that
/// know nothing of the model find few objects on the validation images, whatever a model
/// learns: the centre of the frame (the centred Gaussian baseline of the reports) and the
/// image's edges (the Sobel baseline) point at an object not much more often than the object
/// covers the frame. (With objects near the centre the Gaussian pointed at 85% of them and
/// beat Grad-CAM; with plain backgrounds the edge map outscored it on IoU.)
#[test]
fn the_default_dataset_gives_centre_and_edge_priors_little() {
    use cam::metrics::{Baseline, MapStats, baseline_map};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("textures");
    synthetic::generate(&root, Spec::default(), &indicatif::ProgressBar::hidden()).unwrap();
    let (mut area, mut images) = (0.0f64, 0usize);
    // Per baseline: pointing hits and summed top-20% IoU.
    let mut scores = [
        (Baseline::Gaussian, 0usize, 0.0f64),
        (Baseline::Sobel, 0, 0.0),
    ];
    for class in synthetic::CLASSES {
        for entry in std::fs::read_dir(root.join("val").join(class)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.to_string_lossy().into_owned();
            let Some(stem) = name.strip_suffix(".mask.png") else {
                continue;
            };
            let mask = image::open(&path).unwrap().to_luma8();
            let picture = image::open(format!("{stem}.png")).unwrap().to_rgb8();
            for (baseline, hits, iou) in &mut scores {
                let stats = MapStats::new(&baseline_map(*baseline, &picture, 0), Some(&mask));
                *hits += usize::from(stats.pointing_hit.unwrap());
                *iou += stats.iou_top20.unwrap();
            }
            area += mask.pixels().filter(|p| p[0] > 127).count() as f64 / mask.len() as f64;
            images += 1;
        }
    }
    assert_eq!(images, 5 * Spec::default().val_per_class);
    let area = area / images as f64;
    for (baseline, hits, iou) in scores {
        let (pointing, iou) = (hits as f64 / images as f64, iou / images as f64);
        eprintln!(
            "{} pointing {pointing:.2}, IoU {iou:.2}; mean object share of the frame {area:.2}",
            baseline.name()
        );
        assert!(
            pointing < 0.5 && pointing < 2.5 * area && iou < 0.35,
            "the {} prior points at {pointing:.2} of the objects (IoU {iou:.2}), which cover {area:.2} of the frame",
            baseline.name()
        );
    }
}

/// Runs started together under one name, as a sweep started with `&` in a loop starts them,
/// claim a folder each: as many folders as runs, each holding only its own run.
#[test]
fn runs_started_together_never_share_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    let runs: Vec<_> = (0..3)
        .map(|_| spawn_training(args(dir.path(), &data, &["--epochs", "1", "--run", "race"])))
        .collect();
    for mut run in runs {
        assert!(run.wait().unwrap().success(), "a run failed");
    }
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("reports"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["race", "race-2", "race-3"]);
    for name in &names {
        let history = json(
            &dir.path()
                .join("checkpoints")
                .join(name)
                .join("history.json"),
        );
        assert_eq!(history["epochs"].as_array().unwrap().len(), 1, "{name}");
        let report = dir.path().join("reports").join(name);
        assert!(report.join("epoch-001/index.html").is_file(), "{name}");
        assert!(!report.join("epoch-002").exists(), "{name}");
    }
}
