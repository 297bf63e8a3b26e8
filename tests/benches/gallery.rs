//! `train gallery` against the same loop written with torchvision and pytorch-grad-cam: a
//! labelled folder of 1,000 photo-like JPEGs (500×375 to 800×533) at 224 px, MobileNetV2 and
//! ResNet-18, width 1, 5 classes (random weights, the same file on both sides), Grad-CAM at
//! pytorch-grad-cam's recommended layer (features.18, layer4) for
//! the predicted and the true class, and per image the picture, both heatmaps and the maps as
//! `.npy`, plus `predictions.csv` (camwatch also writes `gallery.json` and its page). Each side
//! runs as its own process, timed whole (start-up and model loading included); each reports
//! its own peak resident memory.
//!
//! Run: `cargo bench -p camwatch-tests --bench gallery` (after `make setup`). The photos are
//! generated once under `target/bench-photos/`.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Instant;

/// Images in the folder.
const IMAGES: usize = 1_000;

fn main() {
    if common::measured() {
        return;
    }
    for (arch, layer) in [("mobilenet_v2", "features.18"), ("resnet18", "layer4")] {
        compare(arch, layer);
    }
}

/// Times both sides on a checkpoint of `arch` (torchvision's name), Grad-CAM at `layer`.
fn compare(arch: &str, layer: &str) {
    let folder = common::photos(IMAGES).join("train");
    let scratch = camwatch_tests::workspace()
        .join("target/bench-gallery")
        .join(arch);
    std::fs::create_dir_all(&scratch).expect("writable target/");
    let model = scratch.join(format!("{arch}.pth"));
    let names = scratch.join("class_names.json");
    let classes: Vec<String> = (0..common::CLASSES).map(|c| format!("class{c}")).collect();
    std::fs::write(&names, serde_json::to_string(&classes).unwrap()).expect("writable target/");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    camwatch_tests::python_json(
        "bench_gallery.py",
        ["--save-model", &path(&model), "--arch", arch],
    );

    let start = Instant::now();
    let mut camwatch = Command::new(std::env::current_exe().expect("this benchmark"));
    camwatch.args([
        "--measure",
        "train",
        "gallery",
        &path(&folder),
        "--checkpoint",
    ]);
    camwatch.args([path(&model), "--class-names".into(), path(&names)]);
    camwatch.args(["--image-size", "224", "--layer", layer, "--output"]);
    camwatch.arg(path(&scratch.join("camwatch")));
    let ours = camwatch_tests::json_output(&mut camwatch, "the measuring process");
    let ours_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let theirs = camwatch_tests::python_json(
        "bench_gallery.py",
        [
            "--data",
            &path(&folder),
            "--checkpoint",
            &path(&model),
            "--out",
            &path(&scratch.join("pytorch")),
            "--arch",
            arch,
        ],
    );
    let theirs_seconds = start.elapsed().as_secs_f64();

    println!(
        "gallery of {IMAGES} JPEGs at 224 px, {arch}, Grad-CAM at {layer} for the predicted and the true class, whole process"
    );
    common::print_sides(
        IMAGES,
        &[
            ("camwatch train gallery", ours_seconds, &ours),
            (
                "torchvision + pytorch-grad-cam (2 workers)",
                theirs_seconds,
                &theirs,
            ),
        ],
    );
    println!(
        "camwatch is {:.2}x the speed of torchvision + pytorch-grad-cam",
        theirs_seconds / ours_seconds
    );
    println!();
}
