//! `train gallery` against the same loop written with torchvision and pytorch-grad-cam: a
//! labelled folder of 1,000 photo-like JPEGs (500×375 to 800×533) at 224 px, MobileNetV2 width
//! 1 with 5 classes (random weights, the same file on both sides), Grad-CAM at features.18 for
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

use clap::Parser;

/// Images in the folder.
const IMAGES: usize = 1_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--measure") {
        measure(&args[at + 1..]);
        return;
    }
    let folder = common::photos(IMAGES).join("train");
    let scratch = camwatch_tests::workspace().join("target/bench-gallery");
    std::fs::create_dir_all(&scratch).expect("writable target/");
    let model = scratch.join("mobilenet_v2.pth");
    let names = scratch.join("class_names.json");
    let classes: Vec<String> = (0..common::CLASSES).map(|c| format!("class{c}")).collect();
    std::fs::write(&names, serde_json::to_string(&classes).unwrap()).expect("writable target/");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    camwatch_tests::python_json("bench_gallery.py", ["--save-model", &path(&model)]);

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
    camwatch.args(["--image-size", "224", "--layer", "features.18", "--output"]);
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
        ],
    );
    let theirs_seconds = start.elapsed().as_secs_f64();

    println!(
        "gallery of {IMAGES} JPEGs at 224 px, Grad-CAM for the predicted and the true class, whole process"
    );
    println!(
        "{:<44} {:>8} {:>8} {:>13} {:>14}",
        "", "s", "img/s", "peak RSS MiB", "+ worker MiB"
    );
    let images = |r: &serde_json::Value| r["images"].as_f64().unwrap_or(0.0);
    let rss = |r: &serde_json::Value, key: &str| {
        r[key].as_f64().map_or("-".into(), |v| format!("{v:.0}"))
    };
    for (name, seconds, r) in [
        ("camwatch train gallery", ours_seconds, &ours),
        (
            "torchvision + pytorch-grad-cam (2 workers)",
            theirs_seconds,
            &theirs,
        ),
    ] {
        println!(
            "{name:<44} {seconds:>8.1} {:>8.0} {:>13} {:>14}",
            images(r) / seconds,
            rss(r, "peak_rss_mib"),
            rss(r, "worker_peak_rss_mib"),
        );
    }
    println!(
        "camwatch is {:.2}x the speed of torchvision + pytorch-grad-cam",
        theirs_seconds / ours_seconds
    );
}

/// `train gallery` with `args` in this process, as the `train` binary runs it; prints the
/// images explained and the peak resident memory as JSON.
fn measure(args: &[String]) {
    train::allocator::keep_freed_memory();
    let cli = train::cli::Cli::try_parse_from(args).expect("gallery arguments");
    let Some(train::cli::Command::Gallery(args)) = cli.command else {
        panic!("a gallery command")
    };
    let gallery = train::gallery(&args).expect("the gallery");
    println!(
        "{}",
        serde_json::json!({ "images": gallery.images.len(), "peak_rss_mib": common::peak_rss_mib() })
    );
}
