//! The DenseNet family against torchvision and pytorch-grad-cam, on numpy-drawn weights with
//! random batch-norm statistics (`scripts/densenet_fixtures.py`), and trained through
//! `train --arch`.

use camwatch_tests::{device, max_abs_diff, tensor_from};
use models::Classifier;

const CAM: &str = "densenet/cam_narrow_densenet121";
const LOGITS: &str = "densenet/logits.safetensors";
const CLASSES: [usize; 2] = [0, 2];

/// 121, 161, 169 and 201 at full size.
#[test]
fn every_variant_matches_torchvision_logits_and_is_read_off_its_keys() {
    let variants = models::densenet::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("densenet", &variants);
}

/// Each variant, built by name, has torchvision's `state_dict` keys and shapes (its dense
/// layers named from 1, `denselayer1`), and its checkpoint is read back as the same variant.
#[test]
fn every_variant_has_torchvisions_keys_and_is_read_back_by_name() {
    let variants = models::densenet::VARIANTS.map(|v| v.0);
    crate::common::every_variant_has_torchvisions_keys("densenet", &variants);
}

/// torchvision's DenseNet class on densenet121's blocks at a quarter of the width loads as
/// `densenet121 --width-mult 0.25`; with growth rate 4, stem 8 and bottleneck 2 (no
/// torchvision constructor) it loads as what it is. Both compute torchvision's logits.
#[test]
fn narrow_and_odd_densenets_are_read_off_their_shapes() {
    let device = device();
    let inputs = tensor_from::<4>(LOGITS, "inputs", &device);
    for (name, variant, width, description) in [
        (
            "narrow_densenet121",
            "densenet121",
            0.25,
            "DenseNet (densenet121), width 0.25 (torchvision's: 1)",
        ),
        (
            "odd_densenet121",
            "densenet",
            0.125,
            "DenseNet of growth rate 4, blocks [6, 12, 24, 16], stem 8, bottleneck 2",
        ),
    ] {
        let loaded = crate::common::load(&format!("densenet/{name}.pth"), &device);
        let architecture = &loaded.info.architecture;
        assert_eq!(
            (architecture.variant(), architecture.width_mult()),
            (variant, width),
            "{name}"
        );
        assert_eq!(architecture.describe(), description);
        let theirs = tensor_from::<2>(LOGITS, name, &device);
        let diff = max_abs_diff(loaded.model.fold().forward(inputs.clone()), theirs);
        assert!(
            diff < 1e-4,
            "{name}: logits differ from torchvision's by {diff}"
        );
    }
}

/// Every method's maps at the final batch norm (`features[-1]`) and at the third dense block
/// (`features.denseblock3`, stride 16) equal pytorch-grad-cam's.
#[test]
fn maps_match_pytorch_grad_cam_at_the_last_norm_and_at_stride_16() {
    let layers = [
        ("last", "features[-1]"),
        ("stride16", "features.denseblock3"),
    ];
    crate::common::maps_match_pytorch_grad_cam(CAM, &layers, &CLASSES, true, &[]);
}

/// Guided backpropagation equals pytorch-grad-cam's GuidedBackpropReLUModel: every ReLU of
/// `features` guided, the head's functional ReLU not.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_densenet121() {
    crate::common::guided_backprop_matches_pytorch_grad_cam(CAM, &CLASSES, true);
}

#[test]
fn layers_are_named_as_torchvision_and_the_default_depends_on_the_size() {
    crate::common::features_layers_and_defaults(
        0.25,
        &[
            ("densenet121", 9, "features.denseblock3"),
            ("densenet169", 9, "features.denseblock3"),
        ],
    );
    let model = models::Architecture::parse("densenet121", 3, 0.25)
        .unwrap()
        .init(&device());
    let layers = model.fold().layers();
    assert_eq!(layers, models::densenet::LAYERS.map(str::to_owned));
    assert_eq!(layers[8], "features.norm5");
}

/// A narrow DenseNet-121 trains: a few steps on a fixed batch lower its loss.
#[test]
fn a_narrow_densenet121_learns_a_batch() {
    crate::common::learns_a_batch("densenet121", 0.25, 1e-3, 32);
}

/// `train --arch densenet121` trains with the per-epoch report, its checkpoint says what it
/// holds, and `explain` takes it with pytorch-grad-cam's `features[-1]`.
#[test]
fn train_arch_densenet121_runs_with_the_report_and_explain_takes_its_checkpoint() {
    // 32 px: the third dense block, at stride 16.
    crate::common::train_arch_runs_with_the_report(
        "densenet121",
        &[],
        "features.denseblock3",
        0.25,
        "features[-1]",
    );
}
