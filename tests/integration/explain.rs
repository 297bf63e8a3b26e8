//! The `explain` and `inspect` commands.

use std::path::Path;

use clap::Parser;
use train::ExplainReport;
use train::cli::Cli;

use camwatch_tests::fixture;

fn run(args: &[&str]) -> anyhow::Result<()> {
    train::execute(Cli::try_parse_from(args)?)
}

/// What `explain` reports (and `--json` prints) for `images`, with `flags` beside the
/// checkpoint and output folder.
fn explain(images: &[&Path], checkpoint: &Path, out: &Path, flags: &[&str]) -> ExplainReport {
    let mut args = vec!["train", "explain"];
    args.extend(images.iter().map(|p| p.to_str().unwrap()));
    args.extend(["--checkpoint", checkpoint.to_str().unwrap()]);
    args.extend(["--output", out.to_str().unwrap()]);
    args.extend(flags);
    let Some(train::cli::Command::Explain(args)) = Cli::try_parse_from(args).unwrap().command
    else {
        panic!("explain")
    };
    train::explain_report(&args).unwrap()
}

/// A 120×80 photo-like test image (a bright disc on a gradient).
fn write_image(path: &Path) {
    image::RgbImage::from_fn(120, 80, |x, y| {
        let inside = (x as i32 - 40).pow(2) + (y as i32 - 40).pow(2) < 400;
        if inside {
            image::Rgb([250, 220, 30])
        } else {
            image::Rgb([x as u8, y as u8 * 2, 90])
        }
    })
    .save(path)
    .unwrap();
}

/// Reads an `.npy` header's shape.
fn npy_shape(path: &Path) -> Vec<u64> {
    let bytes = std::fs::read(path).unwrap();
    let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
    assert_eq!(npy.dtype(), npyz::DType::Plain("<f4".parse().unwrap()));
    npy.shape().to_vec()
}

#[test]
fn explain_writes_figures_overlays_and_maps_for_each_class_and_method() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disc.png");
    write_image(&image);
    let out = dir.path().join("out");
    let checkpoint = fixture("small.pth");
    run(&[
        "train",
        "explain",
        image.to_str().unwrap(),
        "--checkpoint",
        checkpoint.to_str().unwrap(),
        "--class",
        "1",
        "--class",
        "class 3",
        "--method",
        "gradcam",
        "--method",
        "eigencam",
        "--layer",
        "features.10",
        "--layer",
        "18",
        "--image-size",
        "96",
        "--guided",
        "--output",
        out.to_str().unwrap(),
    ])
    .unwrap();
    for method in ["gradcam", "eigencam"] {
        // Input | heatmap | one overlay per class.
        let figure = image::open(out.join(format!("disc.{method}.png"))).unwrap();
        assert!(figure.width() > 4 * 256, "{method}: four panels");
        // Guided backprop | guided method, per class.
        let guided = image::open(out.join(format!("disc.{method}.guided.png"))).unwrap();
        assert!(
            guided.width() >= 4 * 256,
            "{method}: two guided panels per class"
        );
        assert_eq!(
            npy_shape(&out.join(format!("disc.{method}.npy"))),
            [2, 96, 96]
        );
        assert_eq!(
            npy_shape(&out.join(format!("disc.{method}.features.10.raw.npy"))),
            [2, 6, 6]
        );
        assert_eq!(
            npy_shape(&out.join(format!("disc.{method}.features.18.raw.npy"))),
            [2, 3, 3]
        );
        for class in ["class_1", "class_3"] {
            let overlay =
                image::open(out.join(format!("disc.{method}.{class}.overlay.png"))).unwrap();
            // torchvision's evaluation crop of the 120×80 photo (a torchvision file records
            // no other): its centre 70×70, at the photo's resolution.
            assert_eq!(
                (overlay.width(), overlay.height()),
                (70, 70),
                "overlay on the part of the photo the model sees"
            );
        }
    }
}

