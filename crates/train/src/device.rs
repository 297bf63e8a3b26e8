//! `--device`: LibTorch on the CPU or a CUDA GPU.

use anyhow::{Context, bail};
use burn::prelude::*;

/// Parses `cpu`, `cuda` or `cuda:N` into a LibTorch device, checking that CUDA is usable.
#[allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.
pub fn parse(name: &str) -> anyhow::Result<Device> {
    match name {
        "cpu" => Ok(Device::libtorch()),
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
            Ok(Device::libtorch_cuda(index))
        }
    }
}
