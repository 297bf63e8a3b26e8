//! Offline HTML pages (no external assets; the epoch page has one script of our own, written
//! beside it), rendered from the askama templates in
//! `templates/`: Rust formats the numbers, the templates hold the markup and the prose (and
//! escape every value).

use askama::Template;
use burn_dataset::Dataset;
use cam::metrics::MapStats;

use super::epoch::{Diagnosis, Reason, Shown};
use super::generalization::Gap;
use super::metrics::{self, ClassScores};
use super::training_issues;
use crate::audit::{ClassAttention, EPOCH_STEP, MIN_IMAGES, PER_CLASS, POOL};
use crate::data::Data;
use crate::diagnosis::duplicates::validation_twins;
use crate::diagnosis::{LabelIssue, margins};

/// Training images whose label looks wrong that the run page lists (`label_issues.json` has
/// them all).
const LISTED: usize = 200;
use crate::run_dir::{EpochRecord, History, RunDir};

/// `reports/<run>/epoch-NNN/index.html`: the epoch's maps, samples, baselines, shortcut audit
/// and per-class scores.
#[derive(Template)]
#[template(path = "epoch.html")]
struct EpochPage {
    run: String,
    epoch: usize,
    val_accuracy: String,
    val_loss: String,
    train_accuracy: String,
    train_loss: String,
    lr: String,
    /// The CAM method of the grid.
    method: String,
    /// Its target layers, joined by " + ".
    layers: String,
    samples: Vec<SampleRow>,
    baselines: Vec<BaselineRow>,
    /// Maps the baseline table scores, and of them those with an object mask.
    scored_images: usize,
    masked_images: usize,
    /// The shortcut audit, one row per class; empty when the epoch was not audited.
    attention: Vec<AuditRow>,
    /// Most right answers audited per class.
    audit_images: usize,
    /// Training images per class searched for them.
    audit_pool: usize,
    /// Right answers added per class and epoch, and candidates searched for them.
    audit_step: usize,
    audit_step_search: usize,
    /// Fewest right answers for a verdict.
    audit_min_images: usize,
    /// The Grad-CAM layer of the audit.
    audit_layer: String,
    class_rows: Vec<ClassRow>,
    /// Misclassified validation images.
    mistakes: usize,
    /// Class names in label order.
    classes: Vec<String>,
    /// The confusion matrix, a row per true class.
    confusion: Vec<ConfusionRow>,
    generalization: Option<GapBanner>,
    /// Expected calibration error of the validation answers (`–` where not measured).
    ece: String,
    /// Validation images whose label looks wrong, most doubtful first.
    label_issues: Vec<IssueRow>,
    /// Validation-training pairs of near-duplicates.
    twins: usize,
}

/// An image whose label looks wrong, in a page's table.
struct IssueRow {
    index: usize,
    path: String,
    given: String,
    suggested: String,
    score: String,
    since: String,
    /// The picture and its given- and suggested-class overlays, where the page shows them.
    pictures: Vec<String>,
}

impl From<&LabelIssue> for IssueRow {
    fn from(issue: &LabelIssue) -> Self {
        Self {
            index: issue.index,
            path: issue.path.clone(),
            given: issue.given.clone(),
            suggested: issue.suggested.clone(),
            score: format!("{:.3}", issue.score),
            since: issue
                .suggested_since
                .map_or("–".to_owned(), |e| e.to_string()),
            pictures: Vec::new(),
        }
    }
}

/// One true class of the epoch page's confusion matrix.
struct ConfusionRow {
    truth: String,
    cells: Vec<ConfusionCell>,
}

/// Images of one true class predicted as one class.
struct ConfusionCell {
    predicted: String,
    count: usize,
    /// Off the diagonal.
    wrong: bool,
}

/// The generalization warning's numbers.
struct GapBanner {
    epoch: usize,
    train: String,
    val: String,
    chance: String,
}

