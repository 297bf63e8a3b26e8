//! The training defaults of a run, by what it starts from.

/// Training defaults; each flag that is given replaces its value.
#[derive(Debug)]
pub struct Recipe {
    /// What the recipe is for and where it comes from, for the run's first lines.
    pub name: &'static str,
    /// Epochs.
    pub epochs: usize,
    /// Smallest share of an image's area a training crop keeps.
    pub crop_scale: f64,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate of the classifier.
    pub lr: f64,
    /// Epochs of linear warm-up.
    pub warmup_epochs: usize,
    /// The backbone's learning rate as a share of the classifier's.
    pub backbone_lr_factor: f64,
}

impl Recipe {
    /// A network trained from its initialization on the user's `--data`: Adam at 5e-3 in
    /// batches of 32 with cosine decay over 30 epochs, on crops of at least 35% of the image
    /// (fastai's from-scratch Imagenette recipe: torchvision's 8% is for ImageNet's 1.3 million
    /// images). On a generated plain-background set, 15 epochs with 8% crops ended at 46.5%,
    /// 30 epochs at 61.0%, and 30 epochs with 35% crops at 77.5% (BENCHMARKS.md, "The default
    /// run on every CPU setting"). (Batches of 16, which the default dataset needs, did worse
    /// there.)
    pub const FROM_SCRATCH: Recipe = Recipe {
        name: "training from scratch",
        epochs: 30,
        crop_scale: 0.35,
        batch_size: 32,
        ..Self::DEFAULT_DATASET
    };

    /// The generated default dataset from scratch: Adam at 5e-3 in batches of 16 for 40 epochs,
    /// on crops of at least 70% (its 96-px textures lose their class in smaller ones). In
    /// batches of 32 the model sat at chance for 5 to 8 epochs, and a warm-up or a lower rate
    /// kept it there longer; 16 doubles the steps per epoch at about the same cost
    /// (BENCHMARKS.md, "The default run on every CPU setting").
    pub const DEFAULT_DATASET: Recipe = Recipe {
        name: "training the default dataset from scratch",
        epochs: 40,
        crop_scale: 0.7,
        batch_size: 16,
        lr: 5e-3,
        warmup_epochs: 0,
        backbone_lr_factor: 1.0,
    };

    /// A pretrained backbone with a new classifier (`--weights`): discriminative learning rates
    /// (Howard & Ruder 2018, as fastai's `Learner.fine_tune` applies them: the backbone at a
    /// fraction of the new head's rate) with a linear warm-up (Goyal et al. 2017) and cosine
    /// decay, for 15 epochs on torchvision's crops (the augmentation pretrained weights were
    /// trained with); Adam at 2e-3 for the head (`fine_tune`'s base rate) and 0.3x that, 6e-4, for the
    /// backbone (at 1e-4 a backbone trained on other textures hardly adapted to new ones,
    /// BENCHMARKS.md "Fine-tuning defaults"). The from-scratch rate on every layer moves the
    /// backbone's kernels more than three times as far in an epoch (a test checks it);
    /// `make bench-finetune` compares both with PyTorch's transfer-learning tutorial.
    pub const FINE_TUNING: Recipe = Recipe {
        name: "fine-tuning, after fastai's fine_tune: a lower rate for the pretrained backbone, a warm-up, then decay",
        epochs: 15,
        crop_scale: 0.08,
        batch_size: 32,
        lr: 2e-3,
        warmup_epochs: 1,
        backbone_lr_factor: 0.3,
    };
}
