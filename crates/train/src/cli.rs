//! The command line, and nothing else: flags become the plain configurations the rest of the
//! crate takes ([`TrainArgs::config`]).

use std::path::{Path, PathBuf};

use cam::Method;
use clap::{Args, Parser, Subcommand};
use vision::Resize;

use crate::audit::AuditScope;
use crate::data::synthetic::{Background, Shortcut};
use crate::data::{Cache, DataConfig};
use crate::monitor::MonitorConfig;
use crate::run_dir::OutputConfig;
use crate::training::{
    ModelConfig, OptimizationConfig, OptimizerKind, Recipe, Schedule, TrainConfig,
};

/// Fine-tune an image classifier (MobileNetV2 by default, or another torchvision CNN with --arch)
/// on an image-folder dataset and see where it looks: after every epoch,
/// Grad-CAM maps of the true and predicted class for misclassified and probe validation
/// images, written as a PNG grid and an HTML report under reports/.
///
/// With no --data, a 5-class textures dataset (with object masks) is generated into
/// datasets/textures and used.
#[derive(Debug, Parser)]
#[command(
    name = "train",
    version,
    args_conflicts_with_subcommands = true,
    args_override_self = true
)]
pub struct Cli {
    /// Another task than training.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Training options.
    #[command(flatten)]
    pub train: TrainArgs,
}

/// Tasks besides training.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Explain single images: top-k predictions and class activation maps as figures,
    /// overlays and .npy files.
    Explain(ExplainArgs),
    /// Before deployment: classify and explain every image of a test folder (labelled by class
    /// folders, or not), as an offline HTML gallery with filters, per-class mean heatmaps and
    /// an enlarged view, plus predictions.csv and gallery.json.
    Gallery(GalleryArgs),
    /// Show what a checkpoint holds (format, key layout, classes, width, parameters).
    Inspect(InspectArgs),
    /// Write a checkpoint as .safetensors with torchvision's key names, for PyTorch.
    Export(ExportArgs),
    /// Watch a run trained elsewhere (PyTorch, Lightning, ...): each checkpoint the training
    /// writes becomes one epoch of the same per-epoch heatmap report training gives.
    Watch(WatchArgs),
    /// Generate the synthetic textures dataset (with object masks), optionally with a planted
    /// shortcut, to see the shortcut warning of the reports fire.
    Generate(GenerateArgs),
}

/// Options of the training run (the default command), in four groups.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The dataset.
    #[command(flatten, next_help_heading = "Data")]
    pub data: DataArgs,
    /// The model and how it is optimized.
    #[command(flatten, next_help_heading = "Model and optimizer")]
    pub model: ModelArgs,
    /// Where the run goes and what runs it.
    #[command(flatten, next_help_heading = "Run and output")]
    pub output: OutputArgs,
    /// The per-epoch monitor.
    #[command(flatten, next_help_heading = "Monitor (per-epoch heatmap report)")]
    pub monitor: MonitorArgs,
}