impl From<Gap> for GapBanner {
    fn from(gap: Gap) -> Self {
        Self {
            epoch: gap.epoch,
            train: pct(gap.train),
            val: pct(gap.val),
            chance: pct(gap.chance),
        }
    }
}

/// The warning for `record`, if what it learned does not carry over.
fn gap_banner(record: &EpochRecord, classes: usize) -> Option<GapBanner> {
    let train = record.train.train_accuracy?;
    Gap::find(record.epoch, train, record.val_accuracy, classes).map(GapBanner::from)
}

/// `reports/<run>/index.html`: the run's curves, epochs, confusion and changes since the
/// previous epoch.
#[derive(Template)]
#[template(path = "run.html")]
struct RunPage {
    run: String,
    /// The dataset folder.
    root: String,
    class_count: usize,
    /// Class names, joined by ", ".
    class_names: String,
    train_images: usize,
    val_images: usize,
    image_size: usize,
    last_epoch: usize,
    last_accuracy: String,
    best_accuracy: String,
    best_epoch: usize,
    /// The last epoch's shortcut audit (its flagged classes are shown).
    attention: Vec<AuditRow>,
    epochs: Vec<EpochRow>,
    /// The last epoch's most confused pairs, most samples first.
    confused: Vec<Confusion>,
    /// The last epoch's per-class scores.
    class_rows: Vec<ClassRow>,
    /// Validation images fixed and broken by the last epoch (from the second epoch on).
    since: Option<Since>,
    skipped: Vec<SkippedRow>,
    generalization: Option<GapBanner>,
    /// Whether any epoch's training numbers are known (runs trained elsewhere may not say).
    training_known: bool,
    /// Training images whose label looks wrong (the first [`training_issues::SHOWN`] with
    /// pictures); `None` for runs trained elsewhere, whose logits camwatch did not see.
    training_issues: Option<Vec<IssueRow>>,
    /// All of them, where the table lists fewer.
    training_issue_count: usize,
    /// Whether the first of them have their pictures and maps (at the end of a run).
    training_maps_drawn: bool,
    /// The area-under-the-margin threshold.
    aum_threshold: f64,
    /// Near-duplicate pairs (the first [`LISTED`]), validation-training pairs first.
    duplicates: Vec<DuplicateRow>,
    duplicate_count: usize,
    /// Validation images with a near-twin in training, and of them those answered right in
    /// the last epoch.
    twins: usize,
    twins_right: usize,
}

/// A near-duplicate pair on the run page.
struct DuplicateRow {
    first: String,
    second: String,
    distance: u32,
}

/// One class of the per-class table.
struct ClassRow {
    name: String,
    precision: String,
    recall: String,
    f1: String,
    images: usize,
}

/// One class of the shortcut audit, as its table row and its warning banner.
struct AuditRow {
    class: String,
    images: usize,
    object_only: String,
    background_only: String,
    background_elsewhere: String,
    fixed_spot: String,
    on_object: String,
    object_area: String,
    /// Audited with object masks (else by fixed-spot occlusion).
    masked: bool,
    flagged: bool,
    /// Path of the evidence image, relative to the page.
    evidence: Option<String>,
    /// Why the class got no verdict.
    not_audited: Option<String>,
    /// The epochs of the right answers judged (empty outside training).
    epochs: String,
}

/// One reported sample of the epoch page.
struct SampleRow {
    index: usize,
    file: String,
    misclassified: bool,
    label: String,
    predicted: String,
    p_true: String,
    loss: String,
    /// The true-class map, then the predicted-class map.
    maps: [MapCells; 2],
}

/// Statistics of one map of a sample.
struct MapCells {
    entropy: String,
    /// The map had no positive evidence.
    empty: bool,
    iou: String,
    on_object: String,
}

/// One kind of map scored against the trivial baselines.
struct BaselineRow {
    name: String,
    entropy: String,
    gini: String,
    iou: String,
    pointing_game: String,
    on_object: String,
    deletion_auc: String,
    insertion_auc: String,
}

