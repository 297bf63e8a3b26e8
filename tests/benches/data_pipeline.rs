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

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use burn_dataset::transform::SelectionDataset;
use train::data::{Cache, Split};
use vision::Resize;
use vision::{EvalTransform, RandomResizedCrop};

const SIZE: usize = 224;
const BATCH: usize = 32;
const MIN_SCALE: f64 = 0.08;
/// Training images of the two photo sets.
const COUNTS: [usize; 2] = [1_000, 20_000];

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
        let root = common::photos(count);
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
    let small = common::photos(COUNTS[0]);
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
    println!(
        "{}",
        serde_json::json!({
            "load_seconds": loaded,
            "epoch_seconds": epoch,
            "images": images,
            "peak_rss_mib": common::peak_rss_mib(),
        })
    );
}
