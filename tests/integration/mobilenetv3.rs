//! The MobileNetV3 family against torchvision and pytorch-grad-cam, on numpy-drawn weights with
//! random batch-norm statistics (`scripts/mobilenetv3_fixtures.py`), and trained through
//! `train --arch`.

const CAM: &str = "mobilenetv3/cam_mobilenet_v3_small";
const CLASSES: [usize; 2] = [0, 2];

#[test]
fn both_variants_match_torchvision_logits_and_are_read_off_their_keys() {
    let variants = models::mobilenetv3::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("mobilenetv3", &variants);
}

/// Every method's maps at the last convolution (`features[-1]`) and at the last block at
/// stride 16 (`features.8` of mobilenet_v3_small) equal pytorch-grad-cam's.
#[test]
fn maps_match_pytorch_grad_cam_at_the_last_convolution_and_at_stride_16() {
    let layers = [("last", "features[-1]"), ("stride16", "features.8")];
    crate::common::maps_match_pytorch_grad_cam(CAM, &layers, &CLASSES, true, &[]);
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel, which guides every
/// `nn.ReLU` (the squeeze-excitations' too) and leaves Hardswish as it is.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_mobilenet_v3_small() {
    crate::common::guided_backprop_matches_pytorch_grad_cam(CAM, &CLASSES, true);
}

#[test]
fn layers_are_named_by_torchvision_index_and_the_default_depends_on_the_size() {
    crate::common::features_layers_and_defaults(
        0.5,
        &[
            ("mobilenet_v3_small", 13, "features.8"),
            ("mobilenet_v3_large", 17, "features.12"),
        ],
    );
}

/// A narrow MobileNetV3-Small trains: a few steps on a fixed batch lower its loss.
#[test]
fn a_narrow_mobilenet_v3_small_learns_a_batch() {
    crate::common::learns_a_batch("mobilenet_v3_small", 0.5, 1e-3, 32);
}

/// `train --arch mobilenet_v3_small` trains with the per-epoch report, its checkpoint says what
/// it holds, and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_mobilenet_v3_small_runs_with_the_report_and_explain_takes_its_checkpoint() {
    // 32 px: the last layer at stride 16, features.8.
    crate::common::train_arch_runs_with_the_report(
        "mobilenet_v3_small",
        &[],
        "features.8",
        0.25,
        "features[-1]",
    );
}
