//! The training data pipeline at 224 px on photo-like JPEGs: camwatch streaming from disk
//! (`--cache off`) and from its in-memory cache (`--cache memory`), against torchvision's
//! `ImageFolder` + `DataLoader(num_workers=2)` doing the same transforms (RandomResizedCrop
//! with scale (0.08, 1), horizontal flip, normalization), one shuffled epoch in batches of 32,
//! each batch handed over as a tensor. Each measurement runs in its own process, so its peak
//! resident memory is its own; a dataset of 1,000 and one of 20,000 training images show what
//! memory grows with (the cache only on the small one: it would need 20 GB for the large).
//!
//! Run: `cargo bench -p camwatch-tests --bench data_pipeline` (after `make setup`). The photo
//! sets are generated once under `target/bench-photos/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use burn_dataset::transform::SelectionDataset;
use cam::preprocess::{EvalTransform, RandomResizedCrop};
use image::RgbImage;
use mobilenetv2::Resize;
use rayon::prelude::*;
use train::data::{Cache, Split};

const SIZE: usize = 224;
const BATCH: usize = 32;
const MIN_SCALE: f64 = 0.08;
const CLASSES: usize = 5;
/// Training images of the two photo sets.
const COUNTS: [usize; 2] = [1_000, 20_000];
/// Validation images per class (a fixed small split: only the training epoch is measured).
const VAL_PER_CLASS: usize = 20;
/// Photo sizes, as cameras and web galleries give them.
const SHAPES: [(u32, u32); 4] = [(500, 375), (375, 500), (640, 480), (800, 533)];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--measure") {
        let cache = match args[at + 2].as_str() {
            "memory" => Cache::Memory,
            _ => Cache::Off,
        };
        measure(Path::new(&args[at + 1]), cache);
        return;
    }
    let mut rows = Vec::new();
    for count in COUNTS {
        let root = photos(count);
        // The cache keeps each decoded original (about 1 MB for these photos): 20 GB for the
        // large set, more than this machine has, so it is measured on the small one.
        let caches: &[&str] = if count == COUNTS[0] {
            &["off", "memory"]
        } else {
            &["off"]
        };
        for cache in caches {
            let mut measure = Command::new(std::env::current_exe().expect("this benchmark"));
            measure.args(["--measure", root.to_str().expect("UTF-8 path"), *cache]);
            let result = camwatch_tests::json_output(&mut measure, "the measuring process");
            rows.push((format!("camwatch --cache {cache}"), count, result));
        }
        let pytorch = camwatch_tests::python_json(
            "bench_data.py",
            [
                "--data",
                root.join("train").to_str().expect("UTF-8 path"),
                "--size",
                &SIZE.to_string(),
                "--batch",
                &BATCH.to_string(),
                "--workers",
                "2",
                "--min-scale",
                &MIN_SCALE.to_string(),
            ],
        );
        rows.push((
            "PyTorch DataLoader(num_workers=2)".to_owned(),
            count,
            pytorch,
        ));
    }
    println!(
        "{:<36} {:>7} {:>9} {:>10} {:>13} {:>14}",
        "pipeline", "images", "load s", "epoch img/s", "peak RSS MiB", "+ worker MiB"
    );
    for (name, count, r) in &rows {
        let value = |key: &str| r[key].as_f64().unwrap_or(0.0);
        println!(
            "{name:<36} {count:>7} {:>9.1} {:>10.0} {:>13.0} {:>14}",
            value("load_seconds"),
            value("images") / value("epoch_seconds"),
            value("peak_rss_mib"),
            r.get("worker_peak_rss_mib")
                .and_then(|w| w.as_f64())
                .map_or("-".to_owned(), |w| format!("{w:.0}")),
        );
    }
    // In training the model sets the pace: one epoch of the `train` command at 224 px on the
    // small set, from the cache and streamed.
    let small = photos(COUNTS[0]);
    for cache in ["memory", "off"] {
        let rate = common::epoch_images_per_second(SIZE, &small, &["--cache", cache]);
        println!(
            "training epoch at {SIZE} px (train --cache {cache}), {} images: {rate:.1} img/s",
            COUNTS[0]
        );
    }
    for name in ["camwatch --cache off", "PyTorch"] {
        let peak = |count: usize| {
            rows.iter()
                .find(|(n, c, _)| n.starts_with(name) && *c == count)
                .map(|(_, _, r)| r["peak_rss_mib"].as_f64().unwrap_or(0.0))
                .unwrap_or(0.0)
        };
        println!(
            "{name}: peak RSS grows by {:.0} MiB from {} to {} images",
            peak(COUNTS[1]) - peak(COUNTS[0]),
            COUNTS[0],
            COUNTS[1]
        );
    }
}

/// One epoch of training batches over `root`'s training split, in this process; prints JSON.
fn measure(root: &Path, cache: Cache) {
    train::allocator::keep_freed_memory();
    let device = camwatch_tests::device();
    let start = Instant::now();
    let scan = train::data::scan(root, None, 0.2, 0).expect("the photo set");
    let transform = EvalTransform {
        size: SIZE,
        resize: Resize::Crop,
    };
    let data = train::data::load(scan, transform, cache).expect("the photo set");
    let loaded = start.elapsed().as_secs_f64();
    let order = SelectionDataset::<Split, _>::new_shuffled(data.train.clone(), 0).indices;
    let crop = RandomResizedCrop {
        size: SIZE,
        min_scale: MIN_SCALE,
    };
    let start = Instant::now();
    let mut images = 0;
    for batch in data.batches(&data.train, order, BATCH, Some((crop, 0))) {
        images += batch.len();
        drop(batch.upload(&device));
    }
    let epoch = start.elapsed().as_secs_f64();
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    let peak_kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status");
    println!(
        "{}",
        serde_json::json!({
            "load_seconds": loaded,
            "epoch_seconds": epoch,
            "images": images,
            "peak_rss_mib": peak_kib / 1024.0,
        })
    );
}

/// A photo set of `count` training JPEGs (and a small validation split) in
/// `target/bench-photos/<count>/{train,val}/<class>/`, generated when absent.
fn photos(count: usize) -> PathBuf {
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
