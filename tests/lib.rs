//! What camwatch's integration tests and benchmarks share: the device, fixture paths, the
//! torchvision reference tensors written by `scripts/make_fixtures.py`, and PyTorch's side run
//! as a script.

use std::ffi::OsStr;
use std::path::PathBuf;

use burn::prelude::*;

/// The from-scratch learning rate on every layer, as flags: what `--weights` trained with
/// before it had fine-tuning defaults, the contrast for them in a test and a benchmark.
pub const FROM_SCRATCH_RATE: [&str; 6] = [
    "--lr",
    "5e-3",
    "--warmup-epochs",
    "0",
    "--backbone-lr-factor",
    "1",
];

/// The LibTorch CPU device the tests run on.
pub fn device() -> Device {
    models::native::cpu()
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is inside the workspace")
        .to_owned()
}

/// The Python of `scripts/setup.sh` (torch, torchvision, pytorch-grad-cam).
pub fn python() -> PathBuf {
    workspace().join(".venv/bin/python")
}

/// Runs `scripts/<script>` with `args` in the setup's Python and parses the JSON it prints.
/// It runs with the allocator settings camwatch gives itself (`train::allocator`), so that
/// neither side of a benchmark pays glibc's page faults.
pub fn python_json<S: AsRef<OsStr>>(
    script: &str,
    args: impl IntoIterator<Item = S>,
) -> serde_json::Value {
    assert!(
        python().exists(),
        "run `make setup` first: .venv/bin/python is missing"
    );
    let mut command = std::process::Command::new(python());
    command
        .envs(train::allocator::ENVIRONMENT)
        .arg(workspace().join("scripts").join(script))
        .args(args);
    json_output(&mut command, script)
}

/// Runs `command`, which must succeed, and parses the JSON on the last line it prints (the
/// lines before may be progress); `what` names it in failures.
pub fn json_output(command: &mut std::process::Command, what: &str) -> serde_json::Value {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or(""))
        .unwrap_or_else(|e| panic!("JSON from {what}: {e}"))
}

/// Path of a generated fixture; panics with the command that makes them when absent.
pub fn fixture(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/generated");
    assert!(
        dir.join("reference.safetensors").exists(),
        "test fixtures are missing: run `make test` (or make test-setup)"
    );
    dir.join(name)
}

/// A tensor from `reference.safetensors` (inputs and torchvision outputs).
pub fn reference<const D: usize>(name: &str, device: &Device) -> Tensor<D> {
    tensor_from("reference.safetensors", name, device)
}

/// A tensor from one of the generated safetensors fixtures.
pub fn tensor_from<const D: usize>(file: &str, name: &str, device: &Device) -> Tensor<D> {
    let bytes = std::fs::read(fixture(file)).expect("reference fixture");
    let tensors = safetensors::SafeTensors::deserialize(&bytes).expect("valid safetensors");
    let view = tensors
        .tensor(name)
        .unwrap_or_else(|_| panic!("no reference tensor {name}"));
    let values: Vec<f32> = view
        .data()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Tensor::from_data(TensorData::new(values, view.shape().to_vec()), device)
}

/// Largest absolute difference between two tensors.
pub fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
    assert_eq!(a.dims(), b.dims(), "shapes differ");
    (a - b).abs().max().into_scalar()
}

/// Renders a local HTML file in headless Chromium (Debian's `chromium`, which `make test`
/// installs): returns the DOM after load, and writes a screenshot to `screenshot`.
pub fn chromium(page: &std::path::Path, screenshot: &std::path::Path) -> String {
    let url = file_url(page);
    run_chromium(&url, &[format!("--screenshot={}", screenshot.display())]);
    run_chromium(&url, &["--dump-dom".to_owned()])
}

/// The DOM of `page` opened at `#fragment` in headless Chromium, after its scripts ran (and
/// loaded the scripts they add) for up to five seconds of virtual time.
pub fn chromium_dom(page: &std::path::Path, fragment: &str) -> String {
    let url = format!("{}#{fragment}", file_url(page));
    run_chromium(
        &url,
        &[
            "--dump-dom".to_owned(),
            "--virtual-time-budget=5000".to_owned(),
        ],
    )
}

fn file_url(page: &std::path::Path) -> String {
    format!(
        "file://{}",
        page.canonicalize().expect("page exists").display()
    )
}

/// Runs headless Chromium on `url` with `extra` flags; returns what it prints.
fn run_chromium(url: &str, extra: &[String]) -> String {
    let profile = tempfile::tempdir().expect("temporary profile");
    let output = std::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1100,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("Debian's chromium is installed (make test installs it)");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The MobileNetV2 inside `model`.
///
/// # Panics
/// If `model` is another architecture.
pub fn mobilenet_v2(model: models::Model) -> models::MobileNetV2 {
    match model {
        models::Model::MobileNetV2(network) => network,
        other => panic!(
            "expected a MobileNetV2, got {}",
            other.architecture().describe()
        ),
    }
}
