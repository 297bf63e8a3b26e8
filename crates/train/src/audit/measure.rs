//! One audit step: per class, the next candidates searched for right answers, all classes in
//! shared batches, and the occlusion tests of what was found.

use burn::prelude::*;
use cam::metrics::{object_reliance, occlusion_drops};
use cam::{CamEngine, Targets};
use image::GrayImage;
use mobilenetv2::MobileNetV2;

use super::window::Measurement;
use crate::data::{Batch, Data};

/// How much one step searches and keeps per class.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Most right answers kept.
    pub right: usize,
    /// Candidates searched (twice as many for a class without a verdict yet).
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
pub fn measure(
    engine: &CamEngine,
    model: &MobileNetV2,
    data: &Data,
    device: &Device,
    step: Step,
    searches: &[Search],
    epoch: usize,
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
        let images = Batch::new(&samples, &data.normalization, device).images;
        let explanation = engine.explain(images, &[Targets::Predicted]);
        for (i, (sample, &(label, index))) in samples.into_iter().zip(&wanted).enumerate() {
            let (right, searched) = &mut found[label];
            *searched += 1;
            if explanation.predicted(i) == label && right.len() < step.right {
                right.push(Measurement {
                    index,
                    epoch,
                    sample,
                    map: explanation.map(0, i).to_vec(),
                    reliance: None,
                    drops: None,
                });
            }
        }
    }
    test_with_masks(model, data, device, searches, &mut found);
    for (search, (right, _)) in searches.iter().zip(&mut found) {
        if !search.masks && !right.is_empty() {
            slide_a_patch(model, data, device, right);
        }
    }
    found
}

/// The object-only and object-hidden probabilities of the right answers of every class tested
/// with masks, in one batched pass; an image whose mask did not decode is left untested.
fn test_with_masks(
    model: &MobileNetV2,
    data: &Data,
    device: &Device,
    searches: &[Search],
    found: &mut [(Vec<Measurement>, usize)],
) {
    let tested: Vec<&mut Measurement> = (searches.iter().zip(found.iter_mut()))
        .filter(|(search, _)| search.masks)
        .flat_map(|(_, (right, _))| right.iter_mut())
        .filter(|m| m.sample.mask.is_some())
        .collect();
    if tested.is_empty() {
        return;
    }
    let samples: Vec<_> = tested.iter().map(|m| m.sample.clone()).collect();
    let images = Batch::new(&samples, &data.normalization, device).images;
    let masks: Vec<&GrayImage> = samples.iter().filter_map(|s| s.mask.as_ref()).collect();
    let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
    let reliance = object_reliance(model, images, &masks, &labels);
    for (m, r) in tested.into_iter().zip(reliance) {
        m.reliance = Some(r);
    }
}

/// Each right answer's relative confidence drop with a patch of a quarter of the side hidden
/// at every eighth of it.
fn slide_a_patch(model: &MobileNetV2, data: &Data, device: &Device, right: &mut [Measurement]) {
    let samples: Vec<_> = right.iter().map(|m| m.sample.clone()).collect();
    let images = Batch::new(&samples, &data.normalization, device).images;
    let labels: Vec<usize> = samples.iter().map(|s| s.label).collect();
    let side = data.image_size;
    let (grid, drops) = occlusion_drops(model, images, &labels, side / 4, side / 8);
    for (m, d) in right.iter_mut().zip(drops) {
        m.drops = Some((d, grid));
    }
}
