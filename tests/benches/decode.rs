//! Decoding a large JPEG for a 224-px model: whole, then resized (as torchvision's
//! `ImageFolder` loader and `Resize(256)` do with PIL), against camwatch's DCT-scaled decoding.
//!
//! Run: `cargo bench -p camwatch-tests --bench decode` (after `make setup`).

mod common;

use common::{REPEATS, median_seconds};
use image::RgbImage;
use vision::Resize;
use vision::{EvalTransform, load_rgb, load_rgb_for};

/// A 24-megapixel phone photo's size.
const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("photo.jpg");
    // Photo-like content: smooth colour fields with fine texture, JPEG quality 90.
    let photo = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let texture = ((x * 7 + y * 13) % 17) as u8;
        image::Rgb([
            (x / 24) as u8 ^ texture,
            (y / 16) as u8,
            ((x + y) / 40) as u8 + texture,
        ])
    });
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).expect("writable"));
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 90)
        .encode_image(&photo)
        .expect("JPEG encoding");
    drop(file);
    drop(photo);
    let transform = EvalTransform {
        size: 224,
        resize: Resize::Crop,
    };
    let side = transform.base_side();
    let theirs = camwatch_tests::python_json(
        "bench_decode.py",
        [
            "--image",
            path.to_str().expect("UTF-8 path"),
            "--size",
            &side.to_string(),
            "--repeats",
            &REPEATS.to_string(),
        ],
    )["seconds"]
        .as_f64()
        .expect("seconds");
    let whole = median_seconds(|| {
        transform.base(&load_rgb(&path).expect("decodes"));
    });
    let scaled = median_seconds(|| {
        transform.base(&load_rgb_for(&path, side).expect("decodes"));
    });
    let decoded = load_rgb_for(&path, side).expect("decodes").dimensions();
    println!("one {WIDTH}×{HEIGHT} JPEG to its {side}-px base (short side), median of {REPEATS}");
    println!(
        "PIL open + convert + Resize({side})       {:>7.1} ms",
        1e3 * theirs
    );
    println!(
        "camwatch, whole decode + resize         {:>7.1} ms",
        1e3 * whole
    );
    println!(
        "camwatch, DCT-scaled decode + resize    {:>7.1} ms   ({}×{} decoded, {:.1}× PIL, {:.1}× whole)",
        1e3 * scaled,
        decoded.0,
        decoded.1,
        theirs / scaled,
        whole / scaled
    );
    println!(
        "decoded pixels: whole {:.0} MB, DCT-scaled {:.1} MB",
        f64::from(WIDTH * HEIGHT * 3) / 1e6,
        f64::from(decoded.0 * decoded.1 * 3) / 1e6
    );
}