/// Data options.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// Image-folder dataset: DIR/CLASS/* (split by --val-split) or DIR/{train,val}/CLASS/*.
    /// Default: datasets/textures, generated when absent.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Object masks in a folder that mirrors --data (same relative path, any image extension;
    /// 0 = background, any other value = object). Masks named NAME.mask.png beside the images
    /// are found without it, and DIR/masks/ beside DIR/images/{train,val} too.
    #[arg(long, value_name = "DIR")]
    pub masks: Option<PathBuf>,
    /// Number of classes; must match the dataset's class folders.
    #[arg(long, value_name = "N", value_parser = parse_class_count)]
    pub num_classes: Option<usize>,
    /// Square input size in pixels. 96 keeps a 2-core CPU epoch short; 224 matches ImageNet
    /// weights. Must be a multiple of 32.
    #[arg(long, default_value_t = 96, value_parser = parse_image_size)]
    pub image_size: usize,
    /// Share of each class held out for validation when the dataset has no val/ split.
    #[arg(long, default_value_t = 0.2, value_parser = parse_fraction)]
    pub val_split: f64,
    /// How images are fitted to the square input. `crop`: torchvision's recipe, which
    /// pretrained weights expect (evaluation, reports and explain resize the short side to
    /// round(s·256/224) and take the centre s×s; training takes random resized crops).
    /// `squash`: the whole frame resized to s×s, for data where every pixel of the frame
    /// matters (crops then come from the squashed image).
    #[arg(long, default_value = "crop", value_parser = parse_resize)]
    pub resize: Resize,
    /// Smallest share of an image's area a training crop keeps (torchvision's
    /// RandomResizedCrop scale=(MIN, 1), aspect ratios 3/4 to 4/3, then a horizontal flip).
    /// Default: 0.08 as torchvision with --weights (what pretrained weights were trained with);
    /// 0.35 from scratch (fastai's from-scratch recipe); 0.7 on the generated default dataset,
    /// whose 96-px textures lose their class in smaller crops (measured in BENCHMARKS.md).
    #[arg(long, value_name = "MIN", value_parser = parse_share)]
    pub crop_scale: Option<f64>,
    /// Turn off train-time augmentation (random resized crop, horizontal flip): training sees
    /// what evaluation sees.
    #[arg(long)]
    pub no_augment: bool,
    /// Where decoded images live. `memory`: decoded once and kept (memory grows with the
    /// dataset); `off`: decoded per batch from disk on low-priority worker threads, two batches
    /// ahead of the model (memory independent of the dataset's size; on 224-px photos as fast
    /// as `memory`); `auto`: memory when the decoded images take under a quarter of the
    /// available memory. Both train the same model. The first lines of output say which was
    /// chosen and why.
    #[arg(long, value_enum, default_value = "auto")]
    pub cache: Cache,
}

/// Model and optimizer options.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Training epochs. Default: 15 with --weights; 30 from scratch; 40 on the generated
    /// default dataset (its model leaves chance after 3 to 8 epochs, depending on the CPU).
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub epochs: Option<usize>,
    /// Images per training step. Default: 32; 16 on the generated default dataset (twice the
    /// steps per epoch, which its network, trained from scratch, needs to leave chance early).
    #[arg(long, value_parser = parse_batch_size)]
    pub batch_size: Option<usize>,
    /// Peak learning rate (the classifier's; the backbone's is this times
    /// --backbone-lr-factor). Default: 5e-3 from scratch, 2e-3 with --weights (the first lines
    /// of output say which recipe was used).
    #[arg(long, value_parser = parse_lr)]
    pub lr: Option<f64>,
    /// Epochs over which the learning rate rises linearly from 1% of its peak, before --schedule
    /// takes over (0: none). Default: none from scratch, 1 epoch with --weights.
    #[arg(long, value_name = "N", value_parser = parse_warmup)]
    pub warmup_epochs: Option<usize>,
    /// The backbone's learning rate as a share of the classifier's. Default: 1 from scratch;
    /// 0.3 with --weights, so that the pretrained features move slowly while the new classifier
    /// learns.
    #[arg(long, value_name = "F", value_parser = parse_share)]
    pub backbone_lr_factor: Option<f64>,
    /// Optimizer.
    #[arg(long, value_enum, default_value_t = OptimizerKind::Adam)]
    pub optimizer: OptimizerKind,
    /// Learning-rate schedule.
    #[arg(long, value_enum, default_value_t = Schedule::Cosine)]
    pub schedule: Schedule,
    /// Weight decay (L2).
    #[arg(long, default_value_t = 0.0, value_parser = parse_fraction)]
    pub weight_decay: f64,
    /// Architecture of a new network, by torchvision's name: mobilenet_v2, mobilenet_v3_small,
    /// mobilenet_v3_large, resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d,
    /// resnext101_32x8d, resnext101_64x4d, wide_resnet50_2, wide_resnet101_2, vgg11, vgg11_bn,
    /// vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn, efficientnet_b0 ... efficientnet_b7,
    /// efficientnet_v2_s, efficientnet_v2_m, efficientnet_v2_l, convnext_tiny, convnext_small,
    /// convnext_base, convnext_large, densenet121, densenet161, densenet169, densenet201 (with
    /// --weights, the checkpoint's; a different one given here is an error).
    #[arg(long, value_name = "NAME", default_value = models::DEFAULT_ARCH)]
    pub arch: String,
    /// Width multiplier of a new network: MobileNetV2's width_mult (default 0.5); a
    /// MobileNetV3's width_mult, a ResNet's base width is 64 times it, a VGG's and an
    /// EfficientNet's every width, a ConvNeXt's stage widths and a DenseNet's growth rate and
    /// stem are scaled by it (on top of the variant's own; default 1.0, torchvision's). Ignored
    /// with --weights, which fixes the width.
    #[arg(long, value_parser = parse_width)]
    pub width_mult: Option<f64>,
    /// Torchvision checkpoint (.pth/.pt/.safetensors, any key layout) to start from, of any
    /// architecture camwatch runs: its backbone is loaded and the classifier is
    /// re-initialized for --num-classes.
    #[arg(long, value_name = "PATH")]
    pub weights: Option<PathBuf>,
    /// Dropout probability in the classifier while training (torchvision's MobileNet default, and
    /// its EfficientNet-B0's and V2-S's; a VGG's two dropouts take it too; torchvision's ResNets,
    /// ConvNeXts and DenseNets have none).
    #[arg(long, default_value_t = 0.2, value_parser = parse_fraction)]
    pub dropout: f64,
    /// Train only the classifier; the backbone is frozen (no backward through it). With
    /// --no-augment too, each training image's pooled backbone features are computed once and
    /// every epoch trains the classifier on them alone (see --no-feature-cache).
    #[arg(long)]
    pub freeze_features: bool,
    /// With --freeze-features --no-augment, run every epoch's images through the backbone
    /// instead of caching their features (the cache holds 4 bytes per feature channel per
    /// training image, e.g. 5 KB at width 1).
    #[arg(long)]
    pub no_feature_cache: bool,
    /// Seed for initialization, splitting, shuffling and augmentation.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Run and output options.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Run name: checkpoints go to CHECKPOINTS/RUN/, reports to REPORTS/RUN/.
    /// Default: the dataset folder's name (a new run never overwrites an old one: a suffix is
    /// added unless --resume).
    #[arg(long)]
    pub run: Option<String>,
    /// Continue the run from its last completed epoch (model, optimizer and schedule).
    #[arg(long)]
    pub resume: bool,
    /// Folder for checkpoints.
    #[arg(long, default_value = "checkpoints", value_name = "DIR")]
    pub checkpoints: PathBuf,
    /// Folder for reports.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub reports: PathBuf,
    /// LibTorch device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// Options of the per-epoch monitor.
