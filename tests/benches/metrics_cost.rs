//! What each part of the per-epoch monitor costs, as a share of a training epoch at the default
//! settings (96 px, width 0.5, batch 32, the default dataset's 1000 training and 200 validation
//! images, 8 + 5 images shown). Anything over 5% is opt-in in the `train` command. The model is
//! untrained (most answers wrong), so the rows that grow with the mistakes are upper bounds.
//!
//! Run: `cargo bench -p camwatch-tests --bench metrics_cost` (the default dataset is generated when
//! absent).

mod common;

use burn::prelude::*;
use burn_dataset::Dataset;
use cam::metrics::{
    Baseline, MapStats, baseline_map, faithfulness, object_reliance, occlusion_drops,
};
use cam::{CamEngine, Method, TargetLayer, Targets};
use common::median_seconds;

/// The median of `values`.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}
use models::MobileNetV2Config;
use train::data::{Batch, Sample};

/// Images in an epoch report at the defaults (`--report-samples 8`, `--probes 5`).
const REPORT_IMAGES: usize = 13;
/// Images per class of the shortcut audit.
const AUDIT_PER_CLASS: usize = 16;
const SIZE: usize = 96;

fn main() {
    train::allocator::keep_freed_memory();
    let root = common::default_dataset();
    let scan = train::data::scan(&root, None, 0.2, 42).expect("the default dataset");
    let transform = vision::EvalTransform {
        size: SIZE,
        resize: vision::Resize::Squash,
    };
    let data = train::data::load(scan, transform, train::data::Cache::Memory)
        .expect("the default dataset");
    let epoch = data.train.len() as f64 / common::epoch_images_per_second(SIZE, &root, &[]);

    let device = models::native::cpu();
    device.seed(0);
    let model = MobileNetV2Config::new(data.classes.len())
        .with_width_mult(0.5)
        .init(&device);
    let batch = |samples: &[Sample]| Batch::new(samples, &data.normalization, &device);

    let report: Vec<Sample> = data.val.samples(&(0..REPORT_IMAGES).collect::<Vec<_>>());
    let images = batch(&report).images;
    let pictures = vision::denormalize(images.clone(), &data.normalization);
    let labels: Vec<usize> = report.iter().map(|s| s.label).collect();
    let network = model.fold();
    let network = &network;
    let layer = TargetLayer::default_for(network, data.image_size);
    let engine = CamEngine::new(network, Method::GradCam, std::slice::from_ref(&layer));
    let explanation = engine.explain(images.clone(), &[Targets::Classes(labels.clone())]);
    let maps: Vec<Vec<f32>> = (0..REPORT_IMAGES)
        .map(|i| explanation.map(0, i).to_vec())
        .collect();
    let baselines: Vec<Vec<f32>> = Baseline::ALL
        .iter()
        .flat_map(|&b| {
            pictures
                .iter()
                .enumerate()
                .map(move |(i, p)| baseline_map(b, p, i as u64))
        })
        .collect();

    let audit: Vec<Sample> = (0..data.classes.len())
        .flat_map(|c| {
            data.train
                .iter()
                .filter_map(Result::ok)
                .filter(move |s| s.label == c)
                .take(AUDIT_PER_CLASS)
        })
        .collect();
    let audit_images = batch(&audit).images;
    let audit_labels: Vec<usize> = audit.iter().map(|s| s.label).collect();
    let audit_masks: Vec<&image::GrayImage> = audit
        .iter()
        .map(|s| s.mask.as_ref().expect("the default dataset has masks"))
        .collect();
    let audit_engine = CamEngine::new(
        network,
        Method::GradCam,
        &[TargetLayer::last_at_stride_16(network)],
    );

    let scratch = tempfile::tempdir().expect("a temporary folder");
    let val_engine = CamEngine::new(network, Method::GradCam, &[layer]);
    let mut val_maps: Vec<(Vec<f32>, Option<image::GrayImage>)> = Vec::new();
    train::validate(&val_engine, &data, &device, |batch| {
        for (j, sample) in batch.samples.iter().enumerate() {
            val_maps.push((batch.true_map(j).0.to_vec(), sample.mask.clone()));
        }
    });
    let mut forward = Vec::new();
    let mut audit = train::Audit::new(data.classes.len(), network);
    let audit_step = |audit: &mut train::Audit| {
        let dir = scratch.path();
        audit
            .run(
                &audit_engine,
                &data,
                train::AuditScope::Masks,
                &device,
                dir,
                Some(1),
            )
            .expect("an audit step");
    };
    for _ in 0..8 {
        audit_step(&mut audit); // fill the window, as after eight audited epochs
    }
    let rows: Vec<(&str, &str, f64)> = vec![
        (
            "maps of every validation image (200 + mistakes)",
            "always",
            median_seconds(|| {
                let (_, seconds) = train::validate(&val_engine, &data, &device, |_| {});
                forward.push(seconds);
            }) - median(&forward),
        ),
        (
            "statistics of every validation map (200)",
            "always",
            median_seconds(|| {
                for (map, mask) in &val_maps {
                    MapStats::new(map, mask.as_ref());
                }
            }),
        ),
        (
            "baseline maps + statistics (3 x 200)",
            "once a run",
            median_seconds(|| {
                for b in Baseline::ALL {
                    for (i, (_, mask)) in val_maps.iter().enumerate() {
                        let picture = &pictures[i % REPORT_IMAGES];
                        MapStats::new(&baseline_map(b, picture, i as u64), mask.as_ref());
                    }
                }
            }),
        ),
        (
            "rolling shortcut audit, one epoch (2 per class)",
            "always",
            median_seconds(|| audit_step(&mut audit)),
        ),
        (
            "deletion/insertion AUC, confidence (52 maps)",
            "--faithfulness",
            median_seconds(|| {
                let all = Tensor::cat(vec![images.clone(); 1 + Baseline::ALL.len()], 0);
                let every: Vec<Vec<f32>> = maps.iter().chain(&baselines).cloned().collect();
                faithfulness(
                    audit_engine.model(),
                    all,
                    &every,
                    &labels.repeat(1 + Baseline::ALL.len()),
                );
            }),
        ),
        (
            "audit of a checkpoint with masks (80 images)",
            "train::audit_attention",
            median_seconds(|| {
                audit_engine.explain(audit_images.clone(), &[Targets::Predicted]);
                object_reliance(
                    audit_engine.model(),
                    audit_images.clone(),
                    &audit_masks,
                    &audit_labels,
                );
            }),
        ),
        (
            "audit of a checkpoint without masks (80 images)",
            "--shortcut-audit all",
            median_seconds(|| {
                audit_engine.explain(audit_images.clone(), &[Targets::Predicted]);
                occlusion_drops(
                    audit_engine.model(),
                    audit_images.clone(),
                    &audit_labels,
                    SIZE / 4,
                    SIZE / 8,
                );
            }),
        ),
        (
            "attention drift (5 probe maps, .npy round trip)",
            "always",
            median_seconds(|| {
                let file = scratch.path().join("probes.npy");
                let probes = maps[..5].concat();
                cam::render::npy::save_npy(&probes, &[5, SIZE, SIZE], &file).expect("written");
                let bytes = std::fs::read(&file).expect("read");
                let back: Vec<f32> = npyz::NpyFile::new(&bytes[..])
                    .and_then(|f| f.into_vec())
                    .expect("an array");
                let _ = back
                    .iter()
                    .zip(&probes)
                    .map(|(a, b)| (a - b).abs())
                    .sum::<f32>();
            }),
        ),
    ];
    println!(
        "Per-epoch report metrics at the defaults ({SIZE} px, width 0.5, {} training images); one training epoch = {epoch:.1} s",
        data.train.len()
    );
    println!("{:<46} {:>9} {:>11}  when", "", "ms", "% of epoch");
    for (name, when, seconds) in rows {
        println!(
            "{name:<46} {:>9.1} {:>10.2}%  {when}",
            seconds * 1e3,
            100.0 * seconds / epoch
        );
    }
}
