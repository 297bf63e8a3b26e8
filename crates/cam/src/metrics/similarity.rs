//! How alike two maps of the same image are: the rank correlation and the structural
//! similarity the sanity checks of Adebayo et al. (2018) report.

use image::GrayImage;
use image_compare::Algorithm;

/// Spearman's rank correlation of two equally long maps (ties get their mean rank, as
/// `scipy.stats.spearmanr`); 0 when either map is constant, where it is undefined.
pub fn spearman(a: &[f32], b: &[f32]) -> f64 {
    pearson(&ranks(a), &ranks(b))
}

/// The structural similarity of two maps in `[0, 1]` of `size` `[height, width]` (mean SSIM
/// over 8×8 windows, on the maps as 8-bit grey images).
pub fn ssim(a: &[f32], b: &[f32], [height, width]: [usize; 2]) -> f64 {
    let grey = |map: &[f32]| {
        let bytes = map
            .iter()
            .map(|v| (255.0 * v.clamp(0.0, 1.0)).round() as u8)
            .collect();
        GrayImage::from_raw(width as u32, height as u32, bytes).expect("a map of its size")
    };
    image_compare::gray_similarity_structure(&Algorithm::MSSIMSimple, &grey(a), &grey(b))
        .expect("maps of one size")
        .score
}

/// 1-based ranks, ties sharing their mean rank.
fn ranks(values: &[f32]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let mean = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = mean;
        }
        start = end;
    }
    ranks
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut cov, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        cov += (x - ma) * (y - mb);
        va += (x - ma).powi(2);
        vb += (y - mb).powi(2);
    }
    if va == 0.0 || vb == 0.0 {
        0.0
    } else {
        cov / (va * vb).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_matches_scipy_and_handles_ties_and_constants() {
        // scipy.stats.spearmanr([1, 2, 2, 3, 0.5, 7], [1, 3, 2, 4, 4, 0]).statistic
        const SCIPY: f64 = -0.35294117647058826;
        let r = spearman(
            &[1.0, 2.0, 2.0, 3.0, 0.5, 7.0],
            &[1.0, 3.0, 2.0, 4.0, 4.0, 0.0],
        );
        assert!((r - SCIPY).abs() < 1e-12, "{r}");
        let rising: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let squared: Vec<f32> = rising.iter().map(|v| v * v).collect();
        let falling: Vec<f32> = rising.iter().rev().copied().collect();
        assert!((spearman(&rising, &squared) - 1.0).abs() < 1e-12);
        assert!((spearman(&rising, &falling) + 1.0).abs() < 1e-12);
        assert_eq!(spearman(&rising, &[0.5; 10]), 0.0);
    }

    #[test]
    fn ssim_is_one_for_equal_maps_and_low_for_unrelated_ones() {
        let side = 32;
        let blob: Vec<f32> = (0..side * side)
            .map(|p| {
                let (x, y) = ((p % side) as f32 - 10.0, (p / side) as f32 - 12.0);
                (-(x * x + y * y) / 50.0).exp()
            })
            .collect();
        let moved: Vec<f32> = (0..side * side)
            .map(|p| blob[side * side - 1 - p])
            .collect();
        assert!((ssim(&blob, &blob, [side, side]) - 1.0).abs() < 1e-9);
        let apart = ssim(&blob, &moved, [side, side]);
        assert!(apart < 0.5, "{apart}");
    }
}