#[derive(Debug, Args)]
pub struct MonitorArgs {
    /// Misclassified validation images in each epoch's PNG grid and sample table (highest loss
    /// first). The epoch page lists every misclassified image regardless.
    #[arg(long, default_value_t = 8, value_parser = parse_shown)]
    pub report_samples: usize,
    /// Fixed validation images shown in every epoch's report (one per class first).
    #[arg(long, default_value_t = 5, value_parser = parse_shown)]
    pub probes: usize,
    /// CAM method for the reports: gradcam, gradcam++, xgradcam, layercam, hirescam, eigencam,
    /// scorecam (slow: one forward per channel). Validation computes it for every image's true
    /// class and every mistake's predicted class, so its cost grows with the validation set.
    #[arg(long, default_value = "gradcam", value_parser = parse_method)]
    pub cam_method: Method,
    /// CAM target layer(s) by torchvision name (MobileNetV2: features.0 ... features.18;
    /// ResNet: maxpool, layer1.0 ... layer4.N, or a stage: layer3, layer4[-1]; VGG: each ReLU's
    /// and pooling's features.N, features[-1]); several are fused. Default, as pytorch-grad-cam
    /// recommends: the last layer (features.18, layer4, features[-1]) from 224 px up (a map at
    /// least 7 cells wide), else one at stride 16 (features.10, layer3, the last ReLU: 6x6
    /// instead of 3x3 at 96 px).
    #[arg(long = "cam-layer", value_name = "LAYER")]
    pub cam_layers: Vec<String>,
    /// Also score each epoch's true-class maps, and the random, Gaussian and Sobel baseline maps
    /// beside them, by deletion and insertion AUC (36 forwards per map: about 20% of an
    /// epoch at the defaults, so opt-in; entropy, Gini and the mask scores are always computed).
    #[arg(long)]
    pub faithfulness: bool,
    /// Shortcut audit, every epoch once training accuracy reaches 50%: per class, does the
    /// model still answer right when only the object is left, or when it is hidden? `masks`
    /// audits classes with object masks: each epoch tests the next 2 of a class's first 64
    /// training images (two occlusion forwards each, under 1% of an epoch at the defaults) and
    /// judges the last 16 right answers;
    /// `all` also audits classes without masks by searching each image for one fixed decisive
    /// spot (about 50 forwards per image, 60-70% of an epoch: opt-in); `off` skips it.
    #[arg(long, value_enum, default_value = "masks")]
    pub shortcut_audit: AuditScope,
}

