use std::path::PathBuf;

/// Everything that can go wrong reading or writing a checkpoint. Each message is one line
/// that says what is wrong and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("cannot read checkpoint {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("checkpoint {path} is empty (0 bytes); re-create or re-download it")]
    Empty { path: PathBuf },
    #[error(
        "{path} is not a checkpoint camwatch can read (expected a PyTorch .pth/.pt, .safetensors or camwatch .bpk file)"
    )]
    UnknownFormat { path: PathBuf },
    #[error("checkpoint {path} is truncated or corrupt ({reason}); re-create or re-download it")]
    Corrupt { path: PathBuf, reason: String },
    /// No key of an architecture camwatch runs, nor of one it recognizes.
    #[error(
        "{path} holds no weights of an architecture camwatch runs (no key ending in 'features.1.conv.0.0.weight' or 'layer1.0.conv1.weight' among its {count} tensors); camwatch runs {}",
        crate::Architecture::supported()
    )]
    UnknownArchitecture { path: PathBuf, count: usize },
    /// The weights of a family camwatch recognizes but does not run.
    #[error(
        "{path} holds {what}, which camwatch does not run yet; it runs {}",
        crate::Architecture::supported()
    )]
    Unsupported { path: PathBuf, what: String },
    /// A TorchScript archive: a program, not a `state_dict`.
    #[error(
        "{path} is a TorchScript archive (torch.jit.save), not a state_dict; save the weights with torch.save(model.state_dict(), \"model.pth\") and pass that file"
    )]
    TorchScript { path: PathBuf },
    #[error("{path}: {what}")]
    Architecture { path: PathBuf, what: String },
    #[error(
        "{path} was trained for {found} classes but {requested} were requested; pass --num-classes {found}, or load only its backbone to fine-tune for {requested} classes"
    )]
    ClassCount {
        path: PathBuf,
        found: usize,
        requested: usize,
    },
    #[error("{path} does not match {architecture}: {}", key_summary(.missing, .unexpected))]
    Keys {
        path: PathBuf,
        architecture: String,
        missing: Vec<String>,
        unexpected: Vec<String>,
    },
    #[error(transparent)]
    Write(#[from] atomic_write::WriteError),
}

/// "3 missing keys (a, b, c); 1 unexpected key (d)", listing at most five of each.
fn key_summary(missing: &[String], unexpected: &[String]) -> String {
    let part = |keys: &[String], what: &str| {
        let shown: Vec<&str> = keys.iter().take(5).map(String::as_str).collect();
        let more = if keys.len() > 5 { ", ..." } else { "" };
        let plural = if keys.len() == 1 { "" } else { "s" };
        format!(
            "{} {what} key{plural} ({}{more})",
            keys.len(),
            shown.join(", ")
        )
    };
    let mut parts = Vec::new();
    if !missing.is_empty() {
        parts.push(part(missing, "missing"));
    }
    if !unexpected.is_empty() {
        parts.push(part(unexpected, "unexpected"));
    }
    parts.join("; ")
}
