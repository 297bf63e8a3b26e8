//! Offline HTML pages (no scripts, no external assets).

use std::fmt::Write as _;

use html_escape::encode_text as esc;

use burn_dataset::Dataset;

use super::SampleReport;
use super::baselines::MapScores;
use cam::metrics::MapStats;

use super::metrics::{self, ClassScores};
use crate::data::Data;
use crate::run::{EpochRecord, History, Run};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}\
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\
th{background:#f3f3f3}td.l,th.l{text-align:left}img{max-width:100%}.bad{color:#b00}.good{color:#070}\
.note{color:#555;font-size:90%}\
.warn{background:#fff3cd;border:1px solid #e0b000;padding:0.8em;margin:1em 0}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}</body></html>\n",
        esc(title)
    )
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("–".to_owned(), |v| format!("{v:.2}"))
}

/// A table row: a left-aligned label, then right-aligned cells.
fn row(out: &mut String, label: &str, cells: &[String]) {
    let _ = write!(out, "<tr><td class=l>{}</td>", esc(label));
    for cell in cells {
        let _ = write!(out, "<td>{cell}</td>");
    }
    out.push_str("</tr>\n");
}

fn class_table(out: &mut String, scores: &[ClassScores]) {
    out.push_str("<table><tr><th class=l>class</th><th>precision</th><th>recall</th><th>F1</th><th>images</th></tr>\n");
    for s in scores {
        let cells = [
            pct(s.precision),
            pct(s.recall),
            format!("{:.3}", s.f1),
            s.support.to_string(),
        ];
        row(out, &s.name, &cells);
    }
    out.push_str("</table>\n");
}

/// A warning per flagged class, with its evidence image (paths relative to `prefix`).
fn shortcut_banners(out: &mut String, record: &EpochRecord, prefix: &str) {
    for a in record.attention.iter().filter(|a| a.flagged) {
        let evidence = match (a.object_only, a.background_only, a.fixed_spot) {
            (Some(object), Some(background), _) => format!(
                "on the training images it gets right, the model keeps its answer with the object hidden (probability {}, against {} on other classes' images with their objects hidden) and loses it with only the object left ({})",
                pct(background),
                a.background_elsewhere.map_or_else(|| "–".to_owned(), pct),
                pct(object)
            ),
            (_, _, Some(spot)) => format!(
                "on the training images it gets right, hiding one and the same small spot of the frame takes away {} of the model's confidence on average, wherever the objects are",
                pct(spot)
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "<div class=warn><b>Shortcut suspected for class {}</b>: {evidence}. The model decides by something other than the object — a watermark, a background, a frame. Look at where the maps point:",
            esc(&a.class),
        );
        if let Some(evidence) = &a.evidence {
            let _ = writeln!(
                out,
                "<br><img src=\"{prefix}{}\" alt=\"mean map and examples\">",
                esc(evidence)
            );
        }
        out.push_str("</div>\n");
    }
}

/// Per-class shortcut audit of an epoch.
fn attention_table(out: &mut String, record: &EpochRecord) {
    if record.attention.is_empty() {
        return;
    }
    out.push_str("<h2>What the right answers rest on</h2><p class=note>Up to 16 training images of each class that the model classifies correctly (among the class's first 64), with parts hidden; a class with fewer than 4 right answers gets no verdict. With object masks: the class probability with only the object left, with the object hidden, and on the other classes' images with their objects hidden (what the model says of a hidden object anyway); a shortcut keeps the answer on its own images only. Without masks: the largest mean confidence drop from hiding one fixed spot (a quarter of the side). Grad-CAM mass (at the last stride-16 layer) on the object is shown beside the object's share of the image, which is what a uniform map would put on it.</p><table><tr><th class=l>class</th><th>images</th><th>object only</th><th>object hidden</th><th>other classes, object hidden</th><th>fixed spot</th><th>Grad-CAM on object</th><th>object share of image</th><th class=l>verdict</th></tr>\n");
    for a in &record.attention {
        let verdict = if let Some(reason) = &a.not_audited {
            format!("<span class=note>not audited: {}</span>", esc(reason))
        } else if a.flagged {
            "<span class=bad>shortcut suspected</span>".to_owned()
        } else if a.object_only.is_some() {
            "<span class=good>rests on the object</span>".to_owned()
        } else {
            "<span class=good>no fixed decisive spot</span>".to_owned()
        };
        let cell = |v: Option<f64>| v.map_or_else(|| "–".to_owned(), pct);
        let _ = writeln!(
            out,
            "<tr><td class=l>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=l>{verdict}</td></tr>",
            esc(&a.class),
            a.images,
            cell(a.object_only),
            cell(a.background_only),
            cell(a.background_elsewhere),
            cell(a.fixed_spot),
            cell(a.on_object),
            cell(a.object_area)
        );
    }
    out.push_str("</table>\n");
}

fn map_cells(stats: &MapStats, empty: bool) -> String {
    let flag = if empty {
        " <span class=bad>(empty map)</span>"
    } else {
        ""
    };
    format!(
        "<td>{:.2}{flag}</td><td>{}</td><td>{}</td>",
        stats.entropy,
        opt(stats.iou_top20),
        opt(stats.energy_in_mask)
    )
}

/// The epoch's maps beside the trivial baselines.
fn baseline_table(out: &mut String, rows: &[MapScores]) {
    out.push_str("<h2>Heatmaps against trivial maps</h2><p class=note>The true-class maps of the images above, scored beside maps that know nothing of the model: uniform noise, a centred Gaussian, and the image's Sobel edges. A heatmap worth reading beats them. Entropy: lower = more concentrated; Gini: higher = more concentrated; with object masks, IoU of the top 20% with the object, share of maps peaking on it (pointing game) and share of map mass on it; with <code>--faithfulness</code>, deletion AUC (lower is better) and insertion AUC (higher is better).</p><table><tr><th class=l>map</th><th>entropy</th><th>Gini</th><th>IoU top 20%</th><th>pointing game</th><th>mass on object</th><th>deletion AUC</th><th>insertion AUC</th></tr>\n");
    for r in rows {
        let cells = [
            format!("{:.3}", r.entropy),
            format!("{:.3}", r.gini),
            opt(r.iou_top20),
            opt(r.pointing_game),
            opt(r.energy_in_mask),
            opt(r.deletion_auc),
            opt(r.insertion_auc),
        ];
        row(out, &r.name, &cells);
    }
    out.push_str("</table>\n");
}

/// `reports/<run>/epoch-NNN/index.html`.
pub fn epoch_page(
    run: &Run,
    record: &EpochRecord,
    scores: &[ClassScores],
    samples: &[SampleReport],
    map_scores: &[MapScores],
    method: &str,
    layers: &[String],
) -> String {
    let mut b = String::new();
    let _ = writeln!(
        b,
        "<p><a href=\"../index.html\">← run {}</a></p><h1>Epoch {}</h1>",
        esc(&run.name),
        record.epoch
    );
    let _ = writeln!(
        b,
        "<p>validation accuracy <b>{}</b>, loss {:.3} · training accuracy {}, loss {:.3} · learning rate {:.2e}</p>",
        pct(record.val_accuracy),
        record.val_loss,
        pct(record.train_accuracy),
        record.train_loss,
        record.lr
    );
    shortcut_banners(&mut b, record, "");
    let _ = writeln!(
        b,
        "<h2>Where the model looks</h2><p class=note>Each row: the validation image (de-normalized), then {} maps at {} for the <b>true</b> class and the <b>predicted</b> class (red = high). Misclassified images come first (highest loss first), then the fixed probe images shown in every epoch. A model that is right for the wrong reason looks away from the object.</p><img src=\"grid.png\" alt=\"Grad-CAM grid\">",
        esc(method),
        esc(&layers.join(" + "))
    );
    b.push_str("<h2>Samples</h2><p class=note>Map statistics: entropy (0 = focused, 1 = spread evenly); with object masks, IoU of the map's top 20% with the object and the share of map mass on the object.</p>\n");
    b.push_str("<table><tr><th>#</th><th class=l>file</th><th class=l>why</th><th class=l>true</th><th class=l>predicted</th><th>p(true)</th><th>loss</th><th>entropy (true)</th><th>IoU (true)</th><th>on object (true)</th><th>entropy (pred)</th><th>IoU (pred)</th><th>on object (pred)</th></tr>\n");
    for s in samples {
        let why = match s.reason {
            super::Reason::Misclassified => "<span class=bad>misclassified</span>",
            super::Reason::Probe => "probe",
        };
        let _ = writeln!(
            b,
            "<tr><td>{}</td><td class=l>{}</td><td class=l>{why}</td><td class=l>{}</td><td class=l>{}</td><td>{:.2}</td><td>{:.2}</td>{}{}</tr>",
            s.index,
            esc(&s.path.display().to_string()),
            esc(&s.label),
            esc(&s.predicted),
            s.p_true,
            s.loss,
            map_cells(&s.true_map, s.true_map_empty),
            map_cells(&s.predicted_map, s.predicted_map_empty)
        );
    }
    b.push_str("</table>\n");
    baseline_table(&mut b, map_scores);
    attention_table(&mut b, record);
    b.push_str("<h2>Per class</h2>\n");
    class_table(&mut b, scores);
    b.push_str("<p class=note>All numbers: <a href=\"metrics.json\">metrics.json</a>.</p>\n");
    page(&format!("{} – epoch {}", run.name, record.epoch), &b)
}

/// `reports/<run>/index.html`.
pub fn run_page(run: &Run, history: &History, data: &Data) -> String {
    let last = history.epochs.last().expect("at least one epoch");
    let best = history
        .epochs
        .iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
        .expect("at least one epoch");
    let mut b = String::new();
    let _ = writeln!(b, "<h1>camwatch run {}</h1>", esc(&run.name));
    let _ = writeln!(
        b,
        "<p>dataset <code>{}</code>: {} classes ({}), {} training and {} validation images, {}×{} pixels.</p>",
        esc(&data.root.display().to_string()),
        data.classes.len(),
        esc(&data.classes.join(", ")),
        data.train.len(),
        data.val.len(),
        data.image_size,
        data.image_size
    );
    let _ = writeln!(
        b,
        "<p>after epoch {}: validation accuracy <b>{}</b> (best {} in epoch {}).</p>",
        last.epoch,
        pct(last.val_accuracy),
        pct(best.val_accuracy),
        best.epoch
    );
    shortcut_banners(&mut b, last, &format!("epoch-{:03}/", last.epoch));
    b.push_str("<h2>Where the model looks, epoch by epoch</h2><p class=note>The fixed probe images with their true-class heatmaps (red = high) at each epoch: watch the focus settle on the object. “drift” in the table below is how much these maps changed since the previous epoch (mean absolute change, 0 to 1). Each epoch's page shows the misclassified images.</p><img src=\"probes.png\" alt=\"probe heatmaps across epochs\">\n");
    b.push_str(
        "<h2>Training curves</h2><img src=\"curves.png\" alt=\"loss and accuracy per epoch\">\n",
    );

    b.push_str("<h2>Epochs</h2><table><tr><th>epoch</th><th>train loss</th><th>train acc</th><th>val loss</th><th>val acc</th><th>drift</th><th>img/s</th><th>train s</th><th>val s</th><th>report s</th><th class=l>report</th></tr>\n");
    for e in &history.epochs {
        let [train, val, report] = e.seconds;
        let _ = writeln!(
            b,
            "<tr><td>{0}{1}</td><td>{2:.3}</td><td>{3}</td><td>{4:.3}</td><td>{5}</td><td>{11}</td><td>{6:.0}</td><td>{7:.1}</td><td>{8:.1}</td><td>{9:.1} ({10:.1}%)</td><td class=l><a href=\"epoch-{0:03}/index.html\">epoch {0}</a></td></tr>",
            e.epoch,
            if e.best { " ★" } else { "" },
            e.train_loss,
            pct(e.train_accuracy),
            e.val_loss,
            pct(e.val_accuracy),
            e.images_per_second,
            train,
            val,
            report,
            100.0 * report / (train + val + report).max(1e-9),
            opt(e.attention_drift)
        );
    }
    b.push_str("</table><p class=note>★ best validation accuracy so far (saved as best.bpk). “report s” is the cost of this monitor: CAMs, grid and pages.</p>\n");

    let _ = writeln!(
        b,
        "<h2>Confusion matrix (epoch {})</h2><img src=\"confusion.png\" alt=\"confusion matrix\">",
        last.epoch
    );
    let pairs = metrics::most_confused(&last.confusion, 5);
    if !pairs.is_empty() {
        b.push_str("<h3>Most confused</h3><ul>\n");
        for (t, p, n) in pairs {
            let _ = writeln!(
                b,
                "<li>{} taken for {}: {n}</li>",
                esc(&data.classes[t]),
                esc(&data.classes[p])
            );
        }
        b.push_str("</ul>\n");
    }
    b.push_str("<h2>Per class</h2>\n");
    class_table(&mut b, &metrics::per_class(&last.confusion, &data.classes));

    if let [.., previous, current] = history.epochs.as_slice() {
        // Indices in `a` but not in `b`.
        let only = |a: &[usize], b: &[usize]| -> Vec<usize> {
            a.iter().filter(|i| !b.contains(i)).copied().collect()
        };
        let fixed = only(&previous.misclassified, &current.misclassified);
        let broken = only(&current.misclassified, &previous.misclassified);
        let _ = writeln!(b, "<h2>Since epoch {}</h2>", previous.epoch);
        for (label, class, list) in [
            ("newly fixed", "good", fixed),
            ("newly broken", "bad", broken),
        ] {
            let names: Vec<String> = list
                .iter()
                .take(30)
                .map(|&i| format!("#{i} {}", esc(&data.val[i].short_name())))
                .collect();
            let more = if list.len() > 30 { ", …" } else { "" };
            let _ = writeln!(
                b,
                "<p><span class={class}>{label}: {}</span> {}{more}</p>",
                list.len(),
                names.join(", ")
            );
        }
    }
    if !data.skipped.is_empty() {
        let _ = writeln!(b, "<h2>Skipped files ({})</h2><ul>", data.skipped.len());
        for s in &data.skipped {
            let _ = writeln!(
                b,
                "<li><code>{}</code>: {}</li>",
                esc(&s.path.display().to_string()),
                esc(&s.reason)
            );
        }
        b.push_str("</ul>\n");
    }
    page(&format!("camwatch – {}", run.name), &b)
}
