//! The ConvNeXt family against torchvision and pytorch-grad-cam, on numpy-drawn weights
//! (`scripts/convnext_fixtures.py`), and trained through `train --arch`.

use camwatch_tests::{device, max_abs_diff, tensor_from};
use models::Classifier;

const CAM: &str = "convnext/cam_narrow_convnext_tiny";
const LOGITS: &str = "convnext/logits.safetensors";
const CLASSES: [usize; 2] = [0, 2];

/// Tiny, small, base and large at full size.
#[test]
fn every_variant_matches_torchvision_logits_and_is_read_off_its_keys() {
    let variants = models::convnext::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("convnext", &variants);
}

/// Each variant, built by name, has torchvision's `state_dict` keys and shapes, and its
/// checkpoint is read back as the same variant.
#[test]
fn every_variant_has_torchvisions_keys_and_is_read_back_by_name() {
    let variants = models::convnext::VARIANTS.map(|v| v.0);
    crate::common::every_variant_has_torchvisions_keys("convnext", &variants);
}

/// torchvision's ConvNeXt class on convnext_tiny's stages at a quarter of the width loads as
/// `convnext_tiny --width-mult 0.25` and computes torchvision's logits.
#[test]
fn a_narrow_tiny_is_read_off_its_shapes() {
    let device = device();
    let loaded = crate::common::load("convnext/narrow_convnext_tiny.pth", &device);
    let architecture = &loaded.info.architecture;
    assert_eq!(
        (architecture.variant(), architecture.width_mult()),
        ("convnext_tiny", 0.25)
    );
    let inputs = tensor_from::<4>(LOGITS, "inputs", &device);
    let theirs = tensor_from::<2>(LOGITS, "narrow_convnext_tiny", &device);
    let diff = max_abs_diff(loaded.model.fold().forward(inputs), theirs);
    assert!(diff < 1e-4, "logits differ from torchvision's by {diff}");
}

/// torchvision's ConvNeXt class at widths no usual multiplier gives (8 ... 64, 1/12 of
/// convnext_tiny's) loads, read off its shapes, and its folded copy runs.
#[test]
fn any_width_is_read_off_its_shapes() {
    let device = device();
    let loaded = crate::common::load("convnext/odd_width_convnext_tiny.pth", &device);
    let architecture = &loaded.info.architecture;
    assert_eq!(architecture.variant(), "convnext_tiny");
    assert!((architecture.width_mult() - 1.0 / 12.0).abs() < 1e-12);
    assert_eq!(loaded.info.num_classes, 3);
    let images = burn::prelude::Tensor::<4>::zeros([1, 3, 64, 64], &device);
    assert_eq!(loaded.model.fold().forward(images).dims(), [1, 3]);
}

/// Every method's maps at the last stage (`features[-1]`) and at the stage at stride 16
/// (`features.5`) equal pytorch-grad-cam's.
///
/// Except HiResCAM at `features.5`: a layer norm (`features.6.0`) follows it, and a layer
/// norm's input gradient at each pixel is orthogonal to its input there, so HiResCAM's
/// per-pixel sum of gradient × activation is zero in exact arithmetic. Both libraries'
/// (min-max normalized) maps there are rounding noise, 0.7 apart even in float64.
#[test]
fn maps_match_pytorch_grad_cam_at_the_last_stage_and_at_stride_16() {
    let layers = [("last", "features[-1]"), ("stride16", "features.5")];
    let skip = ["hirescam/stride16"];
    crate::common::maps_match_pytorch_grad_cam(CAM, &layers, &CLASSES, true, &skip);
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel: ConvNeXt has no
/// `nn.ReLU` to guide, so both are the plain input gradients.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_convnext_tiny() {
    crate::common::guided_backprop_matches_pytorch_grad_cam(CAM, &CLASSES, true);
}

#[test]
fn layers_are_named_by_torchvision_index_and_the_default_depends_on_the_size() {
    crate::common::features_layers_and_defaults(
        0.25,
        &[
            ("convnext_tiny", 8, "features.5"),
            ("convnext_base", 8, "features.5"),
        ],
    );
}

/// A narrow ConvNeXt-Tiny trains: a few steps on a fixed batch lower its loss.
#[test]
fn a_narrow_convnext_tiny_learns_a_batch() {
    crate::common::learns_a_batch("convnext_tiny", 0.25, 1e-3, 32);
}

/// `train --arch convnext_tiny` trains with the per-epoch report, its checkpoint says what it
/// holds, and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_convnext_tiny_runs_with_the_report_and_explain_takes_its_checkpoint() {
    // 32 px: the stage at stride 16, features.5.
    crate::common::train_arch_runs_with_the_report(
        "convnext_tiny",
        &[],
        "features.5",
        0.25,
        "features[-1]",
    );
}
