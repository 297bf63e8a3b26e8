//! `train export CHECKPOINT OUTPUT.safetensors`: a checkpoint PyTorch can load.

use mobilenetv2::checkpoint::{self, LoadOptions};

use crate::cli::ExportArgs;

/// Writes the model with torchvision key names.
pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let device = crate::device::parse("cpu")?;
    let loaded = checkpoint::load(&args.checkpoint, &LoadOptions::default(), &device)?;
    checkpoint::export_safetensors(&loaded.model, &args.output)?;
    println!("wrote {}", args.output.display());
    println!(
        "load it in PyTorch with:\n  model = torchvision.models.mobilenet_v2(num_classes={}, width_mult={})\n  model.load_state_dict(safetensors.torch.load_file({:?}))",
        loaded.info.num_classes,
        loaded.info.width_mult,
        args.output.display().to_string()
    );
    Ok(())
}
