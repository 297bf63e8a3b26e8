//! `train inspect PATH`: what a checkpoint holds.

use anyhow::Context;
use models::checkpoint;
use vision::Resize;

use crate::cli::InspectArgs;

/// Prints the checkpoint's description, as text or JSON.
pub fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let info = checkpoint::inspect(args.checkpoint())?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&info).context("JSON encoding")?
        );
        return Ok(());
    }
    println!("checkpoint     {}", info.path.display());
    println!("format         {}", info.format.describe());
    println!("keys           {}", info.layout.describe());
    println!(
        "architecture   {}, {} classes",
        info.architecture.describe(),
        info.num_classes
    );
    println!("parameters     {}", thousands(info.parameters));
    match &info.metadata {
        Some(meta) => {
            println!("classes        {}", meta.class_names.join(", "));
            println!(
                "image size     {0}x{0}, {1}",
                meta.image_size,
                match meta.resize {
                    Resize::Crop => "centre crop of the short side resized (torchvision's)",
                    Resize::Squash => "whole frame squashed",
                }
            );
            println!(
                "normalization  mean {:?}, std {:?}",
                meta.normalization.mean, meta.normalization.std
            );
            let accuracy = meta.val_accuracy.map_or(String::new(), |a| {
                format!(", validation accuracy {:.1}%", 100.0 * a)
            });
            println!("trained        {} epoch(s){accuracy}", meta.epoch);
        }
        None => {
            println!(
                "classes        names not stored (class 0 ... class {})",
                info.num_classes - 1
            );
            println!(
                "image size     not stored (torchvision models expect 224x224, centre crop of the short side resized to 256)"
            );
            println!("normalization  not stored (ImageNet mean/std assumed)");
        }
    }
    Ok(())
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