#[test]
fn compare_layers_draws_each_layer_beside_the_fused_map() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disc.png");
    write_image(&image);
    let out = dir.path().join("out");
    let checkpoint = fixture("small.pth");
    let flags = [
        "--image-size",
        "224",
        "--class",
        "1",
        "--class",
        "2",
        "--compare-layers",
    ];
    let report = explain(&[&image], &checkpoint, &out, &flags);
    // Default layers: the last block at stride 16 and the last block, fused.
    assert_eq!(report.layers, ["features.13", "features.18"]);
    let figure_path = report.images[0].maps[0].layers_figure.clone().unwrap();
    assert_eq!(figure_path, out.join("disc.gradcam.layers.png"));
    // A row per class: features.13 | features.18 | fused.
    let figure = image::open(&figure_path).unwrap();
    assert!(
        figure.width() >= 3 * 256 && figure.width() < 4 * 256,
        "three panels a row"
    );
    assert!(
        figure.height() >= 2 * 256 && figure.height() < 3 * 256,
        "a row per class"
    );
    assert_eq!(
        npy_shape(&out.join("disc.gradcam.features.13.raw.npy")),
        [2, 14, 14]
    );
    assert_eq!(
        npy_shape(&out.join("disc.gradcam.features.18.raw.npy")),
        [2, 7, 7]
    );
}

fn error_of(args: &[&str]) -> String {
    match Cli::try_parse_from(args) {
        Err(e) => e.to_string(),
        Ok(cli) => format!("{:#}", train::execute(cli).expect_err("must fail")),
    }
}

#[test]
fn metrics_score_each_map_beside_the_baselines() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disc.png");
    write_image(&image);
    // The disc's mask beside the first image; the second has none.
    image::GrayImage::from_fn(120, 80, |x, y| {
        let inside = (x as i32 - 40).pow(2) + (y as i32 - 40).pow(2) < 400;
        image::Luma([if inside { 255 } else { 0 }])
    })
    .save(dir.path().join("disc.mask.png"))
    .unwrap();
    let unmasked = dir.path().join("plain.png");
    write_image(&unmasked);
    let (checkpoint, out) = (fixture("cam_model.pth"), dir.path().join("out"));
    let flags = ["--image-size", "64", "--metrics", "--class", "0"];
    let report = explain(&[&image, &unmasked], &checkpoint, &out, &flags);
    // The JSON that `--json` prints.
    let report = serde_json::to_value(report).unwrap();
    let image = &report["images"][0];
    let scores = &image["maps"][0]["metrics"];
    for key in [
        "entropy",
        "gini",
        "confidence_change",
        "drop_in_confidence",
        "deletion_auc",
        "insertion_auc",
    ] {
        assert!(scores[key].is_number(), "{key} missing in {scores}");
    }
    assert!(scores["increase_in_confidence"].is_boolean());
    for key in ["iou_top20", "energy_in_mask"] {
        assert!(scores[key].is_number(), "{key} with a mask: {scores}");
        let unmasked = &report["images"][1]["maps"][0]["metrics"];
        assert!(unmasked[key].is_null(), "{key} without a mask: {unmasked}");
    }
    assert!(scores["pointing_hit"].is_boolean());
    for baseline in ["random", "gaussian", "sobel"] {
        let b = &image["baselines"]["class 0"][baseline];
        assert!(
            b["deletion_auc"]
                .as_f64()
                .is_some_and(|v| (0.0..=1.0).contains(&v)),
            "{baseline}: {b}"
        );
    }
}

#[test]
fn images_with_the_same_name_get_separate_outputs() {
    let dir = tempfile::tempdir().unwrap();
    for folder in ["a", "b"] {
        std::fs::create_dir_all(dir.path().join(folder)).unwrap();
        write_image(&dir.path().join(folder).join("photo.png"));
    }
    let out = dir.path().join("out");
    let (a, b) = (
        dir.path().join("a/photo.png"),
        dir.path().join("b/photo.png"),
    );
    run(&[
        "train",
        "explain",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--checkpoint",
        fixture("small.pth").to_str().unwrap(),
        "--image-size",
        "64",
        "--output",
        out.to_str().unwrap(),
    ])
    .unwrap();
    assert!(out.join("photo-1.gradcam.png").is_file() && out.join("photo-2.gradcam.png").is_file());
}

