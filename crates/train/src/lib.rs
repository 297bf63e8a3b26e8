//! Fine-tuning with a per-epoch Grad-CAM report.
