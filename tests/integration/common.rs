//! Helpers the test modules share: a tiny dataset, training flags, and training in a child
//! process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use train::cli::Cli;
use train::data::synthetic::{self, Spec};

/// The checkpoint fixture `name` (under the generated fixtures), loaded as it is.
pub(crate) fn load(name: &str, device: &burn::prelude::Device) -> models::checkpoint::Loaded {
    let options = models::checkpoint::LoadOptions::default();
    models::checkpoint::load(&camwatch_tests::fixture(name), &options, device)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Each of `variants`' fixture `{folder}/{variant}.pth` is read off its keys as that variant
/// with 7 classes, and its folded and eval-mode logits of `{folder}/logits.safetensors`'
/// `inputs` are within 1e-4 of torchvision's (`{variant}`), or as near the float64 logits
/// (`{variant}/f64`) as float32 allows.
pub(crate) fn every_variant_matches_torchvision_logits(folder: &str, variants: &[&str]) {
    use camwatch_tests::{max_abs_diff, tensor_from};
    use models::Classifier;
    let device = camwatch_tests::device();
    let logits = format!("{folder}/logits.safetensors");
    let inputs = tensor_from::<4>(&logits, "inputs", &device);
    let mut failures = Vec::new();
    for &variant in variants {
        let loaded = load(&format!("{folder}/{variant}.pth"), &device);
        assert_eq!(loaded.info.architecture.variant(), variant);
        assert_eq!(loaded.info.num_classes, 7, "{variant}");
        let theirs = tensor_from::<2>(&logits, variant, &device);
        let exact = tensor_from::<2>(&logits, &format!("{variant}/f64"), &device);
        let float_error = max_abs_diff(theirs.clone(), exact.clone());
        let eval = Classifier::forward(&burn::module::Module::valid(&loaded.model), inputs.clone());
        let folded = loaded.model.fold().forward(inputs.clone());
        let eval_error = max_abs_diff(eval.clone(), exact.clone());
        // float32's own error: torchvision's, and for the folded copy (whose batch norms are
        // rounded into its weights) also the eval-mode model's, another float32 computation of
        // the same network.
        let folded_float_error = float_error.max(eval_error);
        for (path, ours, float_error) in [
            ("eval-mode", eval, float_error),
            ("folded", folded, folded_float_error),
        ] {
            let diff = max_abs_diff(ours.clone(), theirs.clone());
            let error = max_abs_diff(ours, exact.clone());
            eprintln!(
                "{variant} {path}: logits {diff:.1e} from torchvision's, {error:.1e} from float64 (float32's own: {float_error:.1e})"
            );
            // Within 1e-4 of torchvision's, or at most three times as far from float64 as
            // float32's own error: deep networks (EfficientNet-B7, V2-M, 50 to 80 blocks) round
            // by up to 1e-4 on either side, and the largest of 14 rounding errors varies by a
            // factor of two from one float32 computation to another. A fault in the network
            // moves logits by O(1).
            if !(diff < 1e-4 || error <= 3.0 * float_error) {
                failures.push(format!("{variant} {path}: logits {diff} from torchvision's, {error} from float64 (float32's own {float_error})"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The tensor names and shapes of a `.safetensors` file, from its header.
fn safetensors_shapes(path: &Path) -> BTreeMap<String, Vec<usize>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut length = [0u8; 8];
    file.read_exact(&mut length).unwrap();
    let mut header = vec![0u8; u64::from_le_bytes(length) as usize];
    file.read_exact(&mut header).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    let entries = header.as_object().unwrap().iter();
    (entries.filter(|(key, _)| *key != "__metadata__"))
        .map(|(key, entry)| {
            let shape = entry["shape"].as_array().unwrap();
            (
                key.clone(),
                shape.iter().map(|d| d.as_u64().unwrap() as usize).collect(),
            )
        })
        .collect()
}

/// Each of `variants`, built by name with 1000 classes and exported, has torchvision's
/// `state_dict` keys and shapes (`{folder}/shapes.json`, from torchvision's constructors), and
/// its checkpoint is read back as the same variant with the same parameter count.
pub(crate) fn every_variant_has_torchvisions_keys(folder: &str, variants: &[&str]) {
    use models::checkpoint;
    use models::{Architecture, Classifier};
    let device = camwatch_tests::device();
    let expected = json(&camwatch_tests::fixture(&format!("{folder}/shapes.json")));
    let dir = tempfile::tempdir().unwrap();
    for &variant in variants {
        let model = Architecture::parse(variant, 1000, 1.0)
            .unwrap()
            .init(&device);
        let path = dir.path().join(format!("{variant}.safetensors"));
        checkpoint::export_safetensors(&model, &path).unwrap();
        let ours = safetensors_shapes(&path);
        let theirs: BTreeMap<String, Vec<usize>> =
            serde_json::from_value(expected[variant].clone()).unwrap();
        let theirs: BTreeMap<_, _> = (theirs.into_iter())
            .filter(|(key, _)| !key.ends_with("num_batches_tracked"))
            .collect();
        assert_eq!(ours, theirs, "{variant}: keys and shapes");
        let info = checkpoint::inspect(&path).unwrap();
        assert_eq!(info.architecture.variant(), variant);
        assert_eq!(info.architecture.width_mult(), 1.0, "{variant}");
        let trainable = Classifier::trainable_params(&model);
        assert_eq!(info.parameters, trainable, "{variant}: parameters");
        std::fs::remove_file(&path).unwrap();
    }
}

/// Each `(arch, layers, stride_16)`, built at `width`, has `layers` layers in `features`;
/// `features[-1]` and the 224-px default are the last, and the 96-px default is `stride_16`,
/// the last layer at stride 16.
pub(crate) fn features_layers_and_defaults(width: f64, cases: &[(&str, usize, &str)]) {
    use cam::TargetLayer;
    use models::{Architecture, Classifier};
    let device = camwatch_tests::device();
    for &(arch, layers, stride_16) in cases {
        let model = Architecture::parse(arch, 3, width).unwrap().init(&device);
        let network = model.fold();
        let network = network.as_ref();
        assert_eq!(network.layers().len(), layers, "{arch}");
        let last = network.layers().last().unwrap().clone();
        assert!(last.starts_with("features."), "{arch}: {last}");
        let found = TargetLayer::find(network, "features[-1]").unwrap();
        assert_eq!(found.name(), last, "{arch}");
        let default = |size| TargetLayer::default_for(network, size).name().to_owned();
        assert_eq!(default(224), last, "{arch}");
        assert_eq!(default(96), stride_16, "{arch}");
        let stride_16_found = TargetLayer::last_at_stride_16(network);
        assert_eq!(stride_16_found.name(), stride_16, "{arch}");
    }
}

/// Every method's maps through the folded fixture `{name}.pth` at each of `layers` (tag, layer
/// name) equal pytorch-grad-cam's (`{method}/{tag}` of `{name}.safetensors`, for `classes`, one
/// per input) within 1e-3.
///
/// With `exact`, the fixture also holds pytorch-grad-cam's maps of the float64 model
/// (`{method}/{tag}/f64`). Where its own float32 maps are more than 1e-3 from those, the map is
/// ill-conditioned (Grad-CAM++ divides by `2G² + G³·ΣA`, which nearly cancels for some channels
/// of a layer with signed activations: float32 gradient noise of 1e-6 of their scale moves the
/// map by 1e-3), and ours must be within 20 times pytorch-grad-cam's own float32 error of the
/// float64 map: as near the exact map as float32 allows, not near pytorch's rounding.
///
/// The maps tagged in `skip` (`hirescam/stride16`) are not compared: the caller says why.
pub(crate) fn maps_match_pytorch_grad_cam(
    name: &str,
    layers: &[(&str, &str)],
    classes: &[usize],
    exact: bool,
    skip: &[&str],
) {
    use burn::prelude::*;
    use cam::{CamEngine, Method, TargetLayer, Targets};
    use camwatch_tests::{max_abs_diff, tensor_from};
    use models::Classifier;
    let device = camwatch_tests::device();
    let file = format!("{name}.safetensors");
    let network = load(&format!("{name}.pth"), &device).model.fold();
    let network = network.as_ref();
    let inputs = tensor_from::<4>(&file, "inputs", &device);
    let mut failures = Vec::new();
    for method in Method::ALL {
        for &(tag, layer) in layers {
            let tag = format!("{method}/{tag}");
            if skip.contains(&tag.as_str()) {
                continue;
            }
            let layers = [TargetLayer::find(network, layer).unwrap()];
            let engine = CamEngine::new(network, method, &layers);
            let explanation = engine.explain(inputs.clone(), &[Targets::Classes(classes.to_vec())]);
            let [h, w] = explanation.size;
            let ours = Tensor::<3>::from_data(
                TensorData::new(explanation.maps, [classes.len(), h, w]),
                &device,
            );
            let theirs = tensor_from::<3>(&file, &tag, &device);
            let diff = max_abs_diff(ours.clone(), theirs.clone());
            eprint!("{name} {tag}: max abs diff {diff:.1e}");
            let (mut error, mut bound) = (diff, 1e-3);
            if exact {
                let truth = tensor_from::<3>(&file, &format!("{tag}/f64"), &device);
                let their_error = max_abs_diff(theirs, truth.clone());
                let our_error = max_abs_diff(ours, truth);
                eprint!(", from float64 {our_error:.1e} (theirs {their_error:.1e})");
                if their_error > 1e-3 {
                    (error, bound) = (our_error, 20.0 * their_error);
                }
            }
            eprintln!();
            if error > bound {
                failures.push(format!("{tag}: max abs diff {error} (bound {bound})"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Guided backpropagation through the folded fixture `{name}.pth` equals pytorch-grad-cam's
/// GuidedBackpropReLUModel (`guided/backprop` of `{name}.safetensors`, for `classes`, one per
/// input) to 1e-3 of the largest gradient. With `exact`, the fixture also holds the float64
/// model's gradients (`guided/backprop/f64`), and ours may instead be at most four times as far
/// from them as pytorch-grad-cam's float32 ones (the folded batch norms round the weights once
/// more, and a deep network's input gradients carry that rounding).
pub(crate) fn guided_backprop_matches_pytorch_grad_cam(name: &str, classes: &[usize], exact: bool) {
    use camwatch_tests::{max_abs_diff, tensor_from};
    use models::Classifier;
    let device = camwatch_tests::device();
    let file = format!("{name}.safetensors");
    let network = load(&format!("{name}.pth"), &device).model.fold();
    let inputs = tensor_from::<4>(&file, "inputs", &device);
    let ours =
        cam::guided::GuidedBackprop::new(network.as_ref()).gradients(inputs, &[classes.to_vec()]);
    let reference = |key: &str| tensor_from::<4>(&file, key, &device).permute([0, 3, 1, 2]);
    let theirs = reference("guided/backprop");
    let scale: f32 = theirs.clone().abs().max().into_scalar();
    assert!(scale > 0.0, "the reference gradients are not all zero");
    let diff = max_abs_diff(ours.clone(), theirs.clone());
    let (our_error, their_error) = match exact {
        true => {
            let truth = reference("guided/backprop/f64");
            (
                max_abs_diff(ours, truth.clone()),
                max_abs_diff(theirs, truth),
            )
        }
        false => (f32::INFINITY, 0.0),
    };
    eprintln!(
        "{name}: guided gradients {diff:.1e} from theirs (scale {scale:.1e}); from float64 {our_error:.1e} (theirs {their_error:.1e})"
    );
    assert!(
        diff <= 1e-3 * scale || our_error <= 4.0 * their_error,
        "guided gradients differ by {diff} (scale {scale}), {our_error} from float64 (theirs {their_error})"
    );
}

/// A newly initialized `arch` (4 classes, `width` its width multiplier) after 8 Adam steps at
/// `lr` on one fixed batch of eight random `size`×`size` images, and the images; panics unless
/// the loss fell to under half its first value.
pub(crate) fn learns_a_batch(
    arch: &str,
    width: f64,
    lr: f64,
    size: usize,
) -> (models::Model, burn::prelude::Tensor<4>) {
    use burn::nn::loss::CrossEntropyLossConfig;
    use burn::optim::{AdamConfig, GradientsParams};
    use burn::prelude::*;
    use models::{Architecture, Classifier};
    let device = camwatch_tests::device();
    let autodiff = device.clone().autodiff();
    device.seed(3);
    let architecture = Architecture::parse(arch, 4, width).unwrap();
    let mut model = architecture.init(&autodiff).for_training(0.0, false);
    let images = Tensor::<4>::random(
        [8, 3, size, size],
        burn::tensor::Distribution::Default,
        &autodiff,
    );
    let labels = Tensor::<1, Int>::from_ints([0, 1, 2, 3, 0, 1, 2, 3], &autodiff);
    let mut optimizer = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&autodiff);
    let mut losses = Vec::new();
    for _ in 0..8 {
        let loss = loss_fn.forward(Classifier::forward(&model, images.clone()), labels.clone());
        losses.push(loss.clone().into_scalar::<f32>());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(lr, model, grads);
    }
    assert!(
        losses[7] < 0.5 * losses[0],
        "{arch}: the loss did not fall: {losses:?}"
    );
    (model, images)
}

/// A tiny textures dataset in `dir/data` (6 training and 3 validation images per class).
pub(crate) fn tiny_dataset(dir: &Path) -> PathBuf {
    let root = dir.join("data");
    let spec = Spec {
        train_per_class: 6,
        val_per_class: 3,
        seed: 7,
        ..Spec::default()
    };
    synthetic::generate(&root, spec, &indicatif::ProgressBar::hidden()).unwrap();
    root
}

/// The first file of the first class folder under `data/val`.
pub(crate) fn first_validation_file(data: &Path) -> PathBuf {
    std::fs::read_dir(data.join("val"))
        .unwrap()
        .flat_map(|class| std::fs::read_dir(class.unwrap().path()).unwrap())
        .next()
        .unwrap()
        .unwrap()
        .path()
}

/// `train --arch arch` (plus `extra` flags) trains two epochs on a tiny dataset with the
/// per-epoch report, whose CAMs tap `cam_layer` at 32 px; its checkpoint says it holds `arch`
/// at width `width`, and `explain --layer explain_layer` takes it.
pub(crate) fn train_arch_runs_with_the_report(
    arch: &str,
    extra: &[&str],
    cam_layer: &str,
    width: f64,
    explain_layer: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let data = tiny_dataset(dir.path());
    run(args(
        dir.path(),
        &data,
        &[&["--arch", arch], extra].concat(),
    ))
    .unwrap();
    let record = json(&dir.path().join("reports/tiny/epoch-002/metrics.json"));
    assert_eq!(record["cam_layers"][0], cam_layer, "{record}");
    let last = dir.path().join("checkpoints/tiny/last.bpk");
    let info = models::checkpoint::inspect(&last).unwrap();
    assert_eq!(info.architecture.variant(), arch);
    assert_eq!(info.architecture.width_mult(), width);
    let image = first_validation_file(&data);
    let out = dir.path().join("explained");
    let checkpoint = last.to_str().unwrap();
    let explain = [
        "train",
        "explain",
        "--checkpoint",
        checkpoint,
        "--layer",
        explain_layer,
    ];
    let paths = ["--output", out.to_str().unwrap(), image.to_str().unwrap()];
    run(explain.iter().chain(&paths)).unwrap();
    assert!(std::fs::read_dir(&out).unwrap().count() > 0);
}

/// Training flags for a small, fast run into `dir`.
pub(crate) fn args(dir: &Path, data: &Path, extra: &[&str]) -> Vec<String> {
    let mut args: Vec<String> = [
        "train",
        "--data",
        data.to_str().unwrap(),
        "--checkpoints",
        dir.join("checkpoints").to_str().unwrap(),
        "--reports",
        dir.join("reports").to_str().unwrap(),
        "--run",
        "tiny",
        "--image-size",
        "32",
        "--width-mult",
        "0.25",
        "--batch-size",
        "8",
        "--epochs",
        "2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Runs the command line `args` in this process.
pub(crate) fn run<S: ToString>(args: impl IntoIterator<Item = S>) -> anyhow::Result<()> {
    let args: Vec<String> = args.into_iter().map(|a| a.to_string()).collect();
    train::execute(Cli::try_parse_from(args)?)
}

/// `epoch-NNN/data.js` as JSON.
pub(crate) fn epoch_data(reports: &Path, epoch: usize) -> serde_json::Value {
    let script =
        std::fs::read_to_string(reports.join(format!("epoch-{epoch:03}/data.js"))).unwrap();
    let json = script
        .trim()
        .strip_prefix("camwatch.epoch(")
        .and_then(|s| s.strip_suffix(");"))
        .expect("data.js calls camwatch.epoch(...)");
    serde_json::from_str(json).unwrap()
}

/// A JSON file's value.
pub(crate) fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Runs training with the arguments in `CAMWATCH_CHILD_ARGS`; the kill-and-resume test starts
/// this test binary again with it, so that it can kill a real training process (and so that
/// runs it compares number for number do not share LibTorch's random generator with the
/// tests running beside them).
#[test]
fn child_training_process() {
    if let Ok(args) = std::env::var("CAMWATCH_CHILD_ARGS") {
        run(serde_json::from_str::<Vec<String>>(&args).unwrap()).unwrap();
    }
}

/// A training process: this test binary again, running [`child_training_process`].
pub(crate) fn training_command(args: Vec<String>) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "common::child_training_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CAMWATCH_CHILD_ARGS", serde_json::to_string(&args).unwrap());
    command
}

/// Starts training in a child process.
pub(crate) fn spawn_training(args: Vec<String>) -> std::process::Child {
    training_command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}

/// Trains in a child process to the end (deterministic: LibTorch's random generator is its own).
pub(crate) fn train_in_child(args: Vec<String>) {
    let status = spawn_training(args).wait().unwrap();
    assert!(status.success(), "training failed");
}

/// Runs the `train` binary's `main` with the arguments in `CAMWATCH_MAIN_ARGS` and exits with
/// its code: what a user of the binary sees, exit code included.
#[test]
fn child_main_process() {
    if let Ok(args) = std::env::var("CAMWATCH_MAIN_ARGS") {
        let args: Vec<String> = serde_json::from_str(&args).unwrap();
        std::process::exit(train::main(args).into());
    }
}

/// The `train` binary with `args`: this test binary again, running [`child_main_process`].
pub(crate) fn main_command(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            "common::child_main_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("CAMWATCH_MAIN_ARGS", serde_json::to_string(args).unwrap());
    command
}
