//! The ResNet family against torchvision and pytorch-grad-cam, on numpy-drawn weights with
//! random batch-norm statistics (`scripts/resnet_fixtures.py`), and its checkpoint forms.

use crate::common::load;
use burn::prelude::*;
use cam::{CamEngine, Method, TargetLayer, Targets};
use camwatch_tests::{device, fixture, max_abs_diff, tensor_from};
use models::checkpoint::{self, CheckpointError, LoadOptions};
use models::{Architecture, Classifier};

const LOGITS: &str = "resnet/logits.safetensors";
const CLASSES: [usize; 2] = [0, 2];

fn load_error(name: &str) -> String {
    checkpoint::load(&fixture(name), &LoadOptions::default(), &device())
        .map(|_| ())
        .expect_err(name)
        .to_string()
}

#[test]
fn every_variant_matches_torchvision_logits_and_is_read_off_its_keys() {
    let variants = models::resnet::VARIANTS.map(|v| v.0);
    crate::common::every_variant_matches_torchvision_logits("resnet", &variants);
}

#[test]
fn timm_resnets_load_with_torchvisions_keys() {
    let device = device();
    let inputs = tensor_from::<4>(LOGITS, "inputs", &device);
    for (variant, key) in [("resnet18", "timm_resnet18"), ("resnet50", "timm_resnet50")] {
        let loaded = load(&format!("resnet/{key}.pth"), &device);
        assert_eq!(loaded.info.architecture.variant(), variant);
        let ours = loaded.model.fold().forward(inputs.clone());
        let theirs = tensor_from::<2>("resnet/timm_logits.safetensors", key, &device);
        let diff = max_abs_diff(ours, theirs);
        assert!(diff < 1e-4, "{key}: logits differ from timm by {diff}");
    }
}

#[test]
fn every_layout_and_half_precision_load_the_same_network() {
    let device = device();
    let inputs = tensor_from::<4>(LOGITS, "inputs", &device);
    let theirs = tensor_from::<2>(LOGITS, "resnet18", &device);
    for (name, tolerance) in [
        ("resnet18_module.pth", 1e-4),
        ("resnet18_lightning.ckpt", 1e-4),
        ("resnet18.safetensors", 1e-4),
        // Weights rounded to 16 bits compute slightly different logits.
        ("resnet18_half.pth", 0.05),
        ("resnet18_bf16.pth", 0.3),
    ] {
        let loaded = load(&format!("resnet/{name}"), &device);
        assert_eq!(loaded.info.architecture.variant(), "resnet18", "{name}");
        let diff = max_abs_diff(loaded.model.fold().forward(inputs.clone()), theirs.clone());
        eprintln!("{name}: logits max abs diff {diff:.1e}");
        assert!(diff < tolerance, "{name}: logits differ by {diff}");
    }
}

#[test]
fn torchscript_and_other_families_get_one_line_naming_them() {
    let message = load_error("resnet/resnet18_torchscript.pt");
    assert!(
        message.contains("TorchScript") && message.contains("state_dict()"),
        "{message}"
    );
    for (file, family) in [
        ("unknown_vit_b_16.pth", "ViT"),
        ("unknown_squeezenet1_1.pth", "SqueezeNet"),
        ("unknown_swin_t.pth", "Swin Transformer"),
    ] {
        let message = load_error(&format!("resnet/{file}"));
        assert!(
            message.contains(family)
                && message.contains("resnet18 ... wide_resnet101_2")
                && !message.contains('\n'),
            "{file}: {message}"
        );
    }
    let error = checkpoint::inspect(&fixture("resnet/unknown_squeezenet1_1.pth")).unwrap_err();
    assert!(
        matches!(error, CheckpointError::Unsupported { .. }),
        "{error}"
    );
}

