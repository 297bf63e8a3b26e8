//! What the benchmarks share besides `camwatch_tests`: medians of repeated runs, the default
//! dataset and a timed training epoch.

// Each benchmark uses a part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

/// Timed runs per measurement, after one warm-up.
pub const REPEATS: usize = 5;

/// Median seconds of `REPEATS` runs of `f` after a warm-up.
pub fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPEATS / 2]
}

/// The default dataset (`datasets/textures`), generated when absent.
pub fn default_dataset() -> PathBuf {
    let data = camwatch_tests::workspace().join("datasets/textures");
    if !train::data::synthetic::is_complete(&data) {
        let hidden = indicatif::ProgressBar::hidden();
        train::data::synthetic::generate(&data, Default::default(), &hidden)
            .expect("default dataset");
    }
    data
}

/// Training images/s of one epoch of the `train` command at `size` (its own timing), with
/// `extra` flags.
pub fn epoch_images_per_second(size: usize, data: &Path, extra: &[&str]) -> f64 {
    let scratch = tempfile::tempdir().expect("a temporary folder");
    let dir = scratch.path().to_str().expect("UTF-8 path");
    let size = size.to_string();
    let args = [
        "train",
        "--data",
        data.to_str().expect("UTF-8 path"),
        "--checkpoints",
        dir,
        "--reports",
        dir,
        "--run",
        "bench",
        "--image-size",
        &size,
        "--epochs",
        "1",
        "--num-classes",
        "5",
    ];
    let args = args.iter().chain(extra);
    train::execute(<train::cli::Cli as clap::Parser>::parse_from(args)).expect("a training epoch");
    let history = std::fs::read(scratch.path().join("bench/history.json")).expect("history");
    let history: serde_json::Value = serde_json::from_slice(&history).expect("JSON history");
    history["epochs"][0]["images_per_second"]
        .as_f64()
        .expect("images/s")
}
