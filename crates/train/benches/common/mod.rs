//! What both benchmarks share: medians of repeated runs, and PyTorch's side in its own process.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

/// Timed runs per measurement, after one warm-up.
pub const REPEATS: usize = 5;

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Median seconds of `REPEATS` runs of `f` after a warm-up.
pub fn median_seconds(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPEATS / 2]
}

/// Runs `scripts/<script>` with `--flag value` options in the setup's virtualenv and parses
/// its JSON output. It runs before camwatch's side, so that the two never share the CPU, and
/// with the allocator settings camwatch gives itself (`train::allocator`), so that neither
/// side pays glibc's page faults.
pub fn pytorch(script: &str, options: &[(&str, String)]) -> serde_json::Value {
    let output = Command::new(root().join(".venv/bin/python"))
        .envs(train::allocator::ENVIRONMENT)
        .arg(root().join("scripts").join(script))
        .args(
            options
                .iter()
                .flat_map(|(flag, value)| [*flag, value.as_str()]),
        )
        .output()
        .expect("run `make setup` first: .venv/bin/python is missing");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON from the PyTorch side")
}