/// One epoch of the run page's table.
struct EpochRow {
    epoch: usize,
    /// Its report folder, `epoch-NNN`.
    folder: String,
    best: bool,
    train_loss: String,
    train_accuracy: String,
    val_loss: String,
    val_accuracy: String,
    drift: String,
    /// Validation images wrong now and right in the epoch before (none in the first).
    broken: Option<usize>,
    /// Validation images right now and wrong in the epoch before.
    fixed: Option<usize>,
    images_per_second: String,
    train_seconds: String,
    val_seconds: String,
    report_seconds: String,
    /// The report's share of the epoch's time.
    report_share: String,
    /// Expected calibration error of the validation answers.
    ece: String,
}

/// Validation images of one class taken for another.
struct Confusion {
    truth: String,
    predicted: String,
    count: usize,
}

/// What changed since the previous epoch.
struct Since {
    /// The previous epoch.
    epoch: usize,
    fixed: Changed,
    broken: Changed,
}

/// Validation images that changed side.
struct Changed {
    count: usize,
    /// The first ones, `#index class/file`, joined by ", ".
    names: String,
    /// More than those are listed.
    more: bool,
}

/// A file left out of the dataset.
struct SkippedRow {
    path: String,
    reason: String,
}

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| format!("{v:.2}"))
}

/// A training number, or "unknown" (a run trained elsewhere without a metrics file).
fn known(v: Option<f64>, format: fn(f64) -> String) -> String {
    v.map_or_else(|| "unknown".to_owned(), format)
}

fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".to_owned(), pct)
}

fn render(page: &impl Template) -> String {
    page.render()
        .expect("pages hold only strings and numbers, which always format")
}

fn class_rows(scores: &[ClassScores]) -> Vec<ClassRow> {
    scores
        .iter()
        .map(|s| ClassRow {
            name: s.name.clone(),
            precision: pct(s.precision),
            recall: pct(s.recall),
            f1: format!("{:.3}", s.f1),
            images: s.support,
        })
        .collect()
}

/// The audit of an epoch, evidence paths relative to `prefix`.
fn audit_rows(attention: &[ClassAttention], prefix: &str) -> Vec<AuditRow> {
    attention
        .iter()
        .map(|a| AuditRow {
            class: a.class.clone(),
            images: a.images,
            object_only: opt_pct(a.object_only),
            background_only: opt_pct(a.background_only),
            background_elsewhere: opt_pct(a.background_elsewhere),
            fixed_spot: opt_pct(a.fixed_spot),
            on_object: opt_pct(a.on_object),
            object_area: opt_pct(a.object_area),
            masked: a.object_only.is_some(),
            flagged: a.flagged,
            evidence: a.evidence.as_ref().map(|e| format!("{prefix}{e}")),
            not_audited: a.not_audited.clone(),
            epochs: a.epochs.map_or_else(String::new, |[first, last]| {
                if first == last {
                    first.to_string()
                } else {
                    format!("{first}–{last}")
                }
            }),
        })
        .collect()
}

fn map_cells(stats: &MapStats, empty: bool) -> MapCells {
    MapCells {
        entropy: format!("{:.2}", stats.entropy),
        empty,
        iou: opt(stats.iou_top20),
        on_object: opt(stats.energy_in_mask),
    }
}

