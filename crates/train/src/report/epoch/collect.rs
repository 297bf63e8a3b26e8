//! What the monitor keeps of a validation pass, batch by batch: every image's answer and small
//! true-class map for the mistakes browser, the finer maps of the mistakes and fixes, and the full
//! maps of the images the grid shows (the highest-loss mistakes and the probes), so memory
//! stays bounded however large the validation set.

use anyhow::Context;
use cam::metrics::MapStats;
use rayon::prelude::*;

use super::select::Reason;
use crate::browser::{self, ImageRecord};
use crate::data::Sample;
use crate::diagnosis::LabelIssue;
use crate::diagnosis::duplicates::Duplicate;
use crate::evaluation::BatchMaps;
use crate::report::baselines::ScoreSums;
use crate::run_dir::{History, RunDir};

/// An image the epoch page shows, with its maps at full size.
#[derive(Clone)]
pub struct Kept {
    /// Validation index.
    pub index: usize,
    /// Why it is shown.
    pub reason: Reason,
    /// The decoded sample.
    pub sample: Sample,
    /// Probabilities of every class.
    pub probabilities: Vec<f32>,
    /// Cross-entropy loss.
    pub loss: f32,
    /// Predicted class.
    pub predicted: usize,
    /// True-class map, `image_size²` values in `[0, 1]`.
    pub true_map: Vec<f32>,
    /// Predicted-class map (the true-class map when the answer is right).
    pub predicted_map: Vec<f32>,
    /// The true-class map had no positive evidence.
    pub true_empty: bool,
    /// The predicted-class map had no positive evidence.
    pub predicted_empty: bool,
}

/// Collects an epoch's validation batches (see the module docs).
pub struct Collector<'a> {
    run: &'a RunDir,
    epoch: usize,
    /// Most mistakes the grid shows.
    most: usize,
    probes: Vec<usize>,
    /// Per image, the epoch its current run of mistakes began, as of the previous epoch
    /// (`None` inside: right then); `None` in the first epoch.
    before: Option<Vec<Option<usize>>>,
    records: Vec<ImageRecord>,
    /// The true-class maps' statistics, summed over every image.
    scores: ScoreSums,
    mistakes: Vec<Kept>,
    kept_probes: Vec<Kept>,
}

impl<'a> Collector<'a> {
    /// A collector for `epoch`, which shows the `most` highest-loss mistakes and `probes`;
    /// `history` holds the epochs before.
    pub fn new(
        run: &'a RunDir,
        epoch: usize,
        history: &History,
        val_images: usize,
        most: usize,
        probes: Vec<usize>,
    ) -> Self {
        let before = (!history.epochs.is_empty()).then(|| {
            let mut since = vec![None; val_images];
            for record in &history.epochs {
                let mut wrong = vec![false; val_images];
                for &i in record.misclassified.iter().filter(|&&i| i < val_images) {
                    wrong[i] = true;
                }
                for (s, w) in since.iter_mut().zip(wrong) {
                    *s = if w { s.or(Some(record.epoch)) } else { None };
                }
            }
            since
        });
        Self {
            run,
            epoch,
            most,
            probes,
            before,
            records: Vec::with_capacity(val_images),
            scores: ScoreSums::default(),
            mistakes: Vec::new(),
            kept_probes: Vec::new(),
        }
    }

