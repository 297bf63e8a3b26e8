//! Loading torchvision checkpoints in every variant, against torchvision's logits.

use camwatch_tests::{device, fixture, max_abs_diff, mobilenet_v2, reference};
use models::Classifier;
use models::checkpoint::{self, Format, LoadOptions};

fn logits_of(name: &str) -> f32 {
    let device = device();
    let loaded = checkpoint::load(&fixture(name), &LoadOptions::default(), &device)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(loaded.info.num_classes, 5, "{name}");
    assert!(
        (loaded.info.architecture.width_mult() - 0.35).abs() < 1e-9,
        "{name}"
    );
    let logits = loaded
        .model
        .forward(reference::<4>("inputs_small", &device));
    max_abs_diff(logits, reference::<2>("logits_small", &device))
}

#[test]
fn every_variant_matches_torchvision_logits() {
    for name in [
        "small.pth",
        "small_legacy.pth",
        "small_module.pth",
        "small_lightning.ckpt",
        "small_state_dict_module.pth",
        "small_model_state_dict.pt",
        "small_model.pth",
        "small.safetensors",
        "small_module.safetensors",
    ] {
        let diff = logits_of(name);
        assert!(
            diff < 1e-4,
            "{name}: logits differ from torchvision by {diff}"
        );
    }
}

#[test]
fn variants_are_detected() {
    let cases = [
        ("small.pth", Format::PytorchZip, None, ""),
        ("small_legacy.pth", Format::PytorchLegacy, None, ""),
        ("small_module.pth", Format::PytorchZip, None, "module."),
        (
            "small_lightning.ckpt",
            Format::PytorchZip,
            Some("state_dict"),
            "model.",
        ),
        (
            "small_model_state_dict.pt",
            Format::PytorchZip,
            Some("model_state_dict"),
            "",
        ),
        ("small_model.pth", Format::PytorchZip, Some("model"), ""),
        (
            "small_module.safetensors",
            Format::Safetensors,
            None,
            "module.",
        ),
    ];
    for (name, format, wrapper, prefix) in cases {
        let info = checkpoint::inspect(&fixture(name)).unwrap();
        assert_eq!(info.format, format, "{name}");
        assert_eq!(info.layout.wrapper.as_deref(), wrapper, "{name}");
        assert_eq!(info.layout.prefix, prefix, "{name}");
    }
}

#[test]
fn full_width_matches_torchvision_logits() {
    let device = device();
    let loaded = checkpoint::load(&fixture("full.pth"), &LoadOptions::default(), &device).unwrap();
    assert!((loaded.info.architecture.width_mult() - 1.0).abs() < 1e-9);
    assert_eq!(loaded.info.parameters, 2_230_277);
    let logits = loaded.model.forward(reference::<4>("inputs_224", &device));
    let diff = max_abs_diff(logits, reference::<2>("logits_full", &device));
    assert!(diff < 1e-4, "logits differ from torchvision by {diff}");
}

#[test]
fn backbone_only_loads_features_and_fresh_head() {
    let device = device();
    let options = LoadOptions {
        num_classes: Some(5),
        backbone_only: true,
    };
    let loaded = checkpoint::load(&fixture("imagenet_like.pth"), &options, &device).unwrap();
    assert!(loaded.head_initialized);
    assert_eq!(loaded.info.num_classes, 1000);
    assert_eq!(loaded.model.num_classes(), 5);
    let features =
        mobilenet_v2(loaded.model).forward_features(reference::<4>("inputs_small", &device), 0..19);
    let diff = max_abs_diff(features, reference::<4>("features_imagenet", &device));
    assert!(diff < 1e-4, "features differ from torchvision by {diff}");
}

fn load_error(name: &str, options: &LoadOptions) -> String {
    let err = checkpoint::load(&fixture(name), options, &device()).expect_err(name);
    let message = err.to_string();
    assert!(
        !message.contains('\n'),
        "{name}: error spans lines: {message}"
    );
    message
}

