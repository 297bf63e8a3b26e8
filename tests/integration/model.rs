//! The MobileNetV2 architecture against torchvision.

use burn::prelude::*;
use camwatch_tests::{device, max_abs_diff};
use models::{FEATURE_LAYERS, MobileNetV2Config};

#[test]
fn width_one_has_torchvision_parameter_count() {
    // torchvision: 3,504,872 parameters plus 34,112 batch-norm running means and variances
    // (Burn counts those as parameters too).
    let model = MobileNetV2Config::new(1000).init(&device());
    assert_eq!(burn::module::Module::num_params(&model), 3_504_872 + 34_112);
    // What a checkpoint records and `inspect` prints, as `model.parameters()` counts them.
    assert_eq!(model.trainable_params(), 3_504_872);
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

/// Tensors of a safetensors file by name.
fn safetensors_map(path: &std::path::Path) -> std::collections::BTreeMap<String, Vec<f32>> {
    let bytes = std::fs::read(path).unwrap();
    let tensors = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    tensors
        .tensors()
        .into_iter()
        .filter(|(_, view)| view.dtype() == safetensors::Dtype::F32)
        .map(|(name, view)| {
            let values = view
                .data()
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (name, values)
        })
        .collect()
}

#[test]
fn a_training_step_matches_pytorch_gradients_and_running_statistics() {
    use burn::nn::DropoutConfig;
    use burn::nn::loss::CrossEntropyLossConfig;
    use burn::optim::{GradientsParams, SgdConfig};
    use camwatch_tests::{fixture, tensor_from};
    use models::checkpoint::{self, LoadOptions};

    const FILE: &str = "train_step.safetensors";
    let device = device();
    let autodiff = device.clone().autodiff();
    let loaded = checkpoint::load(&fixture("small.pth"), &LoadOptions::default(), &device)
        .unwrap()
        .model;
    let mut model = camwatch_tests::mobilenet_v2(loaded)
        .to_device(&autodiff)
        .train();
    model.classifier.0 = DropoutConfig::new(0.0).init(); // as the fixture's step
    let inputs = tensor_from::<4>(FILE, "inputs", &autodiff);
    let labels = Tensor::<1, Int>::from_ints([0, 3, 1, 4], &autodiff); // make_fixtures.py's
    let loss = CrossEntropyLossConfig::new()
        .init(&autodiff)
        .forward(model.forward(inputs), labels);
    let theirs: f32 = tensor_from::<1>(FILE, "loss", &device).into_scalar();
    let ours: f32 = loss.clone().inner().into_scalar();
    assert!(
        (ours - theirs).abs() < 1e-4,
        "loss {ours} vs PyTorch {theirs}"
    );

    // Gradients by torchvision name: one plain SGD step with learning rate 1 subtracts them.
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    let stepped = SgdConfig::new().init().step(1.0, model.clone(), grads);
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = (dir.path().join("before"), dir.path().join("after"));
    let wrap = |m: models::MobileNetV2| models::Model::MobileNetV2(m.valid());
    checkpoint::export_safetensors(&wrap(model.clone()), &before).unwrap();
    checkpoint::export_safetensors(&wrap(stepped), &after).unwrap();
    let (before, after) = (safetensors_map(&before), safetensors_map(&after));
    let reference = safetensors_map(&fixture(FILE));
    // Each module's largest reference value (gradients and statistics apart): the size of the
    // terms its gradients sum. A gradient that is 0 by an invariance (the bias of a batch norm
    // whose output feeds a train-mode batch norm, which removes any shift) comes out as float
    // noise of that size, which the thread count changes.
    let mut module_scale = std::collections::HashMap::<&str, f32>::new();
    for (name, theirs) in &reference {
        let module = name.rsplit_once('.').map_or(name.as_str(), |(m, _)| m);
        let largest = theirs.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let entry = module_scale.entry(module).or_default();
        *entry = entry.max(largest);
    }
    let (mut compared, mut off) = (0, Vec::new());
    for (name, theirs) in &reference {
        let ours: Vec<f32> = if let Some(param) = name.strip_prefix("grad/") {
            let ours = before[param].iter().zip(&after[param]).map(|(b, a)| b - a);
            ours.collect()
        } else if let Some(buffer) = name.strip_prefix("after/") {
            // Running statistics after the train-mode forward (momentum 0.1).
            before[buffer].clone()
        } else {
            continue;
        };
        let scale = theirs.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
        let worst = ours
            .iter()
            .zip(theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // Relative to the tensor's largest value, with a floor for gradients that are ~0: float
        // noise at the scale of the module's terms, and an absolute one.
        let module = name.rsplit_once('.').map_or(name.as_str(), |(m, _)| m);
        if worst > 1e-3 * scale + 2e-5 * module_scale[module] + 2e-5 {
            off.push(format!("{name}: off by {worst} (scale {scale})"));
        }
        compared += 1;
    }
    assert!(off.is_empty(), "{}", off.join("\n"));
    // 158 parameters and 104 running statistics at width 0.35.
    assert!(compared > 250, "only {compared} tensors compared");
}
