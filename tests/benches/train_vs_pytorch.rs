//! camwatch's training against PyTorch eager on the same machine, in one run.
//!
//! MobileNetV2 (width 0.5, 5 classes; PyTorch in its default layout) and ResNet-18 (width 1, 5
//! classes; PyTorch channels-last, its fastest CPU mode for ResNets), batch 32, Adam, at the
//! default image size (96) and at 224: a training step (forward, backward, optimizer) on a
//! fixed batch, an eval forward, and one full epoch over the default dataset's training split
//! with data loading and augmentation (camwatch: the `train` command's own epoch, without its
//! validation and report). Prints images/s of both and their ratio, and each process's peak
//! resident memory during the epoch (MiB, both counted the same way: the peak since the memory
//! resident when the epoch starts, Linux's `VmHWM` after `clear_refs`; ratio camwatch /
//! PyTorch, lower is leaner).
//!
//! Run: `cargo bench -p camwatch-tests --bench train_vs_pytorch [-- ARCH ...]` (after `make
//! setup`; the default dataset is generated when absent); naming architectures runs only those.

mod common;

use std::path::Path;

use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use common::{
    REPEATS, epoch_images_per_second as epoch, median_seconds, peak_rss_mib, reset_peak_rss,
};
use models::{Architecture, Classifier};

const BATCH: usize = 32;
const CLASSES: usize = 5;

/// The architectures compared: (torchvision's name, width multiplier, PyTorch channels-last).
const ARCHITECTURES: [(&str, f64, bool); 2] =
    [("mobilenet_v2", 0.5, false), ("resnet18", 1.0, true)];

/// PyTorch eager's timings of `arch` at `size` (see `scripts/bench_train.py`).
fn pytorch(
    arch: &str,
    width: f64,
    channels_last: bool,
    size: usize,
    data: &Path,
) -> serde_json::Value {
    let options = [
        ("--size", size.to_string()),
        ("--batch", BATCH.to_string()),
        ("--repeats", REPEATS.to_string()),
        ("--arch", arch.to_owned()),
        ("--width", width.to_string()),
        ("--data", data.to_str().expect("UTF-8 path").to_owned()),
    ];
    let mut args: Vec<String> = options
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect();
    if channels_last {
        args.push("--channels-last".to_owned());
    }
    camwatch_tests::python_json("bench_train.py", args)
}

/// Median seconds of a training step and of an eval forward on a fixed random batch.
fn step_and_forward(architecture: &Architecture, size: usize, device: &Device) -> (f64, f64) {
    let autodiff = device.clone().autodiff();
    autodiff.seed(0);
    let mut model = architecture.init(&autodiff).for_training(0.2, false);
    let mut optimizer = AdamConfig::new().init();
    let images = Tensor::<4>::random(
        [BATCH, 3, size, size],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &autodiff,
    );
    let labels: Vec<i64> = (0..BATCH as i64).map(|i| i % CLASSES as i64).collect();
    let labels = Tensor::<1, Int>::from_ints(labels.as_slice(), &autodiff);
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let step = median_seconds(|| {
        let loss = loss_fn.forward(model.forward(images.clone()), labels.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(1e-3, model.clone(), grads);
        // LibTorch runs eagerly on a CPU: the update is done when the step returns.
    });
    let valid = model.valid();
    let plain = images.inner();
    let forward = median_seconds(|| {
        valid.forward(plain.clone()).into_data();
    });
    (step, forward)
}

fn main() {
    train::allocator::keep_freed_memory();
    let data = common::default_dataset();
    let device = models::native::cpu();
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for (arch, width, channels_last) in ARCHITECTURES {
        if chosen.is_empty() || chosen.iter().any(|c| c == arch) {
            compare(arch, width, channels_last, &data, &device);
        }
    }
}

/// Prints the table of `arch`.
fn compare(arch: &str, width: f64, channels_last: bool, data: &Path, device: &Device) {
    let architecture = Architecture::parse(arch, CLASSES, width).expect("a known architecture");
    let layout = if channels_last {
        "channels-last"
    } else {
        "default layout"
    };
    println!(
        "{arch} width {width}, {CLASSES} classes, batch {BATCH}, Adam, CPU, PyTorch {layout}; epoch = the default dataset's training split with decoding and augmentation"
    );
    println!(
        "{:<28} {:>14} {:>14} {:>8}",
        "", "camwatch img/s", "PyTorch img/s", "ratio"
    );
    let (arch_flag, width_flag) = (arch.to_owned(), width.to_string());
    for size in [96, 224] {
        let theirs = pytorch(arch, width, channels_last, size, data);
        let (step, forward) = step_and_forward(&architecture, size, device);
        let flags = ["--arch", &arch_flag, "--width-mult", &width_flag];
        reset_peak_rss();
        let epoch = epoch(size, data, &flags);
        let peak = peak_rss_mib();
        let their_epoch = theirs["epoch_images"].as_f64().expect("a count")
            / theirs["epoch"].as_f64().expect("a timing");
        let rows = [
            (
                "train step",
                BATCH as f64 / step,
                BATCH as f64 / theirs["step"].as_f64().expect("a timing"),
            ),
            (
                "eval forward",
                BATCH as f64 / forward,
                BATCH as f64 / theirs["forward"].as_f64().expect("a timing"),
            ),
            ("epoch with data loading", epoch, their_epoch),
        ];
        for (name, ours, theirs) in rows {
            let label = format!("{name} {size}px");
            println!(
                "{label:<28} {ours:>14.1} {theirs:>14.1} {:>7.2}x",
                ours / theirs
            );
        }
        let their_peak = theirs["epoch_peak_rss_mib"].as_f64().expect("a peak");
        println!(
            "{:<28} {peak:>14.0} {their_peak:>14.0} {:>7.2}x",
            format!("epoch peak RSS MiB {size}px"),
            peak / their_peak
        );
    }
    println!();
}