/// `reports/<run>/epoch-NNN/index.html`.
pub fn epoch_page(
    run: &RunDir,
    record: &EpochRecord,
    scores: &[ClassScores],
    shown: &Shown,
    diagnosis: &Diagnosis<'_>,
    classes: &[String],
) -> String {
    let samples = shown
        .samples
        .iter()
        .map(|s| SampleRow {
            index: s.index,
            file: s.path.display().to_string(),
            misclassified: s.reason == Reason::Misclassified,
            label: s.label.clone(),
            predicted: s.predicted.clone(),
            p_true: format!("{:.2}", s.p_true),
            loss: format!("{:.2}", s.loss),
            maps: [
                map_cells(&s.true_map, s.true_map_empty),
                map_cells(&s.predicted_map, s.predicted_map_empty),
            ],
        })
        .collect();
    let baselines = shown
        .map_scores
        .iter()
        .map(|r| BaselineRow {
            name: r.name.clone(),
            entropy: format!("{:.3}", r.entropy),
            gini: format!("{:.3}", r.gini),
            iou: opt(r.iou_top20),
            pointing_game: opt(r.pointing_game),
            on_object: opt(r.energy_in_mask),
            deletion_auc: opt(r.deletion_auc),
            insertion_auc: opt(r.insertion_auc),
        })
        .collect();
    render(&EpochPage {
        run: run.name.clone(),
        epoch: record.epoch,
        val_accuracy: pct(record.val_accuracy),
        val_loss: format!("{:.3}", record.val_loss),
        train_accuracy: known(record.train.train_accuracy, pct),
        train_loss: known(record.train.train_loss, |v| format!("{v:.3}")),
        lr: known(record.train.lr, |v| format!("{v:.2e}")),
        method: shown.method.clone(),
        layers: shown.layers.join(" + "),
        samples,
        baselines,
        scored_images: shown.map_scores.first().map_or(0, |r| r.images),
        masked_images: shown.map_scores.first().map_or(0, |r| r.masked),
        attention: audit_rows(&record.attention, ""),
        audit_images: PER_CLASS,
        audit_pool: POOL,
        audit_step: EPOCH_STEP.right,
        audit_step_search: EPOCH_STEP.search,
        audit_min_images: MIN_IMAGES,
        audit_layer: shown.audit_layer.clone(),
        class_rows: class_rows(scores),
        mistakes: record.misclassified.len(),
        classes: classes.to_vec(),
        confusion: record
            .confusion
            .iter()
            .zip(classes)
            .enumerate()
            .map(|(t, (row, truth))| ConfusionRow {
                truth: truth.clone(),
                cells: row
                    .iter()
                    .zip(classes)
                    .enumerate()
                    .map(|(p, (&count, predicted))| ConfusionCell {
                        predicted: predicted.clone(),
                        count,
                        wrong: p != t,
                    })
                    .collect(),
            })
            .collect(),
        generalization: gap_banner(record, classes.len()),
        ece: known(record.calibration.as_ref().map(|c| c.ece), |v| {
            format!("{v:.3}")
        }),
        label_issues: diagnosis.label_issues.iter().map(IssueRow::from).collect(),
        twins: validation_twins(diagnosis.duplicates).len(),
    })
}

