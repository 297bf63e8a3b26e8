//! `train export --checkpoint CHECKPOINT OUTPUT.safetensors`: a checkpoint PyTorch can load.

use models::checkpoint::{self, LoadOptions};

use crate::cli::ExportArgs;

/// Writes the model with torchvision key names.
pub fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let device = crate::device::parse("cpu")?;
    let (checkpoint, output) = args.paths()?;
    let loaded = checkpoint::load(checkpoint, &LoadOptions::default(), &device)?;
    checkpoint::export_safetensors(&loaded.model, output)?;
    println!("wrote {}", output.display());
    match loaded.info.architecture.torchvision_constructor() {
        Ok(constructor) => println!(
            "load it in PyTorch with:\n  model = {constructor}\n  model.load_state_dict(safetensors.torch.load_file({:?}))",
            output.display().to_string()
        ),
        Err(why) => println!("its keys are torchvision's, but {why}"),
    }
    Ok(())
}
