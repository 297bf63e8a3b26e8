//! The MobileNetV2 architecture against torchvision.

use burn::prelude::*;
use camwatch_tests::{device, max_abs_diff};
use mobilenetv2::{FEATURE_LAYERS, MobileNetV2Config, make_divisible};

#[test]
fn make_divisible_matches_torchvision() {
    // Values computed with torchvision.models._utils._make_divisible.
    assert_eq!(make_divisible(32.0 * 0.35, 8), 16);
    assert_eq!(make_divisible(16.0 * 0.35, 8), 8);
    assert_eq!(make_divisible(24.0 * 0.35, 8), 8);
    assert_eq!(make_divisible(96.0 * 0.35, 8), 32);
    assert_eq!(make_divisible(1280.0 * 1.4, 8), 1792);
    assert_eq!(make_divisible(320.0 * 0.75, 8), 240);
}

#[test]
fn width_one_has_torchvision_parameter_count() {
    // torchvision: 3,504,872 parameters plus 34,112 batch-norm running means and variances
    // (Burn counts those as parameters too).
    let model = MobileNetV2Config::new(1000).init(&device());
    assert_eq!(burn::module::Module::num_params(&model), 3_504_872 + 34_112);
    assert_eq!(model.features.len(), FEATURE_LAYERS);
}

#[test]
fn split_forward_equals_full_forward() {
    let device = device();
    let model = MobileNetV2Config::new(4).with_width_mult(0.5).init(&device);
    let x = Tensor::<4>::random([2, 3, 64, 64], burn::tensor::Distribution::Default, &device);
    let mid = model.forward_features(x.clone(), 0..10);
    let split = model.head(model.forward_features(mid, 10..FEATURE_LAYERS));
    assert!(max_abs_diff(model.forward(x), split) < 1e-6);
}
