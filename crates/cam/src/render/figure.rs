//! Pictures drawn with plotters: titled image grids (explain figures, report grids), and the
//! canvas of the report's plots.

use std::path::Path;
use std::sync::Once;

use image::RgbImage;
use plotters::coord::Shift;
use plotters::element::BitMapElement;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// One titled image of a grid.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Up to two lines (split on `\n`), shortened to fit the panel.
    pub title: String,
    /// Drawn scaled to the grid's cell size.
    pub image: RgbImage,
}

const PAD: u32 = 8;
const FONT_PX: u32 = 13;
const LINE_PX: u32 = 16;
const TITLE_LINES: u32 = 2;

/// DejaVu Sans, embedded so drawing text needs no system fonts.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

/// Makes the embedded font available to plotters as "sans-serif" (idempotent).
fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            unreachable!("the embedded DejaVu Sans is a valid font");
        }
    });
}

/// A white `size` RGB picture painted by `paint` with plotters, the embedded font registered.
pub fn draw(
    size: (u32, u32),
    paint: impl FnOnce(DrawingArea<BitMapBackend<'_>, Shift>),
) -> RgbImage {
    register_font();
    let mut buffer = vec![255u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        paint(root.clone());
        root.present().expect("drawing into a memory buffer");
    }
    RgbImage::from_raw(size.0, size.1, buffer).expect("buffer matches size")
}

/// Draws `rows` of panels, each image scaled to `cell × cell` under its title.
pub fn grid(rows: &[Vec<Panel>], cell: u32) -> RgbImage {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let title = TITLE_LINES * LINE_PX + 4;
    let width = cols * (cell + PAD) + PAD;
    let height = rows.len() as u32 * (cell + title + PAD) + PAD;
    draw((width, height), |root| {
        let font = ("sans-serif", FONT_PX).into_font().color(&BLACK);
        // Roughly 0.55 em per character in DejaVu Sans.
        let max_chars = (cell as f32 / (FONT_PX as f32 * 0.55)) as usize;
        for (r, row) in rows.iter().enumerate() {
            for (c, panel) in row.iter().enumerate() {
                let x = (PAD + c as u32 * (cell + PAD)) as i32;
                let y = (PAD + r as u32 * (cell + title + PAD)) as i32;
                for (i, line) in panel.title.lines().take(TITLE_LINES as usize).enumerate() {
                    let text = shorten(line, max_chars);
                    let at = (x, y + (i as u32 * LINE_PX) as i32);
                    root.draw(&Text::new(text, at, font.clone()))
                        .expect("drawing into a memory buffer");
                }
                let image = vision::resize::rgb(&panel.image, (cell, cell));
                let element = BitMapElement::with_owned_buffer(
                    (x, y + title as i32),
                    (cell, cell),
                    image.into_raw(),
                )
                .expect("buffer matches cell size");
                root.draw(&element).expect("drawing into a memory buffer");
            }
        }
    })
}

fn shorten(line: &str, max_chars: usize) -> String {
    if line.chars().count() <= max_chars {
        line.to_owned()
    } else {
        let kept: String = line.chars().take(max_chars.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

/// `name` with every character that is not alphanumeric, `-` or `_` replaced by `_`, for
/// output file names built from class names.
pub fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Encodes `image` as PNG and writes it atomically.
pub fn save_png(image: &RgbImage, path: &Path) -> Result<(), atomic_write::WriteError> {
    atomic_write::write_bytes(path, &png_bytes(image))
}

/// `image` as PNG bytes, fast compression: reports are written every epoch, and a few more
/// kilobytes cost less than the time.
pub fn png_bytes(image: &RgbImage) -> Vec<u8> {
    use image::codecs::png::{CompressionType, FilterType, PngEncoder};
    use image::{ExtendedColorType, ImageEncoder};
    let mut bytes = Vec::new();
    PngEncoder::new_with_quality(&mut bytes, CompressionType::Fast, FilterType::Adaptive)
        .write_image(
            image,
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("PNG encoding into memory");
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(safe_file_name("sun flower/2"), "sun_flower_2");
        assert_eq!(safe_file_name("dé-jà_vu"), "dé-jà_vu");
    }

    #[test]
    fn long_titles_are_shortened_with_an_ellipsis() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("a long title", 6), "a lon…");
    }

    #[test]
    fn grid_has_a_cell_per_panel_and_room_for_titles() {
        let panel = Panel {
            title: "one\ntwo".to_owned(),
            image: RgbImage::new(10, 10),
        };
        let image = grid(&[vec![panel.clone(), panel.clone()], vec![panel]], 32);
        let title = TITLE_LINES * LINE_PX + 4;
        assert_eq!(
            image.dimensions(),
            (2 * (32 + PAD) + PAD, 2 * (32 + title + PAD) + PAD)
        );
    }
}