    /// Takes one validation batch: records every image (with the finer maps of its mistakes
    /// and fixes), and keeps what the grid may show; images in parallel.
    pub fn add(&mut self, batch: BatchMaps) {
        let (start, size) = (batch.start, batch.truth.size);
        let this = &*self;
        let taken: Vec<(ImageRecord, MapStats, Option<Kept>)> = (batch.samples)
            .par_iter()
            .enumerate()
            .map(|(j, sample)| {
                let index = start + j;
                let label = sample.label;
                let class = batch.predictions[j];
                let probabilities = &batch.probabilities[j];
                let loss = batch.losses[j];
                let (true_map, true_empty) = batch.true_map(j);
                let wrong_map = batch.predicted_map(j);
                let previously = this.before.as_ref().map(|b| b[index]);
                let change = match (previously, wrong_map.is_some()) {
                    (Some(Some(_)), false) => Some("fixed"),
                    (Some(None), true) => Some("broken"),
                    _ => None,
                };
                let listed = wrong_map.is_some() || change.is_some();
                let stats = MapStats::new(true_map, sample.mask.as_ref());
                let encoded = |map| browser::encoded_map(map, size, browser::MAP_SIDE);
                let record = ImageRecord {
                    i: index,
                    f: sample.short_name(),
                    l: label,
                    p: class,
                    pt: probabilities[label],
                    pp: probabilities[class],
                    loss,
                    e: stats.entropy,
                    iou: stats.iou_top20,
                    hit: stats.pointing_hit,
                    mo: stats.energy_in_mask,
                    since: wrong_map
                        .is_some()
                        .then(|| previously.flatten().unwrap_or(this.epoch)),
                    ch: change,
                    m: browser::encoded_map(true_map, size, browser::HISTORY_MAP_SIDE),
                    mt: listed.then(|| encoded(true_map)),
                    mp: wrong_map.map(|(map, _)| encoded(map)),
                    li: false,
                    tw: None,
                };
                // Only a mistake that can still enter the grid's highest losses is copied.
                let contender = wrong_map.is_some() && this.may_enter(loss);
                let shown = contender || this.probes.contains(&index);
                let kept = shown.then(|| {
                    let (predicted_map, predicted_empty) =
                        wrong_map.unwrap_or((true_map, true_empty));
                    Kept {
                        index,
                        reason: if wrong_map.is_some() {
                            Reason::Misclassified
                        } else {
                            Reason::Probe
                        },
                        sample: sample.clone(),
                        probabilities: probabilities.clone(),
                        loss,
                        predicted: class,
                        true_map: true_map.to_vec(),
                        predicted_map: predicted_map.to_vec(),
                        true_empty,
                        predicted_empty,
                    }
                });
                (record, stats, kept)
            })
            .collect();
        for (record, stats, kept) in taken {
            self.records.push(record);
            self.scores.add(&stats);
            let Some(kept) = kept else { continue };
            if self.probes.contains(&kept.index) {
                self.kept_probes.push(Kept {
                    reason: Reason::Probe,
                    ..kept.clone()
                });
            }
            if kept.reason == Reason::Misclassified {
                self.mistakes.push(kept);
            }
        }
        self.mistakes
            .sort_by(|a, b| b.loss.total_cmp(&a.loss).then(a.index.cmp(&b.index)));
        self.mistakes.truncate(self.most);
    }

    /// Whether a mistake with `loss` can be among the `most` highest losses, given those kept
    /// from the batches before.
    fn may_enter(&self, loss: f32) -> bool {
        self.mistakes.len() < self.most || self.mistakes.last().is_some_and(|k| loss >= k.loss)
    }

    /// Marks the images whose label looks wrong and those with a near-twin in training, writes `data.js`, and returns the images the grid shows (the highest-loss mistakes, then
    /// the probes not among them) and the sums of every true-class map's statistics.
    pub fn finish(
        mut self,
        classes: &[String],
        label_issues: &[LabelIssue],
        duplicates: &[Duplicate],
    ) -> anyhow::Result<(Vec<Kept>, ScoreSums)> {
        for issue in label_issues {
            self.records[issue.index].li = true;
        }
        for pair in duplicates.iter().filter(|d| d.crosses_splits()) {
            let twin = &mut self.records[pair.first.index].tw;
            twin.get_or_insert_with(|| pair.second.path.clone());
        }
        browser::write_data(self.run, self.epoch, classes, &self.records)
            .context("writing the mistakes browser's data")?;
        let mut shown = self.mistakes;
        let mut probes = self.kept_probes;
        probes.sort_by_key(|k| self.probes.iter().position(|&p| p == k.index));
        for probe in probes {
            if !shown.iter().any(|k| k.index == probe.index) {
                shown.push(probe);
            }
        }
        Ok((shown, self.scores))
    }
}
