//! Where a map falls: concentration, and agreement with an object mask.

use image::GrayImage;
use serde::Serialize;

/// How a heatmap is spread, and where it falls relative to the object mask.
#[derive(Clone, Debug, Serialize)]
pub struct MapStats {
    /// Shannon entropy of the map as a distribution, divided by its maximum `ln(H·W)`:
    /// 0 = all mass on one pixel, 1 = uniform.
    pub entropy: f64,
    /// Gini index of the map's values (Hurley & Rickard's sparseness): 0 = uniform, close to 1 =
    /// all mass on one pixel.
    pub gini: f64,
    /// IoU of the map's top-20% pixels with the mask.
    pub iou_top20: Option<f64>,
    /// Share of the map's mass inside the mask (energy-based pointing game).
    pub energy_in_mask: Option<f64>,
    /// Whether the map's maximum lies inside the mask (pointing game).
    pub pointing_hit: Option<bool>,
}

impl MapStats {
    /// Statistics of a map in `[0, 1]` (row-major, the mask's size when one is given).
    ///
    /// One sort serves both the Gini index and the top-20% threshold, and one pass over the
    /// mask the IoU: every validation image's map is scored each epoch.
    pub fn new(map: &[f32], mask: Option<&GrayImage>) -> Self {
        let mut sorted: Vec<f32> = map.iter().map(|&v| v.max(0.0)).collect();
        // A radix sort: several times faster than a comparison sort on a map's ~10⁴ values.
        radsort::sort(&mut sorted);
        let total = sum(map.len(), |i| f64::from(map[i]));
        let entropy = entropy(map, total);
        let gini = gini(&sorted);
        let Some(mask) = mask else {
            return Self {
                entropy,
                gini,
                iou_top20: None,
                energy_in_mask: None,
                pointing_hit: None,
            };
        };
        // The value at the 80th percentile; for a map in [0, 1] clamping changes no rank.
        let threshold = sorted[(sorted.len() as f64 * 0.8) as usize];
        let (mut intersection, mut union) = (0usize, 0usize);
        for (&v, &m) in map.iter().zip(mask.as_raw()) {
            let (top, inside) = (v >= threshold && v > 0.0, m > 127);
            intersection += usize::from(top && inside);
            union += usize::from(top || inside);
        }
        let peak = crate::explanation::argmax(map);
        Self {
            entropy,
            gini,
            iou_top20: Some(if union == 0 {
                0.0
            } else {
                intersection as f64 / union as f64
            }),
            energy_in_mask: Some(mass_share(map, mask, total)),
            pointing_hit: Some(total > 0.0 && mask.as_raw()[peak] > 127),
        }
    }
}

/// The share of a map's mass inside an object mask of its size (> 127 is the object): the
/// energy-based pointing game of [`MapStats`], alone (0 for a map without mass).
pub fn energy_in_mask(map: &[f32], mask: &GrayImage) -> f64 {
    mass_share(map, mask, sum(map.len(), |i| f64::from(map[i])))
}

/// [`energy_in_mask`] of a map whose mass is `total`.
fn mass_share(map: &[f32], mask: &GrayImage, total: f64) -> f64 {
    let inside = mask.as_raw();
    let mass = sum(map.len(), |i| {
        if inside[i] > 127 {
            f64::from(map[i])
        } else {
            0.0
        }
    });
    if total > 0.0 { mass / total } else { 0.0 }
}

/// Shannon entropy of a map with mass `total` as a distribution, divided by its maximum
/// `ln(len)`; 1 for a map without mass.
fn entropy(map: &[f32], total: f64) -> f64 {
    if total <= 0.0 {
        return 1.0;
    }
    // -Σ p ln p with p = v / total, as ln(total) - Σ v ln v / total: one logarithm per value,
    // in single precision (summed in double).
    let v_ln_v = sum(map.len(), |i| {
        let v = map[i];
        if v > 0.0 { f64::from(v * v.ln()) } else { 0.0 }
    });
    (total.ln() - v_ln_v / total) / (map.len() as f64).ln()
}

