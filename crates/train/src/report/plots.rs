//! The plots of the reports: loss and accuracy curves, confusion-matrix heatmap, and the
//! sanity check's similarity curves.

use cam::render::figure::draw;
use image::RgbImage;
use plotters::prelude::*;

use crate::diagnosis::Calibration;
use crate::run_dir::{EpochRecord, History};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 340;

/// One series of a curves panel: its legend, value per epoch (missing where unknown) and colour.
type Series = (&'static str, fn(&EpochRecord) -> Option<f64>, RGBColor);

/// Train/validation loss (left), accuracy (middle) and the validation answers' expected
/// calibration error (right) per epoch.
pub fn curves(history: &History) -> RgbImage {
    let epochs = history.epochs.len().max(2) as f64;
    let width = WIDTH * 3 / 2;
    draw((width, HEIGHT), |root| {
        let areas = root.split_evenly((1, 3));
        let max_loss = history
            .epochs
            .iter()
            .flat_map(|e| [e.train.train_loss, Some(e.val_loss)])
            .flatten()
            .fold(0.1, f64::max)
            * 1.1;
        let ece = |e: &EpochRecord| e.calibration.as_ref().map(|c| c.ece);
        let max_ece = history.epochs.iter().filter_map(ece).fold(0.05, f64::max) * 1.1;
        // A run trained elsewhere may not give its training numbers: their points are missing.
        let panels: [(&str, f64, Vec<Series>); 3] = [
            (
                "loss",
                max_loss,
                vec![
                    ("train", |e| e.train.train_loss, BLUE),
                    ("validation", |e| Some(e.val_loss), RED),
                ],
            ),
            (
                "accuracy (%)",
                100.0,
                vec![
                    ("train", |e| e.train.train_accuracy.map(|a| 100.0 * a), BLUE),
                    ("validation", |e| Some(100.0 * e.val_accuracy), RED),
                ],
            ),
            (
                "calibration error (ECE)",
                max_ece,
                vec![("validation", |e| e.calibration.as_ref().map(|c| c.ece), RED)],
            ),
        ];
        for ((title, top, series), area) in panels.into_iter().zip(&areas) {
            let mut chart = ChartBuilder::on(area)
                .caption(title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(30)
                .y_label_area_size(45)
                .build_cartesian_2d(1.0..epochs, 0.0..top)
                .expect("valid ranges");
            chart
                .configure_mesh()
                .x_desc("epoch")
                .x_labels(history.epochs.len().clamp(2, 15))
                .x_label_formatter(&|x| format!("{x:.0}"))
                .light_line_style(WHITE)
                .draw()
                .expect("drawing into a memory buffer");
            for (label, value, colour) in series {
                let points: Vec<(f64, f64)> = history
                    .epochs
                    .iter()
                    .filter_map(|e| Some((e.epoch as f64, value(e)?)))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)))
                    .expect("drawing into a memory buffer")
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
                chart
                    .draw_series(
                        points
                            .into_iter()
                            .map(|p| Circle::new(p, 3, colour.filled())),
                    )
                    .expect("drawing into a memory buffer");
            }
            legend(&mut chart, SeriesLabelPosition::MiddleRight);
        }
    })
}

/// The reliability diagram of an epoch: per confidence bin, the share of right answers (bars)
/// against the diagonal of perfect calibration, with each bin's image count.
pub fn reliability(calibration: &Calibration) -> RgbImage {
    let side = HEIGHT + 60;
    draw((side + 40, side), |root| {
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("reliability (ECE {:.3})", calibration.ece),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)
            .expect("valid ranges");
        chart
            .configure_mesh()
            .x_desc("top-1 confidence")
            .y_desc("accuracy")
            .light_line_style(WHITE)
            .draw()
            .expect("drawing into a memory buffer");
        let width = 1.0 / calibration.bins.len() as f64;
        let font = ("sans-serif", 11).into_font();
        for (k, bin) in calibration.bins.iter().enumerate() {
            if bin.count == 0 {
                continue;
            }
            let x = k as f64 * width;
            // The gap to the bin's mean confidence, then the accuracy itself.
            chart
                .draw_series([
                    Rectangle::new(
                        [(x, bin.accuracy), (x + width, bin.confidence)],
                        RED.mix(0.25).filled(),
                    ),
                    Rectangle::new(
                        [(x, 0.0), (x + width, bin.accuracy)],
                        BLUE.mix(0.7).filled(),
                    ),
                ])
                .expect("drawing into a memory buffer");
            chart
                .draw_series([Text::new(
                    bin.count.to_string(),
                    (x + width / 4.0, bin.accuracy.max(bin.confidence) + 0.04),
                    font.clone(),
                )])
                .expect("drawing into a memory buffer");
        }
        chart
            .draw_series(LineSeries::new(
                vec![(0.0, 0.0), (1.0, 1.0)],
                BLACK.stroke_width(1),
            ))
            .expect("drawing into a memory buffer");
    })
}

