//! Decoding image files: any supported format to 8-bit RGB, object masks to binary, and files
//! cut short refused rather than decoded half grey.

use std::path::{Path, PathBuf};

use image::{GrayImage, ImageFormat, Luma, RgbImage};

/// Supported formats, named in decoding errors.
pub const SUPPORTED: &str = "supported: JPEG, PNG, BMP, GIF, WebP, TIFF";

/// An image that could not be used, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The file is missing or unreadable.
    #[error("cannot read image {path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// The bytes are not an image in a supported format, or are truncated.
    #[error("cannot decode image {path}: {reason}")]
    Decode { path: PathBuf, reason: String },
}

impl ImageError {
    /// What went wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            Self::Io { cause, .. } => cause.to_string(),
            Self::Decode { reason, .. } => reason.clone(),
        }
    }
}

/// Decodes any supported image (format detected from content, not the extension) into 8-bit
/// RGB: grayscale is replicated, alpha dropped, 16-bit and float images scaled down. A JPEG or
/// PNG file that ends before its image data does is refused.
pub fn load_rgb(path: &Path) -> Result<RgbImage, ImageError> {
    let bytes = std::fs::read(path).map_err(|cause| ImageError::Io {
        path: path.to_owned(),
        cause,
    })?;
    decode_rgb(&bytes).map_err(|reason| ImageError::Decode {
        path: path.to_owned(),
        reason,
    })
}

/// [`load_rgb`] on the bytes of a file; the error says what is wrong.
pub fn decode_rgb(bytes: &[u8]) -> Result<RgbImage, String> {
    let format = image::guess_format(bytes)
        .map_err(|_| format!("unrecognized file content ({SUPPORTED})"))?;
    if is_truncated(bytes, format) {
        return Err(format!(
            "the file is truncated: its {} data ends early (an interrupted copy or download?); replace or delete it",
            format!("{format:?}").to_uppercase()
        ));
    }
    image::load_from_memory_with_format(bytes, format)
        .map(|image| image.to_rgb8())
        .map_err(|e| format!("{e} ({SUPPORTED})"))
}

/// Whether a JPEG lacks its end-of-image marker, or a PNG its end chunk: decoders fill what is
/// missing with grey instead of failing.
fn is_truncated(bytes: &[u8], format: ImageFormat) -> bool {
    // Encoders may pad the end with a few zero or newline bytes.
    let end = bytes
        .iter()
        .rposition(|&b| !matches!(b, 0 | b'\n' | b'\r'))
        .map_or(0, |i| i + 1);
    let content = &bytes[..end];
    match format {
        ImageFormat::Jpeg => !content.ends_with(&[0xFF, 0xD9]),
        // IEND chunk: type, then its CRC.
        ImageFormat::Png => !content.ends_with(&[b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]),
        _ => false,
    }
}

/// The object mask at `path` as 0 (background) or 255 (object): any non-zero value is object;
/// the error says what is wrong.
pub fn load_mask(path: &Path) -> Result<GrayImage, String> {
    let mask =
        image::open(path).map_err(|e| format!("cannot read mask {}: {e}", path.display()))?;
    let mut mask = mask.to_luma8();
    for Luma([v]) in mask.pixels_mut() {
        *v = if *v > 0 { 255 } else { 0 };
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(format: ImageFormat) -> Vec<u8> {
        let image = RgbImage::from_fn(64, 48, |x, y| image::Rgb([x as u8 * 4, y as u8 * 5, 90]));
        let mut bytes = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut bytes), format)
            .unwrap();
        bytes
    }

    #[test]
    fn whole_files_decode_and_cut_ones_are_refused_by_name() {
        for format in [ImageFormat::Jpeg, ImageFormat::Png] {
            let bytes = encoded(format);
            assert_eq!(decode_rgb(&bytes).unwrap().dimensions(), (64, 48));
            let cut = &bytes[..bytes.len() * 6 / 10];
            let error = decode_rgb(cut).unwrap_err();
            assert!(error.contains("truncated"), "{format:?}: {error}");
        }
    }

    #[test]
    fn tiff_decodes_and_junk_names_the_supported_formats() {
        assert_eq!(
            decode_rgb(&encoded(ImageFormat::Tiff))
                .unwrap()
                .dimensions(),
            (64, 48)
        );
        let error = decode_rgb(b"name,label\nx,1\n").unwrap_err();
        assert!(error.contains(SUPPORTED), "{error}");
    }
}
