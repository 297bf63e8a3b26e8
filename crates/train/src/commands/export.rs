//! `train export --checkpoint CHECKPOINT OUTPUT.safetensors`: a checkpoint PyTorch can load.

use mobilenetv2::checkpoint::{self, LoadOptions};

use crate::cli::ExportArgs;

/// Writes the model with torchvision key names.
pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let device = crate::device::parse("cpu")?;
    let (checkpoint, output) = args.paths()?;
    let loaded = checkpoint::load(checkpoint, &LoadOptions::default(), &device)?;
    checkpoint::export_safetensors(&loaded.model, output)?;
    println!("wrote {}", output.display());
    println!(
        "load it in PyTorch with:\n  model = torchvision.models.mobilenet_v2(num_classes={}, width_mult={})\n  model.load_state_dict(safetensors.torch.load_file({:?}))",
        loaded.info.num_classes,
        loaded.info.width_mult,
        output.display().to_string()
    );
    Ok(())
}
