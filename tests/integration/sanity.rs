//! The model-parameter randomization test on a trained model: Grad-CAM's maps change when the
//! network's top half is re-initialized, guided backpropagation's hardly do (Adebayo et al.,
//! 2018). Trains in a child process, so `make test` reruns it as an AVX2-only CPU with one
//! thread.

use clap::Parser;
use train::cli::{Cli, Command};
use train::data::synthetic::{self, Background, Spec};

#[test]
fn grad_cam_follows_the_weights_and_guided_backprop_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let data = dir.join("data");
    // Plain backgrounds: a model learns the textures within a few epochs.
    let spec = Spec {
        train_per_class: 40,
        val_per_class: 2,
        seed: 5,
        background: Background::Plain,
        ..Spec::default()
    };
    synthetic::generate(&data, spec, &indicatif::ProgressBar::hidden()).unwrap();
    let path = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    let args = [
        "train",
        "--data",
        &path(&data),
        "--num-classes",
        "5",
        "--epochs",
        "4",
        "--run",
        "sanity",
        "--checkpoints",
        &path(&dir.join("checkpoints")),
        "--reports",
        &path(&dir.join("reports")),
        "--shortcut-audit",
        "off",
    ];
    crate::common::train_in_child(args.iter().map(|a| a.to_string()).collect());

    let mut explain = vec![
        "train".to_owned(),
        "explain".to_owned(),
        "--checkpoint".to_owned(),
        path(&dir.join("checkpoints/sanity/last.bpk")),
        "--sanity".to_owned(),
        "--output".to_owned(),
        path(&dir.join("explain")),
    ];
    for class in synthetic::CLASSES {
        for i in 0..2 {
            explain.push(path(&data.join(format!("val/{class}/{i:04}.png"))));
        }
    }
    let Some(Command::Explain(args)) = Cli::try_parse_from(&explain).unwrap().command else {
        panic!("explain")
    };
    let cascade = train::explain_report(&args).unwrap().sanity.unwrap();
    assert_eq!(
        cascade.steps.len(),
        2 + 19,
        "trained, classifier, features.18 ... features.0"
    );
    assert_eq!(cascade.steps[cascade.verdict_step], "features.10");
    let curve = |name: &str| cascade.curves.iter().find(|c| c.explainer == name).unwrap();
    let (grad_cam, guided) = (curve("gradcam"), curve("guided backprop"));
    let half = cascade.verdict_step;
    eprintln!(
        "top half random: Grad-CAM Spearman {:.2} SSIM {:.2}; guided backprop Spearman {:.2} SSIM {:.2}",
        grad_cam.spearman[half], grad_cam.ssim[half], guided.spearman[half], guided.ssim[half]
    );
    for c in [grad_cam, guided] {
        assert!((c.spearman[0] - 1.0).abs() < 1e-9 && (c.ssim[0] - 1.0).abs() < 1e-9);
    }
    // Measured 0.10 and 0.91 on the default model with 8 images.
    assert!(
        !grad_cam.insensitive && grad_cam.spearman[half] < 0.3,
        "Grad-CAM stays at {:.2}",
        grad_cam.spearman[half]
    );
    assert!(
        guided.insensitive && guided.spearman[half] > 0.7,
        "guided backprop falls to {:.2}",
        guided.spearman[half]
    );
    assert!(dir.join("explain/sanity.png").is_file() && dir.join("explain/sanity.json").is_file());
}
