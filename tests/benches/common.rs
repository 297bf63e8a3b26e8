//! What the benchmarks share besides `camwatch_tests`: medians of repeated runs, the default
//! dataset, photo-like JPEG sets and a timed training epoch.

// Each benchmark uses a part of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use rayon::prelude::*;

/// Classes of the photo sets (folders `class0` ... `class4`).
pub const CLASSES: usize = 5;
/// Validation images per class of the photo sets.
const VAL_PER_CLASS: usize = 20;
/// Photo sizes, as cameras and web galleries give them.
const SHAPES: [(u32, u32); 4] = [(500, 375), (375, 500), (640, 480), (800, 533)];

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

/// Starts [`peak_rss_mib`] over from the memory resident now (Linux: `/proc/self/clear_refs`).
pub fn reset_peak_rss() {
    std::fs::write("/proc/self/clear_refs", "5").expect("Linux /proc/self/clear_refs");
}

/// This process's peak resident memory so far (or since [`reset_peak_rss`]), in MiB (Linux).
pub fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let peak_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    peak_kib / 1024.0
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

/// A photo set of `count` training JPEGs (and a small validation split) in
/// `target/bench-photos/<count>/{train,val}/<class>/`, generated when absent.
pub fn photos(count: usize) -> PathBuf {
    let root = camwatch_tests::workspace()
        .join("target/bench-photos")
        .join(count.to_string());
    let complete = root.join(".complete");
    if complete.exists() {
        return root;
    }
    let jobs: Vec<(&str, usize, usize)> = (0..CLASSES)
        .flat_map(|class| {
            let train = (0..count / CLASSES).map(move |i| ("train", class, i));
            let val = (0..VAL_PER_CLASS).map(move |i| ("val", class, i));
            train.chain(val)
        })
        .collect();
    let progress = indicatif::ProgressBar::new(jobs.len() as u64);
    progress.set_message(format!("generating {}", root.display()));
    jobs.par_iter().for_each(|&(split, class, i)| {
        let dir = root.join(split).join(format!("class{class}"));
        std::fs::create_dir_all(&dir).expect("writable target/");
        let photo = photo(class, i);
        photo
            .save(dir.join(format!("{i:05}.jpg")))
            .expect("JPEG encoding");
        progress.inc(1);
    });
    progress.finish_and_clear();
    std::fs::write(complete, b"").expect("writable target/");
    root
}

/// A photo-like image: smooth colour fields, a class-coloured blob and per-image grain.
fn photo(class: usize, index: usize) -> RgbImage {
    let (width, height) = SHAPES[index % SHAPES.len()];
    let seed = (class * 1_000_003 + index) as u32;
    let (cx, cy) = (
        (seed.wrapping_mul(2_654_435_761) >> 8) % width,
        (seed.wrapping_mul(40_503) >> 4) % height,
    );
    let radius = (width.min(height) / 4) as i64;
    RgbImage::from_fn(width, height, |x, y| {
        let grain = (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663) ^ seed) % 23;
        let (dx, dy) = (i64::from(x) - i64::from(cx), i64::from(y) - i64::from(cy));
        let inside = dx * dx + dy * dy < radius * radius;
        let tint = if inside { 60 * class as u32 % 256 } else { 0 };
        image::Rgb([
            ((x * 255 / width + tint + grain) % 256) as u8,
            ((y * 255 / height + grain) % 256) as u8,
            (((x + y) * 128 / (width + height)) + grain + if inside { 90 } else { 20 }) as u8,
        ])
    })
}

/// Prints a row per side of a whole-process comparison: its seconds, the images per second over
/// `images`, and the peak resident memory of its process and its largest worker, from the JSON
/// it reported (`peak_rss_mib`, `worker_peak_rss_mib`).
pub fn print_sides(images: usize, sides: &[(&str, f64, &serde_json::Value)]) {
    let width = sides
        .iter()
        .map(|(name, _, _)| name.len())
        .max()
        .unwrap_or(0);
    println!(
        "{:<width$} {:>8} {:>8} {:>13} {:>14}",
        "", "s", "img/s", "peak RSS MiB", "+ worker MiB"
    );
    let rss = |r: &serde_json::Value, key: &str| {
        r[key].as_f64().map_or("-".into(), |v| format!("{v:.0}"))
    };
    for (name, seconds, report) in sides {
        println!(
            "{name:<width$} {seconds:>8.1} {:>8.0} {:>13} {:>14}",
            images as f64 / seconds,
            rss(report, "peak_rss_mib"),
            rss(report, "worker_peak_rss_mib"),
        );
    }
}

/// Whether this process is a benchmark's measuring child (`BENCH --measure train ARGS...`):
/// then it has run `train ARGS` and printed its peak memory ([`measure`]).
pub fn measured() -> bool {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|a| a == "--measure");
    at.inspect(|&at| measure(&args[at + 1..])).is_some()
}

/// Runs the `train` command line `args` in this process, as the binary runs it, and prints its
/// peak resident memory as JSON: the camwatch side of a whole-process comparison.
fn measure(args: &[String]) {
    train::allocator::keep_freed_memory();
    assert_eq!(train::main(args), 0, "train {args:?} failed");
    println!("{}", serde_json::json!({ "peak_rss_mib": peak_rss_mib() }));
}