/// `1 - 2 Σ_k (c_k / |c|₁) (N - k + ½) / N` over the values `c` sorted ascending (`k` from 1),
/// as `1 - 2 ((N - ½) |c|₁ - Σ_k (k - 1) c_k) / (N |c|₁)`; 0 for a map without mass.
fn gini(sorted: &[f32]) -> f64 {
    let total = sum(sorted.len(), |k| f64::from(sorted[k]));
    let ranked = sum(sorted.len(), |k| k as f64 * f64::from(sorted[k]));
    if total <= 0.0 {
        return 0.0;
    }
    let n = sorted.len() as f64;
    1.0 - 2.0 * ((n - 0.5) * total - ranked) / (n * total)
}

/// `Σ term(i)` for `i` in `0..n`, in double precision with eight running sums: each addition
/// waits on the one eight terms back instead of the last, so a map's ~10⁴ terms add up
/// several times faster (every validation map is scored each epoch).
fn sum(n: usize, term: impl Fn(usize) -> f64) -> f64 {
    const LANES: usize = 8;
    let mut lanes = [0.0f64; LANES];
    let whole = n - n % LANES;
    for start in (0..whole).step_by(LANES) {
        for (lane, partial) in lanes.iter_mut().enumerate() {
            *partial += term(start + lane);
        }
    }
    lanes.iter().sum::<f64>() + (whole..n).map(term).sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4×4 mask whose left half is the object.
    fn left_half() -> GrayImage {
        GrayImage::from_fn(4, 4, |x, _| image::Luma([if x < 2 { 255 } else { 0 }]))
    }

    #[test]
    fn one_hot_map_on_the_object_is_focused_and_hits() {
        let mut map = vec![0.0; 16];
        map[4] = 1.0; // (0, 1): on the object
        let stats = MapStats::new(&map, Some(&left_half()));
        assert_eq!(stats.entropy, 0.0);
        assert_eq!(stats.pointing_hit, Some(true));
        assert_eq!(stats.energy_in_mask, Some(1.0));
        assert_eq!(energy_in_mask(&map, &left_half()), 1.0);
        assert_eq!(energy_in_mask(&[0.0; 16], &left_half()), 0.0);
    }

    #[test]
    fn uniform_map_has_full_entropy_and_the_object_share_of_mass() {
        let stats = MapStats::new(&[0.5; 16], Some(&left_half()));
        assert!((stats.entropy - 1.0).abs() < 1e-6);
        assert!(stats.gini.abs() < 1e-12);
        assert_eq!(stats.energy_in_mask, Some(0.5));
    }

    #[test]
    fn gini_is_zero_for_a_uniform_map_and_one_minus_one_over_n_for_a_single_pixel() {
        assert!(MapStats::new(&[0.5; 64], None).gini.abs() < 1e-9);
        let mut single = [0.0f32; 64];
        single[17] = 1.0;
        let gini = MapStats::new(&single, None).gini;
        assert!((gini - (1.0 - 1.0 / 64.0)).abs() < 1e-9, "{gini}");
        // Sorted (0, 0, 1, 1): 1 - 2 (1/2 (1.5/4) + 1/2 (0.5/4)) = 1/2.
        let half = MapStats::new(&[0.0, 1.0, 0.0, 1.0], None).gini;
        assert!((half - 0.5).abs() < 1e-9, "{half}");
    }

    #[test]
    fn map_off_the_object_misses() {
        let map: Vec<f32> = (0..16)
            .map(|i| if i % 4 >= 2 { 1.0 } else { 0.0 })
            .collect();
        let stats = MapStats::new(&map, Some(&left_half()));
        assert_eq!(stats.pointing_hit, Some(false));
        assert_eq!(stats.energy_in_mask, Some(0.0));
        assert_eq!(stats.iou_top20, Some(0.0));
        assert_eq!(MapStats::new(&map, None).iou_top20, None);
    }
}
