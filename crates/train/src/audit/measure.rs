//! One audit step: per class, the next candidates searched for right answers, all classes in
//! shared batches of a fixed shape, each candidate's map and object tests computed with it.

use burn::prelude::*;
use cam::metrics::{ObjectReliance, energy_in_mask, object_reliance, occlusion_drops};
use cam::{CamEngine, Targets};
use image::GrayImage;

use super::window::{Measurement, ObjectTest};
use crate::data::{Batch, Data, Sample};

/// How much one step searches and keeps per class.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Most right answers kept.
    pub right: usize,
    /// Candidates searched.
    pub search: usize,
}

/// What a step asks of one class.
pub struct Search {
    /// The candidates to try, in order.
    pub candidates: Vec<usize>,
    /// Test with masks (every candidate has one) rather than by sliding a patch.
    pub masks: bool,
}

/// Per class, the right answers among its candidates (up to `step.right`, searched `step.right`
/// at a time, every class in one batch) with their maps and occlusion tests, and how many
/// candidates were tried.
///
/// Every candidate of a batch gets its true-class map and, with masks, its object tests,
/// before its answer is known: the batches keep one shape from epoch to epoch, whose kernels
/// LibTorch prepares once, and no pass waits for another's answers.
pub fn measure(
    engine: &CamEngine,
    data: &Data,
    device: &Device,
    step: Step,
    searches: &[Search],
    epoch: Option<usize>,
) -> Vec<(Vec<Measurement>, usize)> {
    let mut found: Vec<(Vec<Measurement>, usize)> =
        searches.iter().map(|_| (Vec::new(), 0)).collect();
    let longest = searches
        .iter()
        .map(|s| s.candidates.len())
        .max()
        .unwrap_or(0);
    for chunk in 0..longest.div_ceil(step.right) {
        let wanted: Vec<(usize, usize)> = (searches.iter().enumerate())
            .filter(|&(label, _)| found[label].0.len() < step.right)
            .flat_map(|(label, search)| {
                let from = (chunk * step.right).min(search.candidates.len());
                let to = ((chunk + 1) * step.right).min(search.candidates.len());
                search.candidates[from..to].iter().map(move |&i| (label, i))
            })
            .collect();
        if wanted.is_empty() {
            break;
        }
        let indices: Vec<usize> = wanted.iter().map(|&(_, i)| i).collect();
        let samples = data.train.samples(&indices);
        let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
        let images = Batch::new(&samples, &data.normalization, device).images;
        let explanation = engine.explain(images.clone(), &[Targets::Classes(labels)]);
        let tested: Vec<bool> = (wanted.iter().zip(&samples))
            .map(|(&(label, _), s)| searches[label].masks && s.mask.is_some())
            .collect();
        let reliance = object_tests(engine, images, &samples, &tested);
        let batch = samples.into_iter().zip(reliance).zip(&wanted).enumerate();
        for (i, ((sample, reliance), &(label, index))) in batch {
            let (right, searched) = &mut found[label];
            *searched += 1;
            if explanation.predicted(i) != label || right.len() >= step.right {
                continue;
            }
            let map = explanation.map(0, i).to_vec();
            let object = match (reliance, &sample.mask) {
                (Some(reliance), Some(mask)) => Some(ObjectTest {
                    on_object: energy_in_mask(&map, mask),
                    area: mask.pixels().filter(|p| p[0] > 127).count() as f64 / mask.len() as f64,
                    reliance,
                }),
                _ => None,
            };
            right.push(Measurement {
                index,
                epoch,
                sample,
                map,
                object,
                drops: None,
            });
        }
    }
    for (search, (right, _)) in searches.iter().zip(&mut found) {
        if !search.masks && !right.is_empty() {
            slide_a_patch(engine, data, device, right);
        }
    }
    found
}

/// [`measure`]'s passes once on blank images, in the shapes a step of `searches` gives them
/// (see [`super::Audit::prepare_kernels`]).
pub fn prepare_kernels(engine: &CamEngine, data: &Data, device: &Device, searches: &[Search]) {
    let rows: usize = searches.iter().map(|s| s.candidates.len()).sum();
    let tested: usize = (searches.iter())
        .filter(|s| s.masks)
        .map(|s| s.candidates.len())
        .sum();
    if rows == 0 {
        return;
    }
    let side = data.image_size;
    let blank = Tensor::<4>::zeros([rows, 3, side, side], device);
    engine.explain(blank.clone(), &[Targets::Classes(vec![0; rows])]);
    if tested > 0 {
        let mask = GrayImage::new(side as u32, side as u32);
        let masks = vec![&mask; tested];
        object_reliance(
            engine.model(),
            blank.narrow(0, 0, tested),
            &masks,
            &vec![0; tested],
        );
    }
}

/// The object-only and object-hidden probabilities of the batch's `tested` images (their
/// masks decoded), in one batched pass; `None` for the others.
fn object_tests(
    engine: &CamEngine,
    images: Tensor<4>,
    samples: &[Sample],
    tested: &[bool],
) -> Vec<Option<ObjectReliance>> {
    let rows: Vec<usize> = (0..samples.len()).filter(|&i| tested[i]).collect();
    if rows.is_empty() {
        return vec![None; samples.len()];
    }
    let masks: Vec<&GrayImage> = rows
        .iter()
        .filter_map(|&i| samples[i].mask.as_ref())
        .collect();
    let labels: Vec<usize> = rows.iter().map(|&i| samples[i].label).collect();
    let index: Vec<i64> = rows.iter().map(|&i| i as i64).collect();
    let index = Tensor::<1, Int>::from_ints(index.as_slice(), &images.device());
    let images = images.select(0, index);
    let mut reliance = object_reliance(engine.model(), images, &masks, &labels).into_iter();
    tested
        .iter()
        .map(|&t| if t { reliance.next() } else { None })
        .collect()
}

/// Each right answer's relative confidence drop with a patch of a quarter of the side hidden
/// at every eighth of it.
fn slide_a_patch(engine: &CamEngine, data: &Data, device: &Device, right: &mut [Measurement]) {
    let samples: Vec<_> = right.iter().map(|m| m.sample.clone()).collect();
    let images = Batch::new(&samples, &data.normalization, device).images;
    let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
    let side = data.image_size;
    let (grid, drops) = occlusion_drops(engine.model(), images, &labels, side / 4, side / 8);
    for (m, d) in right.iter_mut().zip(drops) {
        m.drops = Some((d, grid));
    }
}
