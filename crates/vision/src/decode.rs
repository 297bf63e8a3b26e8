//! Decoding image files: any supported format to 8-bit RGB, object masks to binary, and files
//! cut short refused rather than decoded half grey.

use std::io::{Read, Seek, SeekFrom};
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
    load(path, None)
}

/// [`load_rgb`] for an image needed with a short side of `short_side` pixels at most: a JPEG at
/// least twice as large is decoded at 1/2, 1/4 or 1/8 of its size straight from its DCT
/// coefficients (as libjpeg's scaled decoding), still at least `short_side` on its short side.
pub fn load_rgb_for(path: &Path, short_side: u32) -> Result<RgbImage, ImageError> {
    load(path, Some(short_side))
}

fn load(path: &Path, short_side: Option<u32>) -> Result<RgbImage, ImageError> {
    let bytes = std::fs::read(path).map_err(|cause| ImageError::Io {
        path: path.to_owned(),
        cause,
    })?;
    decode(&bytes, short_side).map_err(|reason| ImageError::Decode {
        path: path.to_owned(),
        reason,
    })
}

/// The pixel size (width, height) [`load_rgb_for`] decodes the image at `path` to, read from
/// its header; the file is checked as [`load_rgb`] checks it (content format, JPEG/PNG end
/// marker) without being decoded: cheap enough to check a whole dataset before streaming it.
pub fn probe(path: &Path, short_side: u32) -> Result<(u32, u32), ImageError> {
    let fail = |reason: String| ImageError::Decode {
        path: path.to_owned(),
        reason,
    };
    let io = |cause| ImageError::Io {
        path: path.to_owned(),
        cause,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::with_capacity(PROBE_BYTES);
    (&mut file)
        .take(PROBE_BYTES as u64)
        .read_to_end(&mut head)
        .map_err(io)?;
    let length = file.metadata().map_err(io)?.len();
    let tail = if length as usize <= head.len() {
        head.clone()
    } else {
        let mut tail = Vec::with_capacity(TAIL_BYTES);
        file.seek(SeekFrom::Start(length.saturating_sub(TAIL_BYTES as u64)))
            .map_err(io)?;
        file.read_to_end(&mut tail).map_err(io)?;
        tail
    };
    let format = format_of(&head).map_err(fail)?;
    if is_truncated(&tail, format) {
        return Err(fail(truncated(format)));
    }
    // Headers fit in the first bytes; a format whose header lies further reads the file.
    let dimensions = |bytes: &[u8]| {
        image::ImageReader::with_format(std::io::Cursor::new(bytes), format).into_dimensions()
    };
    let size = match dimensions(&head) {
        Ok(size) => size,
        Err(_) => {
            let bytes = std::fs::read(path).map_err(io)?;
            dimensions(&bytes).map_err(|e| fail(format!("{e} ({SUPPORTED})")))?
        }
    };
    Ok(match format {
        ImageFormat::Jpeg => dct_scaled_size(size, short_side).unwrap_or(size),
        _ => size,
    })
}

/// Bytes [`probe`] reads from a file's start and end.
const PROBE_BYTES: usize = 64 * 1024;
const TAIL_BYTES: usize = 1024;

/// The bytes of a file checked, then decoded (DCT-scaled for `short_side`, see
/// [`load_rgb_for`]); the error says what is wrong.
fn decode(bytes: &[u8], short_side: Option<u32>) -> Result<RgbImage, String> {
    let format = check(bytes)?;
    if format == ImageFormat::Jpeg
        && let Some(image) = short_side.and_then(|side| scaled_jpeg(bytes, side))
    {
        return Ok(image);
    }
    image::load_from_memory_with_format(bytes, format)
        .map(|image| image.into_rgb8())
        .map_err(|e| format!("{e} ({SUPPORTED})"))
}

/// A JPEG decoded at the smallest DCT scale that keeps its short side at least `short_side`;
/// `None` where no reduction applies or the colour type is not plain RGB or grey.
fn scaled_jpeg(bytes: &[u8], short_side: u32) -> Option<RgbImage> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    let (scaled_width, scaled_height) = dct_scaled_size((width, height), short_side)?;
    decoder
        .scale(scaled_width as u16, scaled_height as u16)
        .ok()?;
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(width, height, pixels),
        jpeg_decoder::PixelFormat::L8 => {
            let gray = GrayImage::from_raw(width, height, pixels)?;
            Some(image::DynamicImage::ImageLuma8(gray).to_rgb8())
        }
        _ => None,
    }
}