impl TrainArgs {
    /// The run these flags describe, as the plain configuration the training code takes.
    pub fn config(&self) -> TrainConfig {
        let (data, model, output, monitor) = (&self.data, &self.model, &self.output, &self.monitor);
        let recipe = match (&model.weights, &data.data) {
            (Some(_), _) => &Recipe::FINE_TUNING,
            (None, Some(_)) => &Recipe::FROM_SCRATCH,
            (None, None) => &Recipe::DEFAULT_DATASET,
        };
        // The generated dataset keeps its epochs and crops, whatever the weights.
        let dataset = match data.data {
            Some(_) => recipe,
            None => &Recipe::DEFAULT_DATASET,
        };
        TrainConfig {
            data: DataConfig {
                root: data.data.clone(),
                masks: data.masks.clone(),
                num_classes: data.num_classes,
                image_size: data.image_size,
                resize: data.resize,
                crop_scale: data.crop_scale.unwrap_or(dataset.crop_scale),
                val_split: data.val_split,
                augment: !data.no_augment,
                cache: data.cache,
            },
            optimization: OptimizationConfig {
                epochs: model.epochs.unwrap_or(dataset.epochs),
                batch_size: model.batch_size.unwrap_or(recipe.batch_size),
                lr: model.lr.unwrap_or(recipe.lr),
                warmup_epochs: model.warmup_epochs.unwrap_or(recipe.warmup_epochs),
                backbone_lr_factor: model
                    .backbone_lr_factor
                    .unwrap_or(recipe.backbone_lr_factor),
                recipe,
                optimizer: model.optimizer,
                schedule: model.schedule,
                weight_decay: model.weight_decay,
            },
            model: ModelConfig {
                arch: model.arch.clone(),
                width_mult: model.width_mult,
                weights: model.weights.clone(),
                dropout: model.dropout,
                freeze_features: model.freeze_features,
                feature_cache: !model.no_feature_cache,
            },
            output: OutputConfig {
                name: output.run.clone(),
                resume: output.resume,
                checkpoints: output.checkpoints.clone(),
                reports: output.reports.clone(),
            },
            monitor: monitor.config(),
            device: output.device.clone(),
            seed: model.seed,
        }
    }
}

