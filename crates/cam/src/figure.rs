//! Titled image grids drawn with plotters (3-panel explain figures, per-epoch report grids).

use std::path::Path;
use std::sync::Once;

use image::RgbImage;
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
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Makes the embedded font available to plotters as "sans-serif" (idempotent).
pub fn register_font() {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        if plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_err() {
            unreachable!("the embedded DejaVu Sans is a valid font");
        }
    });
}

/// Draws `rows` of panels, each image scaled to `cell × cell` under its title.
pub fn grid(rows: &[Vec<Panel>], cell: u32) -> RgbImage {
    register_font();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0) as u32;
    let title = TITLE_LINES * LINE_PX + 4;
    let width = cols * (cell + PAD) + PAD;
    let height = rows.len() as u32 * (cell + title + PAD) + PAD;
    let mut buffer = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, (width, height)).into_drawing_area();
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
                let image = crate::input::resize(&panel.image, cell as usize);
                let element = BitMapElement::with_owned_buffer(
                    (x, y + title as i32),
                    (cell, cell),
                    image.into_raw(),
                )
                .expect("buffer matches cell size");
                root.draw(&element).expect("drawing into a memory buffer");
            }
        }
        root.present().expect("drawing into a memory buffer");
    }
    RgbImage::from_raw(width, height, buffer).expect("buffer matches dimensions")
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
pub fn save_png(image: &RgbImage, path: &Path) -> Result<(), mobilenetv2::atomic::WriteError> {
    let mut bytes = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .expect("PNG encoding into memory");
    mobilenetv2::atomic::write_bytes(path, &bytes)
}
