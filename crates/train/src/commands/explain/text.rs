//! The human-readable output of `train explain`.

use super::report::ExplainReport;

/// Prints per image its predictions and, per map, the figure, the empty-map warning and
/// (`--metrics`) the scores beside those of the baselines.
pub(super) fn print(report: &ExplainReport) {
    for image in &report.images {
        println!("{}", image.path.display());
        for (rank, p) in image.predictions.iter().enumerate() {
            println!(
                "  {}. {:<24} {:>6.2}%",
                rank + 1,
                p.name,
                100.0 * f64::from(p.probability)
            );
        }
        for map in &image.maps {
            let (name, method) = (&map.name, map.method);
            println!("  {method} map of '{name}': {}", map.figure.display());
            if let Some(layers) = &map.layers_figure {
                println!("    each layer beside the fused map: {}", layers.display());
            }
            if map.empty {
                println!(
                    "  warning: the {method} map of '{name}' is empty: nothing at this layer speaks for that class (the model rejects it)"
                );
            }
            let Some(m) = &map.metrics else {
                continue;
            };
            let f = &m.faithfulness;
            println!(
                "    deletion AUC {:.3} (lower is better), insertion AUC {:.3} (higher is better), confidence change {:+.3}, entropy {:.2}, Gini {:.2}",
                f.deletion_auc, f.insertion_auc, f.confidence_change, m.stats.entropy, m.stats.gini
            );
            if let Some(iou) = m.stats.iou_top20 {
                println!(
                    "    on the object mask: top-20% IoU {iou:.2}, {:.0}% of the mass, peak {}",
                    100.0 * m.stats.energy_in_mask.unwrap_or(f64::NAN),
                    if m.stats.pointing_hit == Some(true) {
                        "on it"
                    } else {
                        "off it"
                    }
                );
            }
            let baselines = image.baselines.as_ref().and_then(|b| b.get(name));
            for (baseline, b) in baselines.into_iter().flatten() {
                println!(
                    "    {baseline:>8} baseline: deletion AUC {:.3}, insertion AUC {:.3}",
                    b.faithfulness.deletion_auc, b.faithfulness.insertion_auc
                );
            }
        }
    }
}