/// Options of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Images to explain.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<PathBuf>,
    /// The checkpoint and its inputs.
    #[command(flatten)]
    pub classifier: ClassifierArgs,
    /// Class(es) to explain, as indices or names (repeat for several); default: the predicted one.
    #[arg(long = "class", value_name = "CLASS")]
    pub classes: Vec<String>,
    /// CAM method(s): gradcam, gradcam++, xgradcam, layercam, hirescam, eigencam, scorecam.
    #[arg(long = "method", default_value = "gradcam", value_parser = parse_method)]
    pub methods: Vec<Method>,
    /// Target layer(s) by torchvision name (MobileNetV2: features.0 ... features.18; ResNet:
    /// maxpool, layer1.0 ... layer4.N, or a stage: layer3, layer4[-1]; VGG: each ReLU's and
    /// pooling's features.N, features[-1]); several are fused into one map. Default: the last
    /// layer (features.18, layer4, features[-1]) from 224 px up, else one at stride 16
    /// (features.10, layer3, the last ReLU).
    #[arg(long = "layer", value_name = "LAYER")]
    pub layers: Vec<String>,
    /// Object masks for the localization scores of --metrics: the mask of IMAGE is found in
    /// DIR at the longest tail of IMAGE's path (val/cat/x.jpg: DIR/val/cat/x.*, DIR/cat/x.*,
    /// DIR/x.*), else as x.mask.png beside it.
    #[arg(long, value_name = "DIR")]
    pub masks: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "reports/explain", value_name = "DIR")]
    pub output: PathBuf,
    /// Predictions to print per image.
    #[arg(long, default_value_t = 5, value_parser = parse_count)]
    pub top_k: usize,
    /// Share of the photo in overlays (0 = heatmap only, 1 = photo only).
    #[arg(long, default_value_t = cam::render::overlay::DEFAULT_IMAGE_WEIGHT, value_parser = parse_image_weight)]
    pub image_weight: f32,
    /// Also score every map: entropy, pytorch-grad-cam's confidence change, and deletion and
    /// insertion AUC (17 points each, one forward per point), beside the same scores of three baseline
    /// maps (random, centred Gaussian, Sobel edges). Costs 36 forwards per map.
    #[arg(long)]
    pub metrics: bool,
    /// Also write guided backpropagation and guided METHOD (the guided gradients times the
    /// map) per class: IMAGE.METHOD.guided.png. One extra forward and backward per batch.
    #[arg(long)]
    pub guided: bool,
    /// Also run the model-parameter randomization test (Adebayo et al. 2018) on the images:
    /// the classifier, then every layer from the last to the first (features.18 ... features.0,
    /// fc, layer4.N ... maxpool, or a VGG's features.N) are re-initialized one after the other (torchvision's
    /// initialization), and after each step every --method's map and
    /// guided backpropagation's are compared with the trained model's (Spearman, SSIM):
    /// sanity.png, sanity.json and a verdict per method. A method whose maps stay correlated
    /// on a random network does not explain the model. About two engine passes per step.
    #[arg(long)]
    pub sanity: bool,
    /// Also draw the layers side by side per class: one panel per target layer, each map
    /// scaled on its own, then the fused map (IMAGE.METHOD.layers.png; each layer's raw maps
    /// are in IMAGE.METHOD.LAYER.raw.npy). Without --layer: the last layer at stride 16
    /// (features.13, layer3), the last layer (features.18, layer4) and both fused.
    #[arg(long)]
    pub compare_layers: bool,
    /// Print predictions, flags and output paths as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `gallery`.
#[derive(Debug, Args)]
pub struct GalleryArgs {
    /// Test folder: sub-folders named as the model's classes (images anywhere below them, some
    /// classes may be missing) give labels; without them every image below FOLDER is
    /// explained unlabelled. Non-image files are listed and skipped.
    #[arg(value_name = "FOLDER")]
    pub folder: PathBuf,
    /// The checkpoint and its inputs.
    #[command(flatten)]
    pub classifier: ClassifierArgs,
    /// Output folder: index.html, predictions.csv, gallery.json, and images/, maps/, means/.
    #[arg(long, default_value = "reports/gallery", value_name = "DIR")]
    pub output: PathBuf,
    /// CAM method: gradcam, gradcam++, xgradcam, layercam, hirescam, eigencam, scorecam.
    #[arg(long, default_value = "gradcam", value_parser = parse_method)]
    pub method: Method,
    /// Target layer(s) by torchvision name (features.13, layer4.1, layer3, features[-1]);
    /// several are fused. Default: the last layer (features.18, layer4, a VGG's features[-1])
    /// from 224 px up, else one at stride 16 (features.10, layer3, a VGG's last ReLU).
    #[arg(long = "layer", value_name = "LAYER")]
    pub layers: Vec<String>,
    /// Object masks in a folder that mirrors FOLDER (same relative path, any image extension);
    /// masks named NAME.mask.png beside the images are found without it. With masks, each
    /// predicted-class map gets its IoU, pointing game and mass on the object.
    #[arg(long, value_name = "DIR")]
    pub masks: Option<PathBuf>,
    /// Images per engine pass.
    #[arg(long, default_value_t = 32, value_parser = parse_batch_size)]
    pub batch_size: usize,
    /// Most probable classes kept per image.
    #[arg(long, default_value_t = 5, value_parser = parse_count)]
    pub top_k: usize,
    /// Also draw each target layer's predicted-class map on its own scale, beside the fused
    /// map, in each image's enlarged view. Without --layer: the last layer at stride 16
    /// (features.13, layer3), the last layer (features.18, layer4) and both fused.
    #[arg(long)]
    pub compare_layers: bool,
    /// Also run the model-parameter randomization test (see `explain --sanity`) on N images
    /// spread evenly over the folder: --method and guided backpropagation, sanity.png,
    /// sanity.json and a verdict on the page.
    #[arg(long, value_name = "N", value_parser = parse_sanity)]
    pub sanity: Option<usize>,
}

