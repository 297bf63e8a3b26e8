//! The learning-rate defaults of a run, by what it starts from.

/// Learning-rate defaults; each flag that is given replaces its value.
#[derive(Debug)]
pub struct Recipe {
    /// What the recipe is for and where it comes from, for the run's first lines.
    pub name: &'static str,
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
    /// batches of 32 with cosine decay. (Batches of 16, which the default dataset needs, did
    /// worse on a plain-background set with torchvision's crops in one run each, BENCHMARKS.md.)
    pub const FROM_SCRATCH: Recipe = Recipe {
        name: "training from scratch",
        batch_size: 32,
        ..Self::DEFAULT_DATASET
    };

    /// The generated default dataset from scratch: as [`Self::FROM_SCRATCH`] in batches of 16.
    /// In batches of 32 the model sat at chance for 5 to 8 epochs, and a warm-up or a lower
    /// rate kept it there longer; 16 doubles the steps per epoch at about the same cost
    /// (BENCHMARKS.md, "The default run on every CPU setting").
    pub const DEFAULT_DATASET: Recipe = Recipe {
        name: "training the default dataset from scratch",
        batch_size: 16,
        lr: 5e-3,
        warmup_epochs: 0,
        backbone_lr_factor: 1.0,
    };

    /// A pretrained backbone with a new classifier (`--weights`): discriminative learning rates
    /// (Howard & Ruder 2018, as fastai's `Learner.fine_tune` applies them: the backbone at a
    /// fraction of the new head's rate) with a linear warm-up (Goyal et al. 2017) and cosine
    /// decay; Adam at 2e-3 for the head (`fine_tune`'s base rate) and 0.3x that, 6e-4, for the
    /// backbone (at 1e-4 a backbone trained on other textures hardly adapted to new ones,
    /// BENCHMARKS.md "Fine-tuning defaults"). The from-scratch rate on every layer moves the
    /// backbone's kernels more than three times as far in an epoch (a test checks it);
    /// `make bench-finetune` compares both with PyTorch's transfer-learning tutorial.
    pub const FINE_TUNING: Recipe = Recipe {
        name: "fine-tuning, after fastai's fine_tune: a lower rate for the pretrained backbone, a warm-up, then decay",
        batch_size: 32,
        lr: 2e-3,
        warmup_epochs: 1,
        backbone_lr_factor: 0.3,
    };
}