/// Confusion matrix as a heatmap with counts (rows: true class, columns: predicted).
pub fn confusion(confusion: &[Vec<usize>], names: &[String]) -> RgbImage {
    let k = confusion.len();
    let cell = (420 / k.max(1)).clamp(24, 90) as u32;
    let label = 110;
    let size = (label + cell * k as u32 + 20, label + cell * k as u32 + 20);
    draw(size, |root| {
        let font = ("sans-serif", 13).into_font();
        for (t, row) in confusion.iter().enumerate() {
            let total = row.iter().sum::<usize>().max(1) as f64;
            for (p, &count) in row.iter().enumerate() {
                let share = count as f64 / total;
                let x = (label + p as u32 * cell) as i32;
                let y = (label + t as u32 * cell) as i32;
                let [r, g, b] = cam::render::overlay::jet(share as f32);
                root.draw(&Rectangle::new(
                    [(x, y), (x + cell as i32 - 1, y + cell as i32 - 1)],
                    RGBColor(r, g, b).filled(),
                ))
                .expect("drawing into a memory buffer");
                let text_colour = if (0.25..0.75).contains(&share) {
                    &BLACK
                } else {
                    &WHITE
                };
                root.draw(&Text::new(
                    count.to_string(),
                    (x + cell as i32 / 2 - 6, y + cell as i32 / 2 - 7),
                    font.clone().color(text_colour),
                ))
                .expect("drawing into a memory buffer");
            }
        }
        let short = |s: &str| s.chars().take(14).collect::<String>();
        for (i, name) in names.iter().enumerate() {
            let offset = (label + i as u32 * cell + cell / 2) as i32;
            root.draw(&Text::new(short(name), (4, offset - 7), font.clone()))
                .expect("drawing into a memory buffer");
            root.draw(&Text::new(
                short(name),
                (offset - 6, label as i32 - 6),
                font.clone().transform(FontTransform::Rotate270),
            ))
            .expect("drawing into a memory buffer");
        }
        root.draw(&Text::new("true \\ predicted", (4, 4), font.clone()))
            .expect("drawing into a memory buffer");
    })
}

/// The sanity check's curves: per explainer, the mean Spearman correlation (left) and SSIM
/// (right) with its trained-model maps after each step of the cascade.
pub fn sanity(cascade: &cam::sanity::Cascade) -> RgbImage {
    const COLOURS: [RGBColor; 6] = [RED, BLUE, GREEN, MAGENTA, CYAN, BLACK];
    let steps = cascade.steps.len();
    draw((WIDTH, HEIGHT), |root| {
        let (left, right) = root.split_horizontally(WIDTH / 2);
        type Series = fn(&cam::sanity::Curve) -> &[f64];
        let panels: [(&str, Series, _); 2] = [
            ("Spearman rank correlation", |c| &c.spearman, left),
            ("SSIM", |c| &c.ssim, right),
        ];
        for (title, series, area) in panels {
            let mut chart = ChartBuilder::on(&area)
                .caption(title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(40)
                .y_label_area_size(45)
                .build_cartesian_2d(0.0..(steps - 1) as f64, -0.2..1.05)
                .expect("valid ranges");
            chart
                .configure_mesh()
                .x_desc("re-initialized down to: classifier (c), then features.N")
                .x_labels(steps)
                .x_label_formatter(&|x| match cascade
                    .steps
                    .get(x.round() as usize)
                    .map(String::as_str)
                {
                    Some("trained") => "-".to_owned(),
                    Some("classifier") => "c".to_owned(),
                    Some(block) => block.trim_start_matches("features.").to_owned(),
                    None => String::new(),
                })
                .x_label_style(("sans-serif", 11))
                .light_line_style(WHITE)
                .draw()
                .expect("drawing into a memory buffer");
            // Where the verdicts are taken: the top half of the network random.
            let at = cascade.verdict_step as f64;
            chart
                .draw_series(LineSeries::new(
                    vec![(at, -0.2), (at, 1.05)],
                    BLACK.mix(0.4).stroke_width(1),
                ))
                .expect("drawing into a memory buffer");
            for (curve, colour) in cascade.curves.iter().zip(COLOURS.iter().cycle()) {
                let points: Vec<(f64, f64)> = series(curve)
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (i as f64, v))
                    .collect();
                chart
                    .draw_series(LineSeries::new(points, colour.stroke_width(2)))
                    .expect("drawing into a memory buffer")
                    .label(curve.explainer)
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                    });
            }
            legend(&mut chart, SeriesLabelPosition::LowerLeft);
        }
    })
}

/// Draws `chart`'s series labels at `position`, on a translucent white box.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .expect("drawing into a memory buffer");
}