#[test]
fn class_count_mismatch_says_what_and_how() {
    let options = LoadOptions {
        num_classes: Some(5),
        ..Default::default()
    };
    let message = load_error("small_10_classes.pth", &options);
    assert!(
        message.contains("10 classes but 5 were requested"),
        "{message}"
    );
    assert!(message.contains("--num-classes 10"), "{message}");
}

#[test]
fn broken_files_give_one_clear_line() {
    let options = LoadOptions::default();
    assert!(load_error("empty.pth", &options).contains("is empty"));
    assert!(load_error("not_a_checkpoint.pth", &options).contains("is not a checkpoint"));
    assert!(load_error("truncated.pth", &options).contains("truncated or corrupt"));
    let message = load_error("missing_keys.pth", &options);
    assert!(
        message
            .contains("2 missing keys (features.3.conv.1.0.weight, features.5.conv.3.running_var)")
            && message.contains("1 unexpected key (extra.head.weight)"),
        "{message}"
    );
    let message = load_error("no_such_file.pth", &options);
    assert!(message.contains("cannot read checkpoint"), "{message}");
}

#[test]
fn camwatch_checkpoint_round_trips_and_exports_to_torchvision_names() {
    let device = device();
    let loaded = checkpoint::load(&fixture("small.pth"), &LoadOptions::default(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let metadata = checkpoint::Metadata {
        class_names: (0..5).map(|i| format!("class{i}")).collect(),
        arch: "mobilenet_v2".to_owned(),
        width_mult: 0.35,
        image_size: 64,
        normalization: Default::default(),
        resize: vision::Resize::Crop,
        epoch: 3,
        val_accuracy: Some(0.5),
        parameters: loaded.model.trainable_params(),
    };
    // A .bpk counts the parameters as a .pth of the same network does.
    assert_eq!(metadata.parameters, loaded.info.parameters);
    let own = dir.path().join("model.bpk");
    checkpoint::save(&loaded.model, &metadata, &own).unwrap();
    let info = checkpoint::inspect(&own).unwrap();
    assert_eq!(info.format, Format::Camwatch);
    assert_eq!(info.metadata.as_ref(), Some(&metadata));

    let inputs = reference::<4>("inputs_small", &device);
    let expected = reference::<2>("logits_small", &device);
    let reloaded = checkpoint::load(&own, &LoadOptions::default(), &device).unwrap();
    assert!(max_abs_diff(reloaded.model.forward(inputs.clone()), expected.clone()) < 1e-4);

    let exported = dir.path().join("model.safetensors");
    checkpoint::export_safetensors(&reloaded.model, &exported).unwrap();
    let info = checkpoint::inspect(&exported).unwrap();
    assert_eq!(info.layout.prefix, "");
    let again = checkpoint::load(&exported, &LoadOptions::default(), &device).unwrap();
    assert!(max_abs_diff(again.model.forward(inputs), expected) < 1e-4);
    assert!(std::fs::read_dir(dir.path()).unwrap().all(|e| {
        !e.unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".partial")
    }));
}

#[test]
fn exported_safetensors_run_in_torchvision_with_the_same_logits() {
    let device = device();
    let loaded = checkpoint::load(&fixture("small.pth"), &LoadOptions::default(), &device).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("export.safetensors");
    checkpoint::export_safetensors(&loaded.model, &exported).unwrap();
    let fixture_file = fixture("reference.safetensors");
    let args = [
        exported.as_os_str(),
        "5".as_ref(),
        "0.35".as_ref(),
        fixture_file.as_os_str(),
        "inputs_small".as_ref(),
    ];
    let theirs: Vec<Vec<f32>> =
        serde_json::from_value(camwatch_tests::python_json("torchvision_logits.py", args)).unwrap();
    let ours = loaded
        .model
        .forward(reference::<4>("inputs_small", &device));
    let theirs = burn::tensor::Tensor::<2>::from_data(
        burn::tensor::TensorData::new(theirs.concat(), [2, 5]),
        &device,
    );
    let diff = max_abs_diff(ours, theirs);
    assert!(
        diff < 1e-4,
        "torchvision's logits of the export differ by {diff}"
    );
}