/// The checkpoint that `explain` and `gallery` classify with, and how its inputs are made.
#[derive(Debug, Args)]
pub struct ClassifierArgs {
    /// Checkpoint: camwatch's .bpk, or a PyTorch .pth/.pt/.ckpt/.safetensors in any common
    /// layout (plain, `module.`, Lightning's `model.`, wrapped in a dict).
    #[arg(long, value_name = "PATH")]
    pub checkpoint: PathBuf,
    /// How the checkpoint's inputs are made and its classes named.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// LibTorch device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// What a PyTorch checkpoint does not say: how its inputs were prepared and what its classes
/// are called. camwatch's own checkpoints record both; these flags override them.
#[derive(Clone, Debug, Default, Args)]
pub struct InputArgs {
    /// Input size; default: the checkpoint's, or 224 for PyTorch files.
    #[arg(long, value_parser = parse_image_size)]
    pub image_size: Option<usize>,
    /// How images were fitted to the square input: `crop` (torchvision's Resize(round(s·256/224))
    /// then CenterCrop(s), what pretrained models expect) or `squash` (Resize((s, s)), the whole
    /// frame, as many PyTorch training scripts do). Default: the checkpoint's, or crop for
    /// PyTorch files.
    #[arg(long, value_parser = parse_resize)]
    pub resize: Option<Resize>,
    /// Per-channel mean the inputs were normalized with, R,G,B on the [0, 1] scale. Default:
    /// the checkpoint's, or ImageNet's 0.485,0.456,0.406 for PyTorch files.
    #[arg(long, value_name = "R,G,B", value_parser = parse_mean)]
    pub mean: Option<[f32; 3]>,
    /// Per-channel standard deviation the inputs were normalized with, R,G,B. Default: the
    /// checkpoint's, or ImageNet's 0.229,0.224,0.225 for PyTorch files.
    #[arg(long, value_name = "R,G,B", value_parser = parse_std)]
    pub std: Option<[f32; 3]>,
    /// JSON file of class names: a list, or class_indices.json's {"0": "daisy", ...}. Default:
    /// the checkpoint's names, else a class_indices.json beside the checkpoint, else the image
    /// folder's class folders in sorted order (as torchvision's ImageFolder numbers them) when
    /// there are as many as the model has classes, else "class N".
    #[arg(long, value_name = "FILE")]
    pub class_names: Option<PathBuf>,
}

/// Options of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Folder where a training process writes its checkpoints, one per epoch (epoch_003.pth,
    /// epoch=3-step=120.ckpt, model_3.pt: ordered by the number in the name, else by time),
    /// or a file it rewrites every epoch (model.pth: each new complete version is an epoch).
    #[arg(value_name = "CHECKPOINTS")]
    pub checkpoints: PathBuf,
    /// The image folder the model is validated on, read as training reads it: its val/
    /// sub-tree is validation (and train/, with object masks, feeds the shortcut audit); a
    /// folder of class folders alone is all validation.
    #[arg(long, value_name = "DIR")]
    pub data: PathBuf,
    /// Object masks in a folder that mirrors --data (see training's --masks).
    #[arg(long, value_name = "DIR")]
    pub masks: Option<PathBuf>,
    /// Keep watching: report new checkpoints as they appear, until Ctrl-C (which finishes the
    /// current epoch's files and exits 0). A file still being written is retried until it
    /// loads whole.
    #[arg(long)]
    pub follow: bool,
    /// Seconds between looks at the folder with --follow.
    #[arg(long, default_value_t = 2.0, value_parser = parse_poll)]
    pub poll: f64,
    /// Scheduling niceness of the watcher, 0 (as the training) to 19 (the default: it takes only
    /// what the training leaves of a shared machine's cores).
    #[arg(long, default_value_t = 19, value_parser = parse_nice)]
    pub nice: i32,
    /// Training numbers for the curves: Lightning's metrics.csv or JSON lines with epoch,
    /// train loss and accuracy. Default: metrics.csv or metrics.jsonl beside the checkpoints
    /// (or one level up, as Lightning's logs keep it), when there is one.
    #[arg(long, value_name = "FILE")]
    pub metrics: Option<PathBuf>,
    /// How the checkpoints' inputs are made and their classes named.
    #[command(flatten)]
    pub inputs: InputArgs,
    /// Run name; default: the checkpoint folder's name (a new name if that report exists).
    #[arg(long)]
    pub run: Option<String>,
    /// Folder for reports.
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub reports: PathBuf,
    /// LibTorch device: cpu, cuda or cuda:N.
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// The per-epoch monitor, as in training.
    #[command(flatten, next_help_heading = "Monitor (per-epoch heatmap report)")]
    pub monitor: MonitorArgs,
}

