use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use super::CheckpointError;

/// The file formats camwatch reads, told apart by their first bytes, not their extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// `torch.save` since PyTorch 1.6: a zip archive holding a pickle and the tensor data.
    PytorchZip,
    /// `torch.save(..., _use_new_zipfile_serialization=False)`: one pickle stream.
    PytorchLegacy,
    /// Hugging Face safetensors.
    Safetensors,
    /// camwatch's own checkpoint: Burn's burnpack with camwatch metadata.
    Camwatch,
}

impl Format {
    /// Detects the format of the file at `path` from its magic bytes.
    pub fn detect(path: &Path) -> Result<Self, CheckpointError> {
        let io = |cause| CheckpointError::Io {
            path: path.to_owned(),
            cause,
        };
        let mut head = Vec::with_capacity(16);
        std::fs::File::open(path)
            .map_err(io)?
            .take(16)
            .read_to_end(&mut head)
            .map_err(io)?;
        match head.as_slice() {
            [] => Err(CheckpointError::Empty {
                path: path.to_owned(),
            }),
            [b'P', b'K', 3, 4, ..] => Ok(Self::PytorchZip),
            [0x80, 2..=5, ..] => Ok(Self::PytorchLegacy),
            [b'N', b'R', b'U', b'B', ..] => Ok(Self::Camwatch),
            [_, _, _, _, _, _, _, _, b'{', ..] => Ok(Self::Safetensors),
            _ => Err(CheckpointError::UnknownFormat {
                path: path.to_owned(),
            }),
        }
    }

    /// A short human name.
    pub fn describe(self) -> &'static str {
        match self {
            Self::PytorchZip => "PyTorch (zip)",
            Self::PytorchLegacy => "PyTorch (legacy pickle)",
            Self::Safetensors => "safetensors",
            Self::Camwatch => "camwatch (burnpack)",
        }
    }
}

/// Whether the zip at `path` is a TorchScript archive (`torch.jit.save`): its central directory,
/// at the end of the file, names a `constants.pkl` and the `code/` of the scripted module.
pub(crate) fn torchscript(path: &Path, format: Format) -> bool {
    const TAIL: u64 = 1 << 20;
    if format != Format::PytorchZip {
        return false;
    }
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    let length = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut tail = Vec::new();
    let read = file
        .seek(SeekFrom::Start(length.saturating_sub(TAIL)))
        .and_then(|_| file.read_to_end(&mut tail));
    let names = |needle: &[u8]| tail.windows(needle.len()).any(|w| w == needle);
    read.is_ok() && names(b"constants.pkl") && names(b"/code/")
}