/// The size a JPEG of `width × height` decodes to at the smallest DCT scale (1/2, 1/4 or 1/8)
/// that keeps its short side at least `short_side`, as libjpeg and `jpeg-decoder` round it
/// (up); `None` where the image is less than twice as large.
fn dct_scaled_size((width, height): (u32, u32), short_side: u32) -> Option<(u32, u32)> {
    if width.min(height) < 2 * short_side {
        return None;
    }
    let short = width.min(height);
    [8, 4, 2]
        .into_iter()
        .find(|&d| short.div_ceil(d) >= short_side)
        .map(|d| (width.div_ceil(d), height.div_ceil(d)))
}

/// The format of an image file's bytes, or what is wrong with them.
fn check(bytes: &[u8]) -> Result<ImageFormat, String> {
    let format = format_of(bytes)?;
    if is_truncated(bytes, format) {
        return Err(truncated(format));
    }
    Ok(format)
}

/// The format of an image file from its first bytes.
fn format_of(head: &[u8]) -> Result<ImageFormat, String> {
    image::guess_format(head).map_err(|_| format!("unrecognized file content ({SUPPORTED})"))
}

/// What is wrong with a file [`is_truncated`] refuses.
fn truncated(format: ImageFormat) -> String {
    format!(
        "the file is truncated: its {} data ends early (an interrupted copy or download?); replace or delete it",
        format!("{format:?}").to_uppercase()
    )
}

/// Whether a JPEG lacks its end-of-image marker, or a PNG its end chunk: decoders fill what is
/// missing with grey instead of failing. `bytes` is the file or its last bytes.
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
            assert_eq!(decode(&bytes, None).unwrap().dimensions(), (64, 48));
            let cut = &bytes[..bytes.len() * 6 / 10];
            let error = decode(cut, None).unwrap_err();
            assert!(error.contains("truncated"), "{format:?}: {error}");
            let dir = tempfile::tempdir().unwrap();
            let [whole, short] = ["whole", "cut"].map(|name| dir.path().join(name));
            std::fs::write(&whole, &bytes).unwrap();
            std::fs::write(&short, cut).unwrap();
            assert_eq!(probe(&whole, 48).unwrap(), (64, 48));
            let error = probe(&short, 48).unwrap_err().reason();
            assert!(error.contains("truncated"), "{format:?}: {error}");
        }
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk.jpg");
        std::fs::write(&junk, b"name,label").unwrap();
        assert!(probe(&junk, 48).unwrap_err().reason().contains(SUPPORTED));
    }

    #[test]
    fn large_jpegs_decode_scaled_down_to_about_what_a_full_decode_resizes_to() {
        let image = RgbImage::from_fn(1600, 1200, |x, y| {
            image::Rgb([(x / 7) as u8, (y / 5) as u8, ((x + y) / 11) as u8])
        });
        let mut bytes = Vec::new();
        image
            .write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Jpeg)
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.jpg");
        std::fs::write(&path, &bytes).unwrap();
        // Short side 1200 for 256: the 1/4 scale (400×300) is the smallest that keeps 256.
        let scaled = load_rgb_for(&path, 256).unwrap();
        assert_eq!(scaled.dimensions(), (400, 300));
        for side in [100, 149, 150, 151, 256, 599, 600, 601] {
            let decoded = load_rgb_for(&path, side).unwrap().dimensions();
            assert_eq!(probe(&path, side).unwrap(), decoded, "short side {side}");
            assert!(decoded.1 >= side);
        }
        let full = load_rgb(&path).unwrap();
        let resize = |i: &RgbImage| {
            image::imageops::resize(i, 341, 256, image::imageops::FilterType::Triangle)
        };
        let (a, b) = (resize(&scaled), resize(&full));
        let mean = a
            .as_raw()
            .iter()
            .zip(b.as_raw())
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.as_raw().len() as f64;
        assert!(mean < 1.5, "mean difference {mean:.2} levels");
        // Small JPEGs and other formats decode whole.
        assert_eq!(load_rgb_for(&path, 700).unwrap().dimensions(), (1600, 1200));
    }

    #[test]
    fn tiff_decodes_and_junk_names_the_supported_formats() {
        assert_eq!(
            decode(&encoded(ImageFormat::Tiff), None)
                .unwrap()
                .dimensions(),
            (64, 48)
        );
        let error = decode(b"name,label\nx,1\n", None).unwrap_err();
        assert!(error.contains(SUPPORTED), "{error}");
    }
}