impl MonitorArgs {
    /// The monitor these flags describe.
    pub fn config(&self) -> MonitorConfig {
        MonitorConfig {
            samples: self.report_samples,
            probes: self.probes,
            method: self.cam_method,
            layers: self.cam_layers.clone(),
            faithfulness: self.faithfulness,
            audit: self.shortcut_audit,
        }
    }
}

/// Options of `inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The checkpoint, as on every command (its path alone, `inspect PATH`, works too).
    #[arg(
        long = "checkpoint",
        value_name = "PATH",
        required_unless_present = "path"
    )]
    checkpoint: Option<PathBuf>,
    #[arg(value_name = "PATH", conflicts_with = "checkpoint", hide = true)]
    path: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Options of `generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Folder to write (DIR/{train,val}/CLASS/NNNN.png and NNNN.mask.png).
    pub output: PathBuf,
    /// Plant a shortcut in the training split: `watermark` stamps a class-coloured square in a
    /// class-specific corner of every training image of the first four classes (the fifth gets
    /// none; validation images get random marks).
    #[arg(long, value_enum)]
    pub shortcut: Option<Shortcut>,
    /// Training images per class.
    #[arg(long, default_value_t = 200, value_parser = parse_count)]
    pub train_per_class: usize,
    /// Validation images per class.
    #[arg(long, default_value_t = 40, value_parser = parse_count)]
    pub val_per_class: usize,
    /// Seed; the same seed writes the same files.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// What lies behind the objects: `camouflage` (the default dataset's: blobs as edge-rich
    /// as the textures) or `plain` (a colour gradient, where an edge map finds the object and
    /// a model learns the textures without augmentation).
    #[arg(long, value_enum, default_value = "camouflage")]
    pub background: Background,
    /// Move this share of each class's images (per split) into another class's folder, a class
    /// drawn at random, and list them with their true class in DIR/label_noise.json, to measure
    /// how well the reports find wrong labels (0 to 0.5).
    #[arg(long, default_value_t = 0.0, value_parser = parse_label_noise)]
    pub label_noise: f64,
}

/// Options of `export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// A camwatch (or torchvision) checkpoint, as on every command (`export CHECKPOINT OUTPUT`,
    /// its path first, works too).
    #[arg(long = "checkpoint", value_name = "PATH")]
    checkpoint: Option<PathBuf>,
    /// The .safetensors file to write (after the checkpoint's path where --checkpoint is not
    /// given).
    #[arg(value_name = "OUTPUT", num_args = 1..=2, required = true)]
    paths: Vec<PathBuf>,
}

impl InspectArgs {
    /// The checkpoint, however it was named.
    pub fn checkpoint(&self) -> &Path {
        (self.checkpoint.as_deref().or(self.path.as_deref()))
            .expect("clap requires --checkpoint or PATH")
    }
}

impl ExportArgs {
    /// The checkpoint and the file to write, however the checkpoint was named.
    pub fn paths(&self) -> anyhow::Result<(&Path, &Path)> {
        match (&self.checkpoint, self.paths.as_slice()) {
            (Some(checkpoint), [output]) => Ok((checkpoint, output)),
            (None, [checkpoint, output]) => Ok((checkpoint, output)),
            (Some(_), _) => anyhow::bail!(
                "export takes one OUTPUT after --checkpoint PATH: train export --checkpoint CK OUT.safetensors"
            ),
            (None, _) => anyhow::bail!(
                "export needs a checkpoint and an OUTPUT: train export --checkpoint CK OUT.safetensors"
            ),
        }
    }
}

fn parse_method(s: &str) -> Result<Method, String> {
    s.parse()
}

fn parse_share(s: &str) -> Result<f64, String> {
    parse_real(s, |v| v > 0.0 && v <= 1.0, "above 0 and at most 1")
}