#[test]
fn explain_bad_input_gives_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("disc.png");
    write_image(&image);
    let not_image = dir.path().join("notes.png");
    std::fs::write(&not_image, "not an image").unwrap();
    let checkpoint = fixture("small.pth");
    let (image, checkpoint) = (image.to_str().unwrap(), checkpoint.to_str().unwrap());
    let out = dir.path().join("out");
    let base = [
        "train",
        "explain",
        "--output",
        out.to_str().unwrap(),
        "--checkpoint",
    ];

    let message = error_of(&[&base[..], &[checkpoint, image, "--class", "zebra"]].concat());
    assert!(
        message.contains("unknown class 'zebra'; classes are: class 0"),
        "{message}"
    );
    let message = error_of(&[&base[..], &[checkpoint, image, "--class", "9"]].concat());
    assert!(
        message.contains("class index 9 is out of range"),
        "{message}"
    );
    let message = error_of(&[&base[..], &[checkpoint, image, "--layer", "features.19"]].concat());
    assert!(message.contains("features.0 ... features.18"), "{message}");
    let message = error_of(&[&base[..], &[checkpoint, image, "--method", "magic"]].concat());
    assert!(message.contains("unknown CAM method 'magic'"), "{message}");
    let message = error_of(&[&base[..], &[checkpoint, not_image.to_str().unwrap()]].concat());
    assert!(
        message.contains("cannot decode image") && message.contains("notes.png"),
        "{message}"
    );
    let missing = dir.path().join("missing.jpg");
    let message = error_of(&[&base[..], &[checkpoint, missing.to_str().unwrap()]].concat());
    assert!(message.contains("cannot read image"), "{message}");
    let truncated = fixture("truncated.pth");
    let message = error_of(&[&base[..], &[truncated.to_str().unwrap(), image]].concat());
    assert!(message.contains("truncated or corrupt"), "{message}");
    assert!(
        !out.join("disc.gradcam.png").exists(),
        "nothing is written on error"
    );
}

#[test]
fn inspect_reads_every_format() {
    for name in [
        "small.pth",
        "small_lightning.ckpt",
        "small_module.safetensors",
    ] {
        let path = fixture(name);
        run(&["train", "inspect", path.to_str().unwrap()]).unwrap();
        run(&["train", "inspect", "--json", path.to_str().unwrap()]).unwrap();
    }
    let message = error_of(&["train", "inspect", fixture("empty.pth").to_str().unwrap()]);
    assert!(message.contains("is empty"), "{message}");
}

/// The library example (`crates/cam/examples/gradcam.rs`) explains an image through the public
/// API as `explain` does: the same class and probability, and an overlay at the input size.
#[test]
fn the_library_example_computes_the_map_explain_computes() {
    let dir = tempfile::tempdir().unwrap();
    let photo = dir.path().join("disc.png");
    write_image(&photo);
    let checkpoint = fixture("small_module.pth");
    // `cargo test` builds the examples beside the test binaries: target/<profile>/examples.
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/gradcam");
    let overlay = dir.path().join("overlay.png");
    let output = std::process::Command::new(&example)
        .args([&checkpoint, &photo, &overlay])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", example.display()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "class 3 with probability 0.412, Grad-CAM at features.18"
    let words: Vec<&str> = stdout.split_whitespace().collect();
    let class: usize = words[1].parse().unwrap();
    let probability: f32 = words[4].trim_end_matches(',').parse().unwrap();
    assert_eq!(
        words[7], "features.18",
        "torchvision's 224 px: the last block"
    );

    let report = explain(&[&photo], &checkpoint, &dir.path().join("explain"), &[]);
    let top = &report.images[0].predictions[0];
    assert_eq!(top.class, class);
    assert!(
        (top.probability - probability).abs() < 1e-3,
        "{top:?} vs {probability}"
    );
    let picture = image::open(&overlay).unwrap();
    assert_eq!((picture.width(), picture.height()), (224, 224));
}
