//! The EfficientNet family against torchvision and pytorch-grad-cam, on numpy-drawn weights with
//! random batch-norm statistics (`scripts/efficientnet_fixtures.py`), and trained through
//! `train --arch`.

use camwatch_tests::{device, fixture, max_abs_diff, tensor_from};
use models::Classifier;
use models::checkpoint::{self, LoadOptions};

const CAM: &str = "efficientnet/cam_narrow_efficientnet_b0";
const LOGITS: &str = "efficientnet/logits.safetensors";
const CLASSES: [usize; 2] = [0, 2];

/// Every variant at full size: B0 ... B7 (B5 ... B7 with the batch norms ported from
/// TensorFlow, epsilon 1e-3) and V2-S, -M, -L (fused stages).
#[test]
fn every_variant_matches_torchvision_logits_and_is_read_off_its_keys() {
    let variants = models::efficientnet::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("efficientnet", &variants);
}

/// torchvision's EfficientNet class on B0's stages at a quarter of the width loads as
/// `efficientnet_b0 --width-mult 0.25` and computes torchvision's logits.
#[test]
fn a_narrow_b0_is_read_off_its_shapes() {
    let device = device();
    let loaded = crate::common::load("efficientnet/narrow_efficientnet_b0.pth", &device);
    let architecture = &loaded.info.architecture;
    assert_eq!(
        (architecture.variant(), architecture.width_mult()),
        ("efficientnet_b0", 0.25)
    );
    let inputs = tensor_from::<4>(LOGITS, "inputs", &device);
    let theirs = tensor_from::<2>(LOGITS, "narrow_efficientnet_b0", &device);
    let diff = max_abs_diff(loaded.model.fold().forward(inputs), theirs);
    assert!(diff < 1e-4, "logits differ from torchvision's by {diff}");
}

/// Each of the eleven variants, built by name, has torchvision's `state_dict` keys and shapes,
/// and its checkpoint is read back as the same variant.
#[test]
fn every_variant_has_torchvisions_keys_and_is_read_back_by_name() {
    let variants = models::efficientnet::VARIANTS.map(|v| v.0);
    crate::common::every_variant_has_torchvisions_keys("efficientnet", &variants);
}

/// Every method's maps at the last convolution (`features[-1]`) and at the last stage at
/// stride 16 (`features.5`) equal pytorch-grad-cam's.
#[test]
fn maps_match_pytorch_grad_cam_at_the_last_convolution_and_at_stride_16() {
    let layers = [("last", "features[-1]"), ("stride16", "features.5")];
    crate::common::maps_match_pytorch_grad_cam(CAM, &layers, &CLASSES, true, &[]);
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel: EfficientNet has
/// no `nn.ReLU` to guide, so both are the plain input gradients.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_efficientnet_b0() {
    crate::common::guided_backprop_matches_pytorch_grad_cam(CAM, &CLASSES, true);
}

#[test]
fn layers_are_named_by_torchvision_index_and_the_default_depends_on_the_size() {
    crate::common::features_layers_and_defaults(
        0.25,
        &[
            ("efficientnet_b0", 9, "features.5"),
            ("efficientnet_v2_s", 8, "features.5"),
        ],
    );
}

/// timm's EfficientNet (`conv_stem`, `blocks.N.M`) gets one line naming its layout.
#[test]
fn a_timm_efficientnet_gets_one_line_naming_it() {
    let path = fixture("efficientnet/timm_efficientnet_b0.pth");
    let error = checkpoint::load(&path, &LoadOptions::default(), &device())
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("timm EfficientNet") && !error.contains('\n'),
        "{error}"
    );
}

/// A narrow EfficientNet-B0 trains: a few steps on a fixed batch lower its loss (at 64 px: at
/// 32 its last stages see 1×1 maps, whose batch norms over eight values make each step's loss
/// a gamble).
#[test]
fn a_narrow_efficientnet_b0_learns_a_batch() {
    crate::common::learns_a_batch("efficientnet_b0", 0.25, 1e-3, 64);
}

/// `train --arch efficientnet_b0` trains with the per-epoch report, its checkpoint says what it
/// holds, and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_efficientnet_b0_runs_with_the_report_and_explain_takes_its_checkpoint() {
    // 32 px: the last stage at stride 16, features.5.
    crate::common::train_arch_runs_with_the_report(
        "efficientnet_b0",
        &[],
        "features.5",
        0.25,
        "features[-1]",
    );
}
