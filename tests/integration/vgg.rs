//! The VGG family against torchvision and pytorch-grad-cam, on numpy-drawn weights with random
//! batch-norm statistics (`scripts/vgg_fixtures.py`), and trained through `train --arch`.

use burn::prelude::*;
use cam::{CamEngine, Method, TargetLayer, Targets};
use camwatch_tests::{device, max_abs_diff, tensor_from};
use models::checkpoint;
use models::{Architecture, Classifier};

const CAM: &str = "vgg/cam_vgg11_bn.safetensors";
const CLASSES: [usize; 2] = [0, 2];

#[test]
fn every_variant_matches_torchvision_logits_and_is_read_off_its_keys() {
    let variants = models::vgg::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("vgg", &variants);
}

/// Every method's maps at the last max pooling (`features[-1]`, pytorch-grad-cam's README
/// choice) and the fourth (stride 16) equal pytorch-grad-cam's, on a
/// vgg11_bn an eighth as wide as torchvision's.
#[test]
fn maps_match_pytorch_grad_cam_at_the_last_and_the_fourth_pooling() {
    let device = device();
    let network = crate::common::load("vgg/cam_vgg11_bn.pth", &device)
        .model
        .fold();
    let network = network.as_ref();
    let inputs = tensor_from::<4>(CAM, "inputs", &device);
    let mut failures = Vec::new();
    for method in Method::ALL {
        for (tag, layer) in [("last", "features[-1]"), ("pool4", "features.21")] {
            let tag = format!("{method}/{tag}");
            let layers = [TargetLayer::find(network, layer).unwrap()];
            let engine = CamEngine::new(network, method, &layers);
            let explanation = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);
            let [h, w] = explanation.size;
            let ours =
                Tensor::<3>::from_data(TensorData::new(explanation.maps, [2, h, w]), &device);
            let diff = max_abs_diff(ours, tensor_from::<3>(CAM, &tag, &device));
            eprintln!("vgg11_bn {tag}: max abs diff {diff:.1e}");
            if diff > 1e-3 {
                failures.push(format!("{tag}: max abs diff {diff}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel, which guides every
/// `nn.ReLU`, the classifier's included.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_vgg11_bn() {
    crate::common::guided_backprop_matches_pytorch_grad_cam("vgg/cam_vgg11_bn", &CLASSES);
}

#[test]
fn layers_are_named_by_torchvision_index_and_the_default_is_a_pooling() {
    let device = device();
    let model = Architecture::parse("vgg16_bn", 3, 0.125)
        .unwrap()
        .init(&device);
    let network = model.fold();
    let network = network.as_ref();
    let layers = network.layers();
    // 13 convolutions (each named by its ReLU) and 5 poolings.
    assert_eq!(layers.len(), 18);
    assert_eq!(
        (layers[0].as_str(), layers[17].as_str()),
        ("features.2", "features.43")
    );
    for (name, expected) in [
        ("features[-1]", "features.43"),
        ("features.33", "features.33"),
        ("42", "features.42"),
        ("features[33]", "features.33"),
    ] {
        assert_eq!(
            TargetLayer::find(network, name).unwrap().name(),
            expected,
            "{name}"
        );
    }
    assert_eq!(TargetLayer::default_for(network, 224).name(), "features.43");
    // Below 224 px the deepest layer at stride 16: the last convolution, before the pooling.
    assert_eq!(TargetLayer::default_for(network, 96).name(), "features.42");
    assert_eq!(
        TargetLayer::last_at_stride_16(network).name(),
        "features.42"
    );
}

/// A narrow VGG-11 with batch norm trains: a few steps on a fixed batch lower its loss.
#[test]
fn a_narrow_vgg11_bn_learns_a_batch() {
    crate::common::learns_a_batch("vgg11_bn", 0.125, 1e-3);
}

/// `train --arch vgg11` trains with the per-epoch report, its checkpoint says what it holds,
/// and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_vgg11_runs_with_the_report_and_explain_takes_its_checkpoint() {
    use crate::common::{args, json, run, tiny_dataset};
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(dir.path(), &data, &["--arch", "vgg11"])).unwrap();
    let reports = dir.path().join("reports/tiny");
    let record = json(&reports.join("epoch-002/metrics.json"));
    // 32 px: the last convolution (stride 16, features.19 in vgg11), not the last pooling.
    assert_eq!(record["cam_layers"][0], "features.19", "{record}");
    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let info = checkpoint::inspect(&last).unwrap();
    assert_eq!(info.architecture.variant(), "vgg11");
    assert_eq!(info.architecture.width_mult(), 0.25);
    let image = crate::common::first_validation_file(&data);
    let out = dir.path().join("explained");
    run([
        "train",
        "explain",
        "--checkpoint",
        last.to_str().unwrap(),
        "--layer",
        "features[-1]",
        "--output",
        out.to_str().unwrap(),
        image.to_str().unwrap(),
    ])
    .unwrap();
    assert!(std::fs::read_dir(&out).unwrap().count() > 0);
}
