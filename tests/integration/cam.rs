//! The CAM engine against pytorch-grad-cam and closed-form oracles.

use burn::module::Module;
use burn::prelude::*;
use cam::{CamEngine, Method, TargetLayer, Targets};
use camwatch_tests::{device, fixture, max_abs_diff, tensor_from};
use mobilenetv2::checkpoint::{self, LoadOptions};
use mobilenetv2::{FEATURE_LAYERS, MobileNetV2};

const REFERENCE: &str = "cam_reference.safetensors";
const CLASSES: [usize; 2] = [1, 3];

fn small_model(device: &Device) -> MobileNetV2 {
    checkpoint::load(&fixture("small.pth"), &LoadOptions::default(), device)
        .unwrap()
        .model
}

fn layers(tag: &str) -> Vec<TargetLayer> {
    tag.split('+').map(|l| l.parse().unwrap()).collect()
}

fn maps_tensor(maps: &[f32], n: usize, size: [usize; 2], device: &Device) -> Tensor<3> {
    Tensor::from_data(
        TensorData::new(maps.to_vec(), [n, size[0], size[1]]),
        device,
    )
}

#[test]
fn every_method_matches_pytorch_grad_cam() {
    let device = device();
    let model = small_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let mut failures = Vec::new();
    for method in Method::ALL {
        for tag in ["18", "10", "10+18"] {
            let engine = CamEngine::new(&model, method, &layers(tag));
            let explanation = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);
            let ours = maps_tensor(&explanation.maps, 2, explanation.size, &device);
            let theirs = tensor_from::<3>(REFERENCE, &format!("{}/{tag}", method.name()), &device);
            let diff = max_abs_diff(ours, theirs);
            if diff > 1e-3 {
                failures.push(format!("{method} at {tag}: max abs diff {diff}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn grad_cam_weights_at_the_last_layer_are_the_classifier_row_over_area() {
    // features.18 -> global average pool -> linear: d logit_c / d A_k = W[c, k] / (h*w).
    let device = device();
    let model = small_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = CamEngine::new(&model, Method::GradCam, &[TargetLayer::LAST]);
    let explanation = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);

    let activations = model.forward_features(inputs, 0..FEATURE_LAYERS); // [2, C, h, w]
    let [n, c, h, w] = activations.dims();
    let weight = model.classifier.1.weight.val(); // [C, classes]
    let rows: Vec<Tensor<2>> = CLASSES
        .iter()
        .map(|&k| weight.clone().narrow(1, k, 1).reshape([1, c]))
        .collect();
    let weights = Tensor::cat(rows, 0) / (h * w) as f64; // [2, C]
    let expected = (activations * weights.reshape([n, c, 1, 1]))
        .sum_dim(1)
        .reshape([n, h, w])
        .clamp_min(0.0);
    let raw = &explanation.layer_maps[0];
    assert_eq!(raw.size, [h, w]);
    let ours = maps_tensor(&raw.data, n, raw.size, &device);
    let diff = max_abs_diff(ours, expected);
    assert!(
        diff < 1e-5,
        "raw Grad-CAM differs from the closed form by {diff}"
    );
}

#[test]
fn true_and_predicted_targets_in_one_pass_equal_separate_passes() {
    let device = device();
    let model = small_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = CamEngine::new(&model, Method::GradCamPlusPlus, &layers("10+18"));
    let both = engine.explain(
        inputs.clone(),
        &[Targets::Classes(CLASSES.to_vec()), Targets::Predicted],
    );
    let truth = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);
    let predicted = engine.explain(inputs, &[Targets::Predicted]);
    assert_eq!(both.classes[1], predicted.classes[0]);
    for image in 0..2 {
        for (target, single) in [(0, &truth), (1, &predicted)] {
            let diff = both
                .map(target, image)
                .iter()
                .zip(single.map(0, image))
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(diff < 1e-5, "target {target} image {image}: {diff}");
        }
    }
}

#[test]
fn computing_maps_leaves_the_training_model_untouched() {
    let device = device();
    let model = small_model(&device)
        .to_device(&device.clone().autodiff())
        .train();
    let snapshot = |m: &MobileNetV2| -> Vec<f32> {
        let mut values = Vec::new();
        for layer in [&m.features[0], &m.features[18]] {
            if let mobilenetv2::Feature::Conv((conv, norm)) = layer {
                for t in [
                    conv.weight.val().inner().flatten::<1>(0, 3),
                    norm.running_mean.value().inner(),
                    norm.running_var.value().inner(),
                ] {
                    values.extend(t.into_data().iter::<f32>());
                }
            }
        }
        values
    };
    let before = snapshot(&model);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = CamEngine::new(&model, Method::GradCam, &layers("10+18"));
    engine.explain(inputs.clone(), &[Targets::Predicted]);
    assert_eq!(
        before,
        snapshot(&model),
        "weights or batch-norm statistics changed"
    );
    // The training model still trains: a backward gives its parameters gradients.
    let loss = model.forward(inputs.autodiff()).sum();
    let grads = loss.backward();
    let first = &model.features[0];
    if let mobilenetv2::Feature::Conv((conv, _)) = first {
        assert!(conv.weight.val().grad(&grads).is_some());
    }
}

#[test]
fn a_firmly_rejected_class_gives_a_flagged_empty_map_not_nan() {
    let device = device();
    let model = small_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = CamEngine::new(&model, Method::HiResCam, &[TargetLayer::LAST]);
    // Explain every class: some map with no positive evidence must be flagged, and no map
    // may hold NaN.
    let classes = model.num_classes();
    let targets: Vec<Targets> = (0..classes).map(|c| Targets::Classes(vec![c; 2])).collect();
    let explanation = engine.explain(inputs, &targets);
    assert!(explanation.maps.iter().all(|v| v.is_finite()));
    for target in 0..classes {
        for image in 0..2 {
            let map = explanation.map(target, image);
            let max = map.iter().copied().fold(0.0f32, f32::max);
            assert_eq!(explanation.is_empty(target, image), max == 0.0);
        }
    }
}

#[test]
fn overlay_matches_show_cam_on_image() {
    let device = device();
    let values = |name: &str| -> Vec<f32> {
        tensor_from::<3>(REFERENCE, name, &device)
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    let bytes: Vec<u8> = values("overlay/image").iter().map(|&v| v as u8).collect();
    let image = image::RgbImage::from_raw(40, 24, bytes).unwrap();
    let mask = tensor_from::<2>(REFERENCE, "overlay/mask", &device)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let ours = cam::overlay::overlay(&image, &mask, cam::overlay::DEFAULT_IMAGE_WEIGHT);
    let theirs = values("overlay/blended");
    let worst = ours
        .as_raw()
        .iter()
        .zip(&theirs)
        .map(|(&a, &b)| (f32::from(a) - b).abs())
        .fold(0.0f32, f32::max);
    assert!(
        worst <= 1.0,
        "overlay differs from show_cam_on_image by {worst} levels"
    );
}
