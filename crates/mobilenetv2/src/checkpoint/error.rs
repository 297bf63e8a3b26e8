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
    #[error(
        "{path} holds no MobileNetV2 weights (no key ending in 'features.0.0.weight' among its {count} tensors)"
    )]
    NotMobileNetV2 { path: PathBuf, count: usize },
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
    #[error("{path} does not match MobileNetV2: {}", key_summary(.missing, .unexpected))]
    Keys {
        path: PathBuf,
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
