//! camwatch against pytorch-grad-cam on the same machine, in one run.
//!
//! MobileNetV2 (torchvision architecture, 1000 classes, random weights), batch 32, 224×224:
//! a plain eval forward, and Grad-CAM maps for the true and the predicted class of every image
//! at features.18 and at features.14. Prints images/s of both and their ratio.
//!
//! Run: `cargo bench -p cam --bench cam_vs_pytorch` (after `scripts/setup.sh`, which installs
//! PyTorch and pytorch-grad-cam into `.venv`).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use burn::prelude::*;
use cam::{CamEngine, Method, TargetLayer, Targets};
use mobilenetv2::MobileNetV2Config;

const BATCH: usize = 32;
const SIZE: usize = 224;
const REPEATS: usize = 7;

fn median_seconds(mut f: impl FnMut()) -> f64 {
    f(); // warm-up
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

/// Runs the PyTorch side first, in its own process, so that the two never share the CPU.
fn pytorch_timings() -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let output = Command::new(root.join(".venv/bin/python"))
        .arg(root.join("scripts/bench_gradcam.py"))
        .args([
            "--batch",
            &BATCH.to_string(),
            "--size",
            &SIZE.to_string(),
            "--repeats",
            &REPEATS.to_string(),
        ])
        .output()
        .expect("run scripts/setup.sh first: .venv/bin/python is missing");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the PyTorch side")
}

#[allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.
fn main() {
    let theirs = pytorch_timings();
    let device = Device::libtorch();
    device.seed(0);
    let model = MobileNetV2Config::new(1000).init(&device);
    let images = Tensor::<4>::random(
        [BATCH, 3, SIZE, SIZE],
        burn::tensor::Distribution::Normal(0.0, 1.0),
        &device,
    );
    let labels: Vec<usize> = (0..BATCH).map(|i| (i * 37) % 1000).collect();
    let targets = [Targets::Classes(labels), Targets::Predicted];

    let valid = burn::module::Module::valid(&model);
    let mut ours = vec![(
        "eval forward".to_owned(),
        median_seconds(|| {
            valid.forward(images.clone()).into_data();
        }),
    )];
    for layer in [18, 14] {
        let engine = CamEngine::new(
            &model,
            Method::GradCam,
            &[TargetLayer::new(layer).expect("valid layer")],
        );
        let seconds = median_seconds(|| {
            engine.explain(images.clone(), &targets);
        });
        ours.push((format!("gradcam_features.{layer}"), seconds));
    }

    println!(
        "MobileNetV2, batch {BATCH}, {SIZE}x{SIZE}, CPU, PyTorch threads {}; Grad-CAM rows: true + predicted class maps for every image",
        theirs["threads"]
    );
    println!(
        "{:<40} {:>14} {:>18} {:>8}",
        "", "camwatch img/s", "PyTorch img/s", "ratio"
    );
    for (name, seconds) in &ours {
        let key = if name == "eval forward" {
            "forward"
        } else {
            name.as_str()
        };
        let theirs = theirs[key].as_f64().expect("a timing");
        let (a, b) = (BATCH as f64 / seconds, BATCH as f64 / theirs);
        let label = if name == "eval forward" {
            "eval forward (torch, no CAM)".to_owned()
        } else {
            format!("{name} (pytorch-grad-cam)")
        };
        println!("{label:<40} {a:>14.1} {b:>18.1} {:>7.2}x", a / b);
    }
    let forward = ours[0].1;
    for (name, seconds) in &ours[1..] {
        println!(
            "camwatch {name}: {:.2}x the cost of one eval forward",
            seconds / forward
        );
    }
}
