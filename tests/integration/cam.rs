//! The CAM engine against pytorch-grad-cam and closed-form oracles.

use burn::module::Module;
use burn::prelude::*;
use cam::guided::{GuidedBackprop, gradient_image, guided_grad_cam};
use cam::{CamEngine, Method, TargetLayer, Targets};
use camwatch_tests::{device, fixture, max_abs_diff, mobilenet_v2, tensor_from};
use models::checkpoint::{self, LoadOptions};
use models::{FEATURE_LAYERS, MobileNetV2};

#[path = "../../crates/cam/examples/custom_network.rs"]
mod custom_network;

const REFERENCE: &str = "cam_reference.safetensors";
const CLASSES: [usize; 2] = [0, 2];

/// The model the CAM references were computed on (see `scripts/make_fixtures.py`).
fn cam_model(device: &Device) -> MobileNetV2 {
    mobilenet_v2(
        checkpoint::load(&fixture("cam_model.pth"), &LoadOptions::default(), device)
            .unwrap()
            .model,
    )
}

/// An engine for `method` on `model`'s inference copy at the layers `tag` names
/// (`18`, `10+18`: `features.N`).
fn engine(model: &MobileNetV2, method: Method, tag: &str) -> CamEngine {
    let folded = model.fold();
    let layers: Vec<TargetLayer> = tag
        .split('+')
        .map(|l| TargetLayer::find(&folded, l).unwrap())
        .collect();
    CamEngine::new(&folded, method, &layers)
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
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let mut failures = Vec::new();
    for method in Method::ALL {
        for tag in ["18", "10", "10+18"] {
            let engine = engine(&model, method, tag);
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
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = engine(&model, Method::GradCam, "18");
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
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = engine(&model, Method::GradCamPlusPlus, "10+18");
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

/// Each layer's map on its own scale (what `explain --compare-layers` draws per layer) is the
/// engine's input to the fusion: their mean, min-max scaled, is the fused map.
#[test]
fn the_layers_on_their_own_scales_average_to_the_fused_map() {
    let device = device();
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = engine(&model, Method::GradCam, "10+18");
    let explanation = engine.explain(inputs, &[Targets::Classes(CLASSES.to_vec())]);
    let size = explanation.size;
    for image in 0..explanation.image_count() {
        let scaled: Vec<Vec<f32>> = explanation
            .layer_maps
            .iter()
            .map(|layer| layer.scaled(explanation.image_count(), 0, image, size))
            .collect();
        // Two layers of different resolution and different maps.
        assert!(max_abs(&scaled[0], &scaled[1]) > 0.1);
        let mean: Vec<f32> = (0..size[0] * size[1])
            .map(|p| scaled.iter().map(|m| m[p]).sum::<f32>() / scaled.len() as f32)
            .collect();
        let (min, max) = mean
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        let fused: Vec<f32> = mean.iter().map(|v| (v - min) / (max - min)).collect();
        let diff = max_abs(&fused, explanation.map(0, image));
        assert!(diff < 0.02, "image {image}: {diff}");
    }
}

fn max_abs(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

#[test]
fn computing_maps_leaves_the_training_model_untouched() {
    let device = device();
    let model = cam_model(&device)
        .to_device(&device.clone().autodiff())
        .train();
    let snapshot = |m: &MobileNetV2| -> Vec<f32> {
        let mut values = Vec::new();
        for layer in [&m.features[0], &m.features[18]] {
            if let models::Feature::Conv((conv, norm)) = layer {
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
    let engine = engine(&model, Method::GradCam, "10+18");
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
    if let models::Feature::Conv((conv, _)) = first {
        assert!(conv.weight.val().grad(&grads).is_some());
    }
}

#[test]
fn a_firmly_rejected_class_gives_a_flagged_empty_map_not_nan() {
    let device = device();
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = engine(&model, Method::HiResCam, "18");
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
    let ours =
        cam::render::overlay::overlay(&image, &mask, cam::render::overlay::DEFAULT_IMAGE_WEIGHT);
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

#[test]
fn confidence_metrics_match_pytorch_grad_cam_and_curves_have_the_right_ends() {
    let device = device();
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let engine = engine(&model, Method::GradCam, "18");
    let explanation = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);
    let maps: Vec<Vec<f32>> = (0..2).map(|i| explanation.map(0, i).to_vec()).collect();
    let scores = cam::metrics::faithfulness(engine.model(), inputs.clone(), &maps, &CLASSES);

    let theirs = |name: &str| -> Vec<f32> {
        tensor_from::<1>(REFERENCE, &format!("metrics/{name}"), &device)
            .into_data()
            .try_to_vec()
            .unwrap()
    };
    let (change, drop, increase) = (
        theirs("confidence_change"),
        theirs("drop_in_confidence"),
        theirs("increase_in_confidence"),
    );
    for (i, ours) in scores.iter().enumerate() {
        assert!(
            (ours.confidence_change - change[i]).abs() < 2e-3,
            "confidence change {} vs pytorch-grad-cam {}",
            ours.confidence_change,
            change[i]
        );
        assert!((ours.drop_in_confidence - drop[i]).abs() < 2e-3);
        assert_eq!(ours.increase_in_confidence, increase[i] == 1.0);
    }
    // Nothing deleted / everything inserted: the original probability; everything deleted /
    // nothing inserted: the probability on an all-zero (mean-colour) input.
    let blank = burn::tensor::activation::softmax(model.forward(inputs.zeros_like()), 1);
    let blank: Vec<f32> = blank.into_data().try_to_vec().unwrap();
    for (i, s) in scores.iter().enumerate() {
        let original = explanation.probabilities[i][CLASSES[i]];
        let on_blank = blank[i * 5 + CLASSES[i]];
        let last = s.deletion_curve.len() - 1;
        assert!((s.deletion_curve[0] - original).abs() < 1e-4);
        assert!((s.insertion_curve[last] - original).abs() < 1e-4);
        assert!((s.deletion_curve[last] - on_blank).abs() < 1e-4);
        assert!((s.insertion_curve[0] - on_blank).abs() < 1e-4);
        assert!((0.0..=1.0).contains(&s.deletion_auc) && (0.0..=1.0).contains(&s.insertion_auc));
    }
}

#[test]
fn baselines_are_what_they_claim() {
    use cam::metrics::{Baseline, baseline_map};
    // A white square on black: Sobel fires on its border only; the Gaussian peaks in the centre.
    let image = image::RgbImage::from_fn(32, 32, |x, y| {
        if (8..24).contains(&x) && (8..24).contains(&y) {
            image::Rgb([255; 3])
        } else {
            image::Rgb([0; 3])
        }
    });
    let sobel = baseline_map(Baseline::Sobel, &image, 0);
    assert_eq!(sobel[16 * 32 + 16], 0.0, "flat inside");
    assert_eq!(sobel[2 * 32 + 2], 0.0, "flat outside");
    assert!(sobel[16 * 32 + 8] > 0.5, "strong on the edge");
    let gaussian = baseline_map(Baseline::Gaussian, &image, 0);
    let peak = gaussian.iter().copied().fold(0.0f32, f32::max);
    assert!(gaussian[16 * 32 + 16] >= 0.99 * peak && gaussian[0] < 0.1);
    let (a, b) = (
        baseline_map(Baseline::Random, &image, 1),
        baseline_map(Baseline::Random, &image, 2),
    );
    assert_ne!(a, b);
    assert_eq!(a, baseline_map(Baseline::Random, &image, 1), "seeded");
}

#[test]
fn guided_backprop_and_guided_grad_cam_match_pytorch_grad_cam() {
    let device = device();
    let model = cam_model(&device);
    let inputs = tensor_from::<4>(REFERENCE, "inputs", &device);
    let classes = vec![CLASSES.to_vec()];
    let gradients = GuidedBackprop::new(&model.fold()).gradients(inputs.clone(), &classes);
    let theirs = tensor_from::<4>(REFERENCE, "guided/backprop", &device).permute([0, 3, 1, 2]);
    let scale: f32 = theirs.clone().abs().max().into_scalar();
    assert!(scale > 0.0, "the reference gradients are not all zero");
    let diff = max_abs_diff(gradients.clone(), theirs);
    assert!(
        diff <= 1e-3 * scale,
        "guided gradients differ by {diff} (scale {scale})"
    );

    // Guided Grad-CAM pictures, scaled as pytorch-grad-cam's deprocess_image: equal up to rounding.
    let engine = engine(&model, Method::GradCam, "18");
    let explanation = engine.explain(inputs, &[Targets::Classes(CLASSES.to_vec())]);
    let maps = maps_tensor(&explanation.maps, 2, explanation.size, &device);
    let pictures = guided_grad_cam(gradients, maps);
    let reference = tensor_from::<4>(REFERENCE, "guided/gradcam", &device);
    for i in 0..CLASSES.len() {
        let ours = gradient_image(pictures.clone().narrow(0, i, 1).squeeze_dim(0));
        let theirs: Vec<f32> = reference
            .clone()
            .narrow(0, i, 1)
            .into_data()
            .try_to_vec()
            .unwrap();
        let worst = ours
            .as_raw()
            .iter()
            .zip(&theirs)
            .map(|(&a, &b)| (a as f32 - b).abs())
            .fold(0.0, f32::max);
        assert!(worst <= 1.0, "image {i}: pixels differ by {worst}");
    }
}

#[test]
fn the_default_layer_is_the_last_unless_its_map_is_under_seven_cells_wide() {
    let device = device();
    let model = cam_model(&device);
    // (image size, default layer, its map's width)
    let folded = model.fold();
    for (size, layer, cells) in [(224, 18, 7), (256, 18, 8), (192, 10, 12), (96, 10, 6)] {
        let chosen = TargetLayer::default_for(&folded, size);
        assert_eq!(chosen.index(), layer, "default layer at {size} px");
        let images = Tensor::<4>::zeros([1, 3, size, size], &device);
        let map = model.forward_features(images, 0..layer + 1);
        assert_eq!(
            map.dims()[2..],
            [cells, cells],
            "features.{layer} at {size} px"
        );
    }
    let chosen = TargetLayer::find_or_default(&folded, &["features.13".to_owned()], 96).unwrap();
    assert_eq!(chosen, [TargetLayer::at(&folded, 13)]);
    // Names as pytorch-grad-cam users write them.
    for (name, index) in [
        ("13", 13),
        ("features[-1]", 18),
        ("features", 18),
        ("features[2]", 2),
    ] {
        assert_eq!(
            TargetLayer::find(&folded, name).unwrap().index(),
            index,
            "{name}"
        );
    }
    let error = TargetLayer::find(&folded, "features.19").unwrap_err();
    assert!(error.contains("features.0 ... features.18"), "{error}");
}

/// Photos smaller than the input, enlarged by either resize: from the file to the map, every
/// method's maps equal pytorch-grad-cam's on torchvision's preprocessing (and the inputs
/// torchvision's to the level).
#[test]
fn maps_of_enlarged_photos_match_pytorch_grad_cam_from_the_file_on() {
    use vision::{EvalTransform, Normalization, Resize};
    const ENLARGED: &str = "enlarged_cam.safetensors";
    let device = device();
    let folded = cam_model(&device).fold();
    let photos = ["small.png", "small_portrait.png"]
        .map(|f| vision::load_rgb(&fixture(&format!("transform/{f}"))).unwrap());
    let mut failures = Vec::new();
    for (resize, tag) in [(Resize::Crop, "crop"), (Resize::Squash, "squash")] {
        let transform = EvalTransform { size: 128, resize };
        let pictures: Vec<_> = photos.iter().map(|p| transform.apply(p)).collect();
        let inputs = vision::batch(&pictures, &Normalization::default(), &device);
        let theirs = tensor_from::<4>(ENLARGED, &format!("{tag}/inputs"), &device);
        // One level is 1/255/std ≈ 0.017 after normalization: this is the level, exactly.
        let input_diff = max_abs_diff(inputs.clone(), theirs);
        assert!(input_diff < 1e-4, "{tag}: inputs differ by {input_diff}");
        for method in Method::ALL {
            let engine = CamEngine::new(&folded, method, &[TargetLayer::last(&folded)]);
            let explanation = engine.explain(inputs.clone(), &[Targets::Classes(CLASSES.to_vec())]);
            let ours = maps_tensor(&explanation.maps, 2, explanation.size, &device);
            let theirs = tensor_from::<3>(ENLARGED, &format!("{tag}/{}", method.name()), &device);
            let diff = max_abs_diff(ours, theirs);
            eprintln!("{tag} {method}: max abs diff {diff:.1e}");
            if diff > 2e-3 {
                failures.push(format!("{tag} {method}: max abs diff {diff}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The library example: a Burn CNN of one's own behind `Network` gets every method, and its
/// Grad-CAM equals the closed form.
#[test]
fn a_burn_network_of_ones_own_gets_every_method() {
    custom_network::main().unwrap();
}
