//! camwatch against pytorch-grad-cam on the same machine, in one run.
//!
//! MobileNetV2, ResNet-18, ResNet-50, VGG-16, EfficientNet-B0 and MobileNetV3-Large
//! (torchvision architectures, width 1, 1000 classes, random weights), batch 32, 224×224: a
//! plain eval forward, and Grad-CAM maps for the true and the predicted class of every image at
//! the last layer and the last at stride 16 (features.18 / features.13; layer4 / layer3;
//! features.30 / features.29; features.8 / features.5; features.16 / features.12). Prints
//! images/s of both and their ratio.
//!
//! Run: `cargo bench -p camwatch-tests --bench cam_vs_pytorch [-- ARCH ...]` (after
//! `scripts/setup.sh`, which installs PyTorch and pytorch-grad-cam into `.venv`); naming
//! architectures runs only those.

mod common;

use burn::prelude::*;
use cam::{CamEngine, Method, TargetLayer, Targets};
use common::{REPEATS, median_seconds};
use models::{Architecture, Classifier};

const BATCH: usize = 32;
const SIZE: usize = 224;

fn main() {
    train::allocator::keep_freed_memory();
    let chosen: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    for arch in ARCHITECTURES {
        if chosen.is_empty() || chosen.iter().any(|c| c == arch) {
            compare(arch);
        }
    }
}

/// The architectures compared: the default run's, the most fine-tuned ResNets, the most used
/// VGG, and the smallest EfficientNet and the larger MobileNetV3.
const ARCHITECTURES: [&str; 6] = [
    "mobilenet_v2",
    "resnet18",
    "resnet50",
    "vgg16",
    "efficientnet_b0",
    "mobilenet_v3_large",
];

/// Prints the table of `arch` (torchvision's name, width 1, 1000 classes).
fn compare(arch: &str) {
    let device = models::native::cpu();
    device.seed(0);
    let model = Architecture::parse(arch, 1000, 1.0)
        .expect("a known architecture")
        .init(&device);
    let network = model.fold();
    let network = network.as_ref();
    let layers = [
        TargetLayer::last(network),
        TargetLayer::last_at_stride_16(network),
    ];
    let names: Vec<String> = layers.iter().map(|l| l.name().to_owned()).collect();
    let (batch, size, repeats) = (BATCH.to_string(), SIZE.to_string(), REPEATS.to_string());
    let names = names.join(",");
    let options = [
        "--batch",
        &batch,
        "--size",
        &size,
        "--repeats",
        &repeats,
        "--arch",
        arch,
        "--layers",
        &names,
    ];
    let theirs = camwatch_tests::python_json("bench_gradcam.py", options);
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
    for layer in layers {
        let engine = CamEngine::new(network, Method::GradCam, std::slice::from_ref(&layer));
        let seconds = median_seconds(|| {
            engine.explain(images.clone(), &targets);
        });
        ours.push((format!("gradcam_{layer}"), seconds));
    }

    println!(
        "{arch}, batch {BATCH}, {SIZE}x{SIZE}, CPU, PyTorch threads {}; Grad-CAM rows: true + predicted class maps for every image",
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
    println!();
}
