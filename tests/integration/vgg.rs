//! The VGG family against torchvision and pytorch-grad-cam, on numpy-drawn weights with random
//! batch-norm statistics (`scripts/vgg_fixtures.py`), and trained through `train --arch`.

use cam::TargetLayer;
use camwatch_tests::device;
use models::{Architecture, Classifier};

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
    let layers = [("last", "features[-1]"), ("pool4", "features.21")];
    crate::common::maps_match_pytorch_grad_cam("vgg/cam_vgg11_bn", &layers, &CLASSES, false, &[]);
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel, which guides every
/// `nn.ReLU`, the classifier's included.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_vgg11_bn() {
    crate::common::guided_backprop_matches_pytorch_grad_cam("vgg/cam_vgg11_bn", &CLASSES, false);
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
    crate::common::learns_a_batch("vgg11_bn", 0.125, 1e-3, 32);
}

/// `train --arch vgg11` trains with the per-epoch report, its checkpoint says what it holds,
/// and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_vgg11_runs_with_the_report_and_explain_takes_its_checkpoint() {
    // 32 px: the last convolution (stride 16, features.19 in vgg11), not the last pooling.
    crate::common::train_arch_runs_with_the_report(
        "vgg11",
        &[],
        "features.19",
        0.25,
        "features[-1]",
    );
}