fn parse_image_size(s: &str) -> Result<usize, String> {
    parse_in_range(s, MIN_IMAGE_SIZE..=MAX_IMAGE_SIZE)
}

/// The smallest input the networks' five stride-2 stages leave a feature map of.
const MIN_IMAGE_SIZE: usize = 32;
/// The largest input side accepted (a 4096² batch of 32 already takes 6 GB).
const MAX_IMAGE_SIZE: usize = 4096;

fn parse_class_count(s: &str) -> Result<usize, String> {
    parse_in_range(s, 2..=100_000)
}

/// Epochs, top-k, images per class: at least one.
fn parse_count(s: &str) -> Result<usize, String> {
    parse_in_range(s, 1..=100_000)
}

fn parse_batch_size(s: &str) -> Result<usize, String> {
    parse_in_range(s, 1..=4096)
}

/// Images the grid and the probes show.
fn parse_shown(s: &str) -> Result<usize, String> {
    parse_in_range(s, 0..=1000)
}

fn parse_nice(s: &str) -> Result<i32, String> {
    parse_in_range(s, 0..=19).map(|n| n as i32)
}

fn parse_sanity(s: &str) -> Result<usize, String> {
    parse_in_range(s, 1..=1000)
}

/// A share that may be nothing but not all: the validation split, weight decay, dropout.
fn parse_fraction(s: &str) -> Result<f64, String> {
    parse_real(s, |v| (0.0..1.0).contains(&v), "from 0 up to 1 (not 1)")
}

fn parse_label_noise(s: &str) -> Result<f64, String> {
    parse_real(s, |v| (0.0..=0.5).contains(&v), "from 0 to 0.5")
}

fn parse_lr(s: &str) -> Result<f64, String> {
    parse_real(s, |v| v > 0.0, "above 0")
}

fn parse_warmup(s: &str) -> Result<usize, String> {
    parse_in_range(s, 0..=100_000)
}

fn parse_width(s: &str) -> Result<f64, String> {
    parse_real(s, |v| (0.1..=4.0).contains(&v), "from 0.1 to 4")
}

fn parse_image_weight(s: &str) -> Result<f32, String> {
    parse_real(s, |v| (0.0..=1.0).contains(&v), "from 0 to 1").map(|v| v as f32)
}

/// A whole number in `range`.
fn parse_in_range(s: &str, range: std::ops::RangeInclusive<usize>) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "'{s}' is not a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

/// A finite number that is `valid`, or a message saying the allowed range (`what`).
fn parse_real(s: &str, valid: impl Fn(f64) -> bool, what: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && valid(v) => Ok(v),
        _ => Err(format!("'{s}' is not a number {what}")),
    }
}

fn parse_poll(s: &str) -> Result<f64, String> {
    parse_real(
        s,
        |v| (0.05..=3600.0).contains(&v),
        "of seconds from 0.05 to 3600",
    )
}

fn parse_mean(s: &str) -> Result<[f32; 3], String> {
    parse_triple(s, |v| (0.0..=1.0).contains(&v), "in [0, 1]")
}

fn parse_std(s: &str) -> Result<[f32; 3], String> {
    parse_triple(s, |v| v > 0.0 && v <= 1.0, "in (0, 1]")
}

/// Three comma-separated numbers, each one `valid`.
fn parse_triple(s: &str, valid: impl Fn(f32) -> bool, what: &str) -> Result<[f32; 3], String> {
    let values: Vec<f32> = s
        .split(',')
        .map(|v| v.trim().parse::<f32>())
        .collect::<Result<_, _>>()
        .map_err(|_| format!("'{s}' is not three numbers R,G,B"))?;
    match <[f32; 3]>::try_from(values) {
        Ok(rgb) if rgb.iter().all(|&v| valid(v)) => Ok(rgb),
        Ok(_) => Err(format!("'{s}': each of R,G,B must be {what}")),
        Err(_) => Err(format!("'{s}' is not three numbers R,G,B")),
    }
}

fn parse_resize(s: &str) -> Result<Resize, String> {
    match s {
        "crop" => Ok(Resize::Crop),
        "squash" => Ok(Resize::Squash),
        _ => Err(format!("'{s}' is not a resize mode; use crop or squash")),
    }
}