/// `reports/<run>/index.html`.
pub fn run_page(
    run: &RunDir,
    history: &History,
    data: &Data,
    training_issues: &super::TrainingIssues<'_>,
) -> String {
    let last = history.epochs.last().expect("at least one epoch");
    let best = history
        .epochs
        .iter()
        .max_by(|a, b| a.val_accuracy.total_cmp(&b.val_accuracy))
        .expect("at least one epoch");
    let epochs = history
        .epochs
        .iter()
        .enumerate()
        .map(|(n, e)| {
            let [train, val, report] = e.seconds;
            let previous = n.checked_sub(1).map(|p| &history.epochs[p].misclassified);
            let count = |a: &[usize], b: &[usize]| a.iter().filter(|i| !b.contains(i)).count();
            EpochRow {
                broken: previous.map(|p| count(&e.misclassified, p)),
                fixed: previous.map(|p| count(p, &e.misclassified)),
                epoch: e.epoch,
                folder: format!("epoch-{:03}", e.epoch),
                best: e.best,
                train_loss: known(e.train.train_loss, |v| format!("{v:.3}")),
                train_accuracy: known(e.train.train_accuracy, pct),
                val_loss: format!("{:.3}", e.val_loss),
                val_accuracy: pct(e.val_accuracy),
                drift: opt(e.attention_drift),
                images_per_second: known(e.train.images_per_second, |v| format!("{v:.0}")),
                train_seconds: format!("{train:.1}"),
                val_seconds: format!("{val:.1}"),
                report_seconds: format!("{report:.1}"),
                report_share: pct(report / (train + val + report).max(1e-9)),
                ece: known(e.calibration.as_ref().map(|c| c.ece), |v| format!("{v:.3}")),
            }
        })
        .collect();
    let confused = metrics::most_confused(&last.confusion, 5)
        .into_iter()
        .map(|(t, p, count)| Confusion {
            truth: data.classes[t].clone(),
            predicted: data.classes[p].clone(),
            count,
        })
        .collect();
    let since = match history.epochs.as_slice() {
        [.., previous, current] => Some(Since {
            epoch: previous.epoch,
            fixed: changed(data, &previous.misclassified, &current.misclassified),
            broken: changed(data, &current.misclassified, &previous.misclassified),
        }),
        _ => None,
    };
    let duplicates = history.duplicates.as_deref().unwrap_or_default();
    let twins = validation_twins(duplicates);
    render(&RunPage {
        run: run.name.clone(),
        root: data.root.display().to_string(),
        class_count: data.classes.len(),
        class_names: data.classes.join(", "),
        train_images: data.train.len(),
        val_images: data.val.len(),
        image_size: data.image_size,
        last_epoch: last.epoch,
        last_accuracy: pct(last.val_accuracy),
        best_accuracy: pct(best.val_accuracy),
        best_epoch: best.epoch,
        attention: audit_rows(&last.attention, &format!("epoch-{:03}/", last.epoch)),
        epochs,
        confused,
        class_rows: class_rows(&metrics::per_class(&last.confusion, &data.classes)),
        since,
        skipped: data
            .skipped()
            .iter()
            .map(|s| SkippedRow {
                path: s.path.display().to_string(),
                reason: s.reason.clone(),
            })
            .collect(),
        generalization: gap_banner(last, data.classes.len()),
        training_known: history.epochs.iter().any(|e| e.train.train_loss.is_some()),
        training_issues: history.margins.as_ref().map(|_| {
            (training_issues.issues.iter().take(LISTED).enumerate())
                .map(|(n, issue)| IssueRow {
                    pictures: if training_issues.drawn && n < training_issues::SHOWN {
                        ["image", "given", "suggested"]
                            .map(|which| training_issues::picture(issue.index, which))
                            .to_vec()
                    } else {
                        Vec::new()
                    },
                    ..IssueRow::from(issue)
                })
                .collect()
        }),
        training_issue_count: training_issues.issues.len(),
        training_maps_drawn: training_issues.drawn,
        aum_threshold: margins::THRESHOLD,
        duplicates: duplicates
            .iter()
            .take(LISTED)
            .map(|d| DuplicateRow {
                first: format!("{} {}", d.first.split, d.first.path),
                second: format!("{} {}", d.second.split, d.second.path),
                distance: d.distance,
            })
            .collect(),
        duplicate_count: duplicates.len(),
        twins: twins.len(),
        twins_right: twins
            .iter()
            .filter(|i| !last.misclassified.contains(i))
            .count(),
    })
}

/// The validation images in `misclassified` but not in `except`, the first 30 named.
fn changed(data: &Data, misclassified: &[usize], except: &[usize]) -> Changed {
    let list: Vec<usize> = misclassified
        .iter()
        .filter(|i| !except.contains(i))
        .copied()
        .collect();
    let names: Vec<String> = list
        .iter()
        .take(30)
        .map(|&i| format!("#{i} {}", data.val.item(i).short_name()))
        .collect();
    Changed {
        count: list.len(),
        names: names.join(", "),
        more: list.len() > 30,
    }
}
