//! `train generate DIR`: the synthetic textures dataset, optionally with a planted shortcut.

use crate::cli::GenerateArgs;
use crate::data::synthetic::{self, Spec};
use crate::progress::bar;

/// Writes the dataset.
pub fn run(args: &GenerateArgs) -> anyhow::Result<()> {
    let spec = Spec {
        train_per_class: args.train_per_class,
        val_per_class: args.val_per_class,
        seed: args.seed,
        shortcut: args.shortcut,
        background: args.background,
        label_noise: args.label_noise,
    };
    let progress = bar(0, "generate");
    synthetic::generate(&args.output, spec, &progress)?;
    progress.finish_and_clear();
    println!(
        "wrote {} training and {} validation images per class to {}{}",
        args.train_per_class,
        args.val_per_class,
        args.output.display(),
        match args.shortcut {
            Some(_) =>
                " (training images of all classes but the last carry a class-coloured watermark)",
            None => "",
        }
    );
    if args.label_noise > 0.0 {
        println!(
            "moved {:.0}% of each class's images to another class's folder; the truth is in {}",
            100.0 * args.label_noise,
            args.output.join(synthetic::LABEL_NOISE_FILE).display()
        );
    }
    Ok(())
}
