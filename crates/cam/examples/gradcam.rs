//! Grad-CAM for one image through the library API: load a checkpoint (camwatch's `.bpk` or a
//! torchvision `.pth`/`.safetensors`), prepare the image as the model sees it, compute the
//! predicted class's map and save it laid over the image.
//!
//! ```sh
//! cargo run --release -p cam --example gradcam -- CHECKPOINT IMAGE OUT.png
//! ```
#![allow(deprecated)] // LibTorch is deprecated upstream but is the fastest CPU backend here.

use std::path::Path;

use burn::prelude::*;
use cam::render::overlay::overlay;
use cam::{CamEngine, Method, TargetLayer, Targets};
use models::Classifier;
use models::checkpoint::{self, LoadOptions};
use vision::{EvalTransform, Normalization, Resize};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [checkpoint, image, output] = args.as_slice() else {
        eprintln!("usage: gradcam CHECKPOINT IMAGE OUT.png");
        std::process::exit(2);
    };
    let device = Device::libtorch();
    let loaded = checkpoint::load(Path::new(checkpoint), &LoadOptions::default(), &device)?;
    // camwatch's checkpoints say how their images were prepared; torchvision's expect 224 px
    // centre crops with ImageNet's statistics.
    let (size, resize, normalization) = match &loaded.info.metadata {
        Some(meta) => (meta.image_size, meta.resize, meta.normalization.clone()),
        None => (224, Resize::Crop, Normalization::default()),
    };
    let transform = EvalTransform { size, resize };
    let picture = transform.apply(&vision::load_rgb(Path::new(image))?);
    let batch = vision::batch(std::slice::from_ref(&picture), &normalization, &device);

    // Fold the model once; the engine explains on that inference copy.
    let network = loaded.model.fold();
    let layers = [TargetLayer::default_for(network.as_ref(), size)];
    let engine = CamEngine::new(network.as_ref(), Method::GradCam, &layers);
    let explanation = engine.explain(batch, &[Targets::Predicted]);
    let class = explanation.classes[0][0];
    println!(
        "class {class} with probability {:.3}, Grad-CAM at {}",
        explanation.probabilities[0][class], layers[0]
    );
    overlay(&picture, explanation.map(0, 0), 0.5).save(output)?;
    println!("wrote {output}");
    Ok(())
}
