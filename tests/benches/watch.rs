//! `train watch` against PyTorch's own evaluation of the same checkpoint: one epoch of a
//! watched run (every image's true-class map, the mistakes' predicted-class maps, the report)
//! on a folder of 1,000 photo-like JPEGs (500×375 to 800×533) at 224 px, MobileNetV2 and
//! ResNet-18, width 1, 5 classes (random weights, the same file on both sides), against
//! torchvision's
//! evaluation of that checkpoint with `DataLoader(num_workers=2)`. Each side runs as its own
//! process, timed whole (start-up and model loading included), and reports its peak resident
//! memory.
//!
//! Run: `cargo bench -p camwatch-tests --bench watch` (after `make setup`). The photos are
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
    for arch in ["mobilenet_v2", "resnet18"] {
        compare(arch);
    }
}

/// Times both sides on a checkpoint of `arch` (torchvision's name).
fn compare(arch: &str) {
    // A folder of class folders alone: all of it is validation.
    let folder = common::photos(IMAGES).join("train");
    let scratch = camwatch_tests::workspace()
        .join("target/bench-watch")
        .join(arch);
    let run = scratch.join("run");
    std::fs::create_dir_all(&run).expect("writable target/");
    let model = run.join("epoch_001.pth");
    let path = |p: &Path| p.to_str().expect("UTF-8 path").to_owned();
    camwatch_tests::python_json(
        "bench_gallery.py",
        ["--save-model", &path(&model), "--arch", arch],
    );
    let reports = scratch.join("reports");
    let _ = std::fs::remove_dir_all(&reports);

    let start = Instant::now();
    let mut camwatch = Command::new(std::env::current_exe().expect("this benchmark"));
    camwatch.args([
        "--measure",
        "train",
        "watch",
        &path(&run),
        "--data",
        &path(&folder),
    ]);
    camwatch.args(["--image-size", "224", "--reports", &path(&reports)]);
    let ours = camwatch_tests::json_output(&mut camwatch, "the measuring process");
    let ours_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let theirs = camwatch_tests::python_json(
        "bench_watch.py",
        [
            "--data",
            &path(&folder),
            "--checkpoint",
            &path(&model),
            "--arch",
            arch,
        ],
    );
    let theirs_seconds = start.elapsed().as_secs_f64();

    println!("one checkpoint, {IMAGES} JPEGs at 224 px, {arch} width 1, whole process");
    common::print_sides(
        IMAGES,
        &[
            ("camwatch train watch (maps, report)", ours_seconds, &ours),
            (
                "PyTorch evaluation (ImageFolder, 2 workers)",
                theirs_seconds,
                &theirs,
            ),
        ],
    );
    println!(
        "watching an epoch takes {:.2}x PyTorch's own evaluation of it",
        ours_seconds / theirs_seconds
    );
    println!();
}
