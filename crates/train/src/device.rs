//! `--device`: LibTorch on the CPU or a CUDA GPU.

use anyhow::{Context, bail};
use burn::prelude::*;

/// Parses `cpu`, `cuda` or `cuda:N` into a LibTorch device, checking that CUDA is usable.
pub fn parse(name: &str) -> anyhow::Result<Device> {
    let device = parse_name(name)?;
    check_libtorch(&device)?;
    Ok(device)
}

fn parse_name(name: &str) -> anyhow::Result<Device> {
    match name {
        "cpu" => Ok(models::native::cpu()),
        _ => {
            let index = match name.strip_prefix("cuda") {
                Some("") => 0,
                Some(rest) => rest
                    .strip_prefix(':')
                    .and_then(|i| i.parse::<usize>().ok())
                    .with_context(|| format!("unknown device '{name}'; use cpu, cuda or cuda:N"))?,
                None => bail!("unknown device '{name}'; use cpu, cuda or cuda:N"),
            };
            let available = tch::Cuda::device_count() as usize;
            if index >= available {
                bail!(
                    "device '{name}' is not available: LibTorch sees {available} CUDA device(s); use --device cpu"
                );
            }
            Ok(models::native::cuda(index))
        }
    }
}

/// What computes on the device named `name` (as `--device`): the LibTorch version and, on the
/// CPU, ATen's kernel set and thread count, which decide float rounding. A run repeats exactly
/// for its `--seed` only where these are the same.
pub fn describe(name: &str) -> String {
    let version = models::native::libtorch_version();
    if name == "cpu" {
        let threads = tch::get_num_threads();
        format!(
            "LibTorch {version} on the CPU: {} kernels, {threads} thread{}",
            models::native::cpu_capability(),
            if threads == 1 { "" } else { "s" }
        )
    } else {
        format!("LibTorch {version} on {name}")
    }
}

/// Fails with one line when the LibTorch loaded at run time cannot run a tensor op on `device`:
/// typically another PyTorch's libraries found first (`LD_LIBRARY_PATH`), which LibTorch
/// reports only as a panic at the first tensor.
fn check_libtorch(device: &Device) -> anyhow::Result<()> {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let sum =
        std::panic::catch_unwind(|| Tensor::<1>::ones([2], device).sum().into_scalar::<f32>());
    std::panic::set_hook(quiet);
    match sum {
        Ok(2.0) => Ok(()),
        _ => bail!(
            "the LibTorch loaded at run time cannot compute on {device:?}: this binary needs LibTorch {} (PyTorch's own libraries, see `make setup`); unset LD_LIBRARY_PATH if it names another PyTorch",
            models::native::libtorch_version()
        ),
    }
}