/// Every method's maps on `layer4` and `layer3` equal pytorch-grad-cam's, on two structured
/// images and classes 0 and 2; and on photos smaller than the input, enlarged by either
/// resize from the file on.
#[test]
fn maps_match_pytorch_grad_cam_on_layer4_and_layer3() {
    use vision::{EvalTransform, Normalization, Resize};
    let device = device();
    let photos = ["small.png", "small_portrait.png"]
        .map(|f| vision::load_rgb(&fixture(&format!("transform/{f}"))).unwrap());
    let mut failures = Vec::new();
    for variant in ["resnet18", "resnet50"] {
        let file = format!("resnet/cam_{variant}.safetensors");
        let network = load(&format!("resnet/cam_{variant}.pth"), &device)
            .model
            .fold();
        let network = network.as_ref();
        let inputs = tensor_from::<4>(&file, "inputs", &device);
        // pytorch-grad-cam's Score-CAM on resnet50 at 128 px takes minutes: at 64 px below.
        let methods = Method::ALL
            .into_iter()
            .filter(|m| variant == "resnet18" || *m != Method::ScoreCam);
        let mut compare = |tag: String, inputs: Tensor<4>, method: Method, layer: &str| {
            let layers = [TargetLayer::find(network, layer).unwrap()];
            let engine = CamEngine::new(network, method, &layers);
            let explanation = engine.explain(inputs, &[Targets::Classes(CLASSES.to_vec())]);
            let [h, w] = explanation.size;
            let ours = Tensor::<3>::from_data(
                TensorData::new(explanation.maps.clone(), [2, h, w]),
                &device,
            );
            let diff = max_abs_diff(ours, tensor_from::<3>(&file, &tag, &device));
            eprintln!("{variant} {tag}: max abs diff {diff:.1e}");
            if diff > 1e-3 {
                failures.push(format!("{variant} {tag}: max abs diff {diff}"));
            }
        };
        if variant == "resnet50" {
            // Score-CAM on 64-px inputs (the fixture's at 128 px would take minutes).
            let small = tensor_from::<4>(&file, "small/inputs", &device);
            for layer in ["layer4", "layer3"] {
                compare(
                    format!("small/scorecam/{layer}"),
                    small.clone(),
                    Method::ScoreCam,
                    layer,
                );
            }
        }
        for method in methods {
            for layer in ["layer4", "layer3"] {
                compare(format!("{method}/{layer}"), inputs.clone(), method, layer);
            }
            for (resize, tag) in [(Resize::Crop, "crop"), (Resize::Squash, "squash")] {
                let transform = EvalTransform { size: 128, resize };
                let pictures: Vec<_> = photos.iter().map(|p| transform.apply(p)).collect();
                let enlarged = vision::batch(&pictures, &Normalization::default(), &device);
                let theirs = tensor_from::<4>(&file, &format!("{tag}/inputs"), &device);
                let input_diff = max_abs_diff(enlarged.clone(), theirs);
                assert!(input_diff < 1e-4, "{tag}: inputs differ by {input_diff}");
                compare(format!("{tag}/{method}"), enlarged, method, "layer4");
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn layers_are_named_as_torchvision_and_pytorch_grad_cam_users_write_them() {
    let device = device();
    let model = Architecture::parse("resnet50", 3, 0.25)
        .unwrap()
        .init(&device);
    let network = model.fold();
    let network = network.as_ref();
    let layers = network.layers();
    assert_eq!(layers.len(), 1 + 3 + 4 + 6 + 3);
    assert_eq!(
        (layers[0].as_str(), layers[16].as_str()),
        ("maxpool", "layer4.2")
    );
    for (name, expected) in [
        ("layer4", "layer4.2"),
        ("layer4[-1]", "layer4.2"),
        ("layer3", "layer3.5"),
        ("layer2[0]", "layer2.0"),
        ("layer1.1", "layer1.1"),
    ] {
        assert_eq!(
            TargetLayer::find(network, name).unwrap().name(),
            expected,
            "{name}"
        );
    }
    let error = TargetLayer::find(network, "features.18").unwrap_err();
    assert!(error.contains("layer1, layer2, layer3, layer4"), "{error}");
    // pytorch-grad-cam's layer4[-1] from 224 px, layer3 (stride 16) below.
    assert_eq!(TargetLayer::default_for(network, 224).name(), "layer4.2");
    assert_eq!(TargetLayer::default_for(network, 96).name(), "layer3.5");
    assert_eq!(TargetLayer::last_at_stride_16(network).name(), "layer3.5");
}

/// A narrow ResNet-18 trains: a few steps on a fixed batch lower its loss, and its checkpoint
/// round-trips with its architecture.
#[test]
fn a_narrow_resnet18_learns_a_batch_and_round_trips() {
    use burn::module::Module;
    let device = device();
    let (model, images) = crate::common::learns_a_batch("resnet18", 0.25, 1e-2, 32);
    let architecture = Architecture::parse("resnet18", 4, 0.25).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bpk");
    let metadata = checkpoint::Metadata {
        class_names: (0..4).map(|i| format!("c{i}")).collect(),
        arch: String::new(),
        width_mult: 0.0,
        image_size: 32,
        normalization: Default::default(),
        resize: vision::Resize::Squash,
        epoch: 1,
        val_accuracy: None,
        parameters: model.trainable_params(),
    };
    let model = model.valid();
    checkpoint::save(&model, &metadata, &path).unwrap();
    let info = checkpoint::inspect(&path).unwrap();
    assert_eq!(info.architecture, architecture);
    let reloaded = checkpoint::load(&path, &LoadOptions::default(), &device).unwrap();
    let plain = images.inner();
    let diff = max_abs_diff(
        reloaded.model.fold().forward(plain.clone()),
        model.fold().forward(plain),
    );
    assert!(diff < 1e-4, "the reloaded model differs by {diff}");
}

/// `train --arch resnet18` trains with the same per-epoch report, saves a checkpoint that says
/// what it holds, and `explain` and `gallery` take it.
#[test]
fn train_arch_resnet18_runs_with_the_report_and_its_checkpoint_serves_every_command() {
    use crate::common::{args, json, run, tiny_dataset};
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(dir.path(), &data, &["--arch", "resnet18"])).unwrap();
    let reports = dir.path().join("reports/tiny");
    for epoch in 1..=2 {
        let page = reports.join(format!("epoch-{epoch:03}/index.html"));
        assert!(page.exists(), "{} is missing", page.display());
    }
    let record = json(&reports.join("epoch-002/metrics.json"));
    assert_eq!(record["cam_layers"][0], "layer3.1", "{record}");
    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let info = checkpoint::inspect(&last).unwrap();
    assert_eq!(info.architecture.variant(), "resnet18");
    assert_eq!(info.architecture.width_mult(), 0.25);
    let out = dir.path().join("explained");
    let image = crate::common::first_validation_file(&data);
    run([
        "train",
        "explain",
        "--checkpoint",
        last.to_str().unwrap(),
        "--layer",
        "layer4",
        "--output",
        out.to_str().unwrap(),
        image.to_str().unwrap(),
    ])
    .unwrap();
    assert!(std::fs::read_dir(&out).unwrap().count() > 0);
    let gallery = dir.path().join("gallery");
    run([
        "train",
        "gallery",
        "--checkpoint",
        last.to_str().unwrap(),
        "--output",
        gallery.to_str().unwrap(),
        data.join("val").to_str().unwrap(),
    ])
    .unwrap();
    assert!(gallery.join("index.html").exists());
    let error = run([
        "train",
        "explain",
        "--checkpoint",
        last.to_str().unwrap(),
        "--layer",
        "features.18",
        image.to_str().unwrap(),
    ])
    .unwrap_err()
    .to_string();
    assert!(error.contains("layer1, layer2, layer3, layer4"), "{error}");
}

/// Guided backpropagation through a ResNet equals pytorch-grad-cam's GuidedBackpropReLUModel,
/// which guides the ResNets' `nn.ReLU`s as camwatch's folded copy guides its ReLUs.
#[test]
fn guided_backprop_matches_pytorch_grad_cam_on_resnet18() {
    crate::common::guided_backprop_matches_pytorch_grad_cam("resnet/cam_resnet18", &CLASSES, false);
}
