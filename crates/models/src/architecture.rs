//! The architectures camwatch builds, by name, and the trainable model that holds any of them.
//!
//! Commands, training and checkpoints hold a [`Model`] and ask it through [`Classifier`]; only
//! this file and the families' folders name the architectures.

use burn::module::{Module, ParamId};
use burn::nn::DropoutConfig;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::convnext::{self, ConvNeXt, ConvNeXtConfig};
use crate::densenet::{self, DenseNet, DenseNetConfig};
use crate::efficientnet::{self, EfficientNet, EfficientNetConfig};
use crate::mobilenetv2::{MobileNetV2, MobileNetV2Config};
use crate::mobilenetv3::{self, MobileNetV3, MobileNetV3Config};
use crate::network::{Classifier, Network};
use crate::resnet::{self, ResNet, ResNetConfig};
use crate::vgg::{self, Vgg, VggConfig};

/// The architecture of the default run.
pub const DEFAULT_ARCH: &str = "mobilenet_v2";

/// An architecture with its hyper-parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Architecture {
    /// torchvision's `mobilenet_v2`.
    MobileNetV2(MobileNetV2Config),
    /// torchvision's `mobilenet_v3_small` and `mobilenet_v3_large`.
    MobileNetV3(MobileNetV3Config),
    /// torchvision's ResNet family (ResNet, ResNeXt, Wide ResNet).
    ResNet(ResNetConfig),
    /// torchvision's VGG family (`vgg11` ... `vgg19_bn`).
    Vgg(VggConfig),
    /// torchvision's EfficientNets (`efficientnet_b0` ... `efficientnet_b7`,
    /// `efficientnet_v2_s` ... `efficientnet_v2_l`).
    EfficientNet(EfficientNetConfig),
    /// torchvision's ConvNeXts (`convnext_tiny` ... `convnext_large`).
    ConvNeXt(ConvNeXtConfig),
    /// torchvision's DenseNets (`densenet121`, `161`, `169`, `201`).
    DenseNet(DenseNetConfig),
}

impl Architecture {
    /// Every name [`Self::parse`] takes, torchvision's.
    pub fn names() -> Vec<&'static str> {
        std::iter::once(DEFAULT_ARCH)
            .chain(mobilenetv3::VARIANTS.iter().map(|v| v.0))
            .chain(resnet::VARIANTS.iter().map(|v| v.0))
            .chain(vgg::VARIANTS.iter().map(|v| v.0))
            .chain(efficientnet::VARIANTS.iter().map(|v| v.0))
            .chain(convnext::VARIANTS.iter().map(|v| v.0))
            .chain(densenet::VARIANTS.iter().map(|v| v.0))
            .collect()
    }

    /// The architectures camwatch runs, for messages: `mobilenet_v2, mobilenet_v3_small,
    /// mobilenet_v3_large, the ResNet family (resnet18 ... wide_resnet101_2), the VGG family
    /// (vgg11 ... vgg19_bn), the EfficientNets (efficientnet_b0 ... efficientnet_v2_l), the
    /// ConvNeXts (convnext_tiny ... convnext_large) and the DenseNets (densenet121 ...
    /// densenet201)`.
    pub fn supported() -> String {
        let span = |names: Vec<&str>| format!("{} ... {}", names[0], names[names.len() - 1]);
        let mobilenets: Vec<&str> = mobilenetv3::VARIANTS.iter().map(|v| v.0).collect();
        format!(
            "{DEFAULT_ARCH}, {}, the ResNet family ({}), the VGG family ({}), the EfficientNets ({}), the ConvNeXts ({}) and the DenseNets ({})",
            mobilenets.join(", "),
            span(resnet::VARIANTS.iter().map(|v| v.0).collect()),
            span(vgg::VARIANTS.iter().map(|v| v.0).collect()),
            span(efficientnet::VARIANTS.iter().map(|v| v.0).collect()),
            span(convnext::VARIANTS.iter().map(|v| v.0).collect()),
            span(densenet::VARIANTS.iter().map(|v| v.0).collect())
        )
    }

    /// The architecture torchvision calls `name`, for `num_classes` classes; `width_mult` scales
    /// every layer's width (MobileNetV2's `width_mult`; a ResNet's base width is 64 × it).
    pub fn parse(name: &str, num_classes: usize, width_mult: f64) -> Result<Self, String> {
        let wanted = name.to_ascii_lowercase().replace('-', "_");
        if wanted == DEFAULT_ARCH || wanted == "mobilenetv2" {
            let config = MobileNetV2Config::new(num_classes).with_width_mult(width_mult);
            return Ok(Self::MobileNetV2(config));
        }
        if let Some(config) = MobileNetV3Config::named(&wanted, num_classes) {
            return Ok(Self::MobileNetV3(config.with_width_mult(width_mult)));
        }
        if let Some(config) = VggConfig::named(&wanted, num_classes) {
            return Ok(Self::Vgg(config.with_width_mult(width_mult)));
        }
        if let Some(config) = EfficientNetConfig::named(&wanted, num_classes) {
            return Ok(Self::EfficientNet(config.with_width_mult(width_mult)));
        }
        if let Some(config) = ConvNeXtConfig::named(&wanted, num_classes) {
            return Ok(Self::ConvNeXt(config.with_width_mult(width_mult)));
        }
        if let Some(config) = DenseNetConfig::named(&wanted, num_classes) {
            return Ok(Self::DenseNet(config.with_width_mult(width_mult)));
        }
        match ResNetConfig::named(&wanted, num_classes) {
            Some(config) => {
                let base_width = (64.0 * width_mult).round() as usize;
                if base_width == 0 || !base_width.is_multiple_of(config.groups) {
                    return Err(format!(
                        "--width-mult {width_mult} gives {name} a base width of {base_width}; it must be a positive multiple of its {} groups",
                        config.groups
                    ));
                }
                Ok(Self::ResNet(config.with_base_width(base_width)))
            }
            None => Err(format!(
                "unknown architecture '{name}'; choose one of {}",
                Self::names().join(", ")
            )),
        }
    }

    /// torchvision's name of the variant (`mobilenet_v2`, `resnet50`), without the width.
    pub fn variant(&self) -> &'static str {
        match self {
            Self::MobileNetV2(_) => DEFAULT_ARCH,
            Self::MobileNetV3(config) => config.variant.name(),
            Self::ResNet(config) => config.variant().unwrap_or("resnet"),
            Self::Vgg(config) => config.variant().unwrap_or("vgg"),
            Self::EfficientNet(config) => config.variant.name(),
            Self::ConvNeXt(config) => config.variant().map_or("convnext", |v| v.0),
            Self::DenseNet(config) => config.variant().map_or("densenet", |v| v.0),
        }
    }

    /// The family's name, as a reader knows it.
    pub fn family(&self) -> &'static str {
        match self {
            Self::MobileNetV2(_) => "MobileNetV2",
            Self::MobileNetV3(_) => "MobileNetV3",
            Self::ResNet(ResNetConfig {
                groups: 1,
                width_per_group: 64,
                ..
            }) => "ResNet",
            Self::ResNet(ResNetConfig { groups: 1, .. }) => "Wide ResNet",
            Self::ResNet(_) => "ResNeXt",
            Self::Vgg(_) => "VGG",
            Self::EfficientNet(config) if config.variant.is_v2() => "EfficientNetV2",
            Self::EfficientNet(_) => "EfficientNet",
            Self::ConvNeXt(_) => "ConvNeXt",
            Self::DenseNet(_) => "DenseNet",
        }
    }

    /// One line for people: `MobileNetV2 (mobilenet_v2), width 0.35` or `ResNet (resnet50)`.
    pub fn describe(&self) -> String {
        match self {
            Self::MobileNetV2(config) => {
                format!("MobileNetV2 (mobilenet_v2), width {}", config.width_mult)
            }
            Self::MobileNetV3(config) => {
                format!(
                    "MobileNetV3 ({}), width {}",
                    self.variant(),
                    config.width_mult
                )
            }
            Self::DenseNet(config) if config.variant().is_none() => format!(
                "DenseNet of growth rate {}, blocks {:?}, stem {}, bottleneck {}",
                config.growth_rate, config.blocks, config.init_features, config.bn_size
            ),
            Self::EfficientNet(_) | Self::ConvNeXt(_) | Self::Vgg(_) | Self::DenseNet(_)
                if self.width_mult() == 1.0 =>
            {
                format!("{} ({})", self.family(), self.variant())
            }
            Self::EfficientNet(_) | Self::ConvNeXt(_) | Self::Vgg(_) | Self::DenseNet(_) => {
                format!(
                    "{} ({}), width {} (torchvision's: 1)",
                    self.family(),
                    self.variant(),
                    self.width_mult()
                )
            }
            Self::ResNet(config) if config.base_width == 64 => {
                format!("{} ({})", self.family(), self.variant())
            }
            Self::ResNet(config) => format!(
                "{} ({}), base width {} (torchvision's: 64)",
                self.family(),
                self.variant(),
                config.base_width
            ),
        }
    }

    /// The width multiplier: the MobileNets', VGG's and EfficientNet's `width_mult`, a ResNet's
    /// base width over 64, a ConvNeXt's widths and a DenseNet's growth rate over its variant's.
    pub fn width_mult(&self) -> f64 {
        match self {
            Self::MobileNetV2(config) => config.width_mult,
            Self::MobileNetV3(config) => config.width_mult,
            Self::ResNet(config) => config.base_width as f64 / 64.0,
            Self::Vgg(config) => config.width_mult,
            Self::EfficientNet(config) => config.width_mult,
            Self::ConvNeXt(config) => config
                .variant()
                .map_or(config.widths[0] as f64 / 96.0, |v| v.1),
            Self::DenseNet(config) => config
                .variant()
                .map_or(config.growth_rate as f64 / 32.0, |v| v.1),
        }
    }

    /// Number of classes.
    pub fn num_classes(&self) -> usize {
        match self {
            Self::MobileNetV2(config) => config.num_classes,
            Self::MobileNetV3(config) => config.num_classes,
            Self::ResNet(config) => config.num_classes,
            Self::Vgg(config) => config.num_classes,
            Self::EfficientNet(config) => config.num_classes,
            Self::ConvNeXt(config) => config.num_classes,
            Self::DenseNet(config) => config.num_classes,
        }
    }

    /// The same architecture for `num_classes` classes.
    pub fn with_num_classes(&self, num_classes: usize) -> Self {
        match self.clone() {
            Self::MobileNetV2(config) => Self::MobileNetV2(MobileNetV2Config {
                num_classes,
                ..config
            }),
            Self::MobileNetV3(config) => Self::MobileNetV3(MobileNetV3Config {
                num_classes,
                ..config
            }),
            Self::ResNet(config) => Self::ResNet(ResNetConfig {
                num_classes,
                ..config
            }),
            Self::Vgg(config) => Self::Vgg(VggConfig {
                num_classes,
                ..config
            }),
            Self::EfficientNet(config) => Self::EfficientNet(EfficientNetConfig {
                num_classes,
                ..config
            }),
            Self::ConvNeXt(config) => Self::ConvNeXt(ConvNeXtConfig {
                num_classes,
                ..config
            }),
            Self::DenseNet(config) => Self::DenseNet(DenseNetConfig {
                num_classes,
                ..config
            }),
        }
    }

    /// The prefix of the head's keys in a torchvision `state_dict` (`classifier.`, `fc.`).
    pub fn head_prefix(&self) -> &'static str {
        match self {
            Self::MobileNetV2(_)
            | Self::MobileNetV3(_)
            | Self::Vgg(_)
            | Self::EfficientNet(_)
            | Self::ConvNeXt(_)
            | Self::DenseNet(_) => "classifier.",
            Self::ResNet(_) => "fc.",
        }
    }

    /// Renames between torchvision's `state_dict` keys and the network's module paths, as
    /// (regex, replacement) pairs applied in order (`to_torchvision`: for export); empty where
    /// they are the same (every family but DenseNet).
    pub fn key_renames(&self, to_torchvision: bool) -> Vec<(String, String)> {
        match self {
            Self::DenseNet(_) => densenet::key_renames(to_torchvision),
            _ => Vec::new(),
        }
    }

    /// A regex matching the backbone's keys (everything but the head), for backbone-only loading.
    pub fn backbone_pattern(&self) -> &'static str {
        match self {
            Self::MobileNetV2(_)
            | Self::MobileNetV3(_)
            | Self::Vgg(_)
            | Self::EfficientNet(_)
            | Self::ConvNeXt(_)
            | Self::DenseNet(_) => r"^features\.",
            Self::ResNet(_) => r"^(conv1|bn1|layer[1-4])\.",
        }
    }

    /// The Python that builds this network in PyTorch, or why none does.
    pub fn torchvision_constructor(&self) -> Result<String, String> {
        match self {
            Self::MobileNetV2(config) => Ok(format!(
                "torchvision.models.mobilenet_v2(num_classes={}, width_mult={})",
                config.num_classes, config.width_mult
            )),
            Self::MobileNetV3(config) => Ok(format!(
                "torchvision.models.{}(num_classes={}, width_mult={})",
                self.variant(),
                config.num_classes,
                config.width_mult
            )),
            Self::ResNet(config) if config.base_width == 64 && config.variant().is_some() => {
                Ok(format!(
                    "torchvision.models.{}(num_classes={})",
                    self.variant(),
                    config.num_classes
                ))
            }
            Self::ResNet(config) => Err(format!(
                "torchvision has no constructor for a {} of base width {}",
                self.variant(),
                config.base_width
            )),
            Self::Vgg(_) | Self::EfficientNet(_) | Self::ConvNeXt(_) | Self::DenseNet(_)
                if self.width_mult() == 1.0 && self.variant() != "densenet" =>
            {
                Ok(format!(
                    "torchvision.models.{}(num_classes={})",
                    self.variant(),
                    self.num_classes()
                ))
            }
            Self::Vgg(_) | Self::EfficientNet(_) | Self::ConvNeXt(_) | Self::DenseNet(_) => {
                Err(format!(
                    "torchvision has no constructor for a {} of width {}",
                    self.variant(),
                    self.width_mult()
                ))
            }
        }
    }

    /// A newly initialized network with torchvision's initialization.
    pub fn init(&self, device: &Device) -> Model {
        match self {
            Self::MobileNetV2(config) => Model::MobileNetV2(config.init(device)),
            Self::MobileNetV3(config) => Model::MobileNetV3(config.init(device)),
            Self::ResNet(config) => Model::ResNet(config.init(device)),
            Self::Vgg(config) => Model::Vgg(config.init(device)),
            Self::EfficientNet(config) => Model::EfficientNet(config.init(device)),
            Self::ConvNeXt(config) => Model::ConvNeXt(config.init(device)),
            Self::DenseNet(config) => Model::DenseNet(config.init(device)),
        }
    }
}

/// A trainable network of any architecture camwatch builds.
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Model {
    /// torchvision's `mobilenet_v2`.
    MobileNetV2(MobileNetV2),
    /// torchvision's MobileNetV3s.
    MobileNetV3(MobileNetV3),
    /// torchvision's ResNet family.
    ResNet(ResNet),
    /// torchvision's VGG family.
    Vgg(Vgg),
    /// torchvision's EfficientNets.
    EfficientNet(EfficientNet),
    /// torchvision's ConvNeXts.
    ConvNeXt(ConvNeXt),
    /// torchvision's DenseNets.
    DenseNet(DenseNet),
}

/// Runs `$body` with `$m` bound to the network inside `$model`.
macro_rules! dispatch {
    ($model:expr, $m:ident => $body:expr) => {
        match $model {
            Model::MobileNetV2($m) => $body,
            Model::MobileNetV3($m) => $body,
            Model::ResNet($m) => $body,
            Model::Vgg($m) => $body,
            Model::EfficientNet($m) => $body,
            Model::ConvNeXt($m) => $body,
            Model::DenseNet($m) => $body,
        }
    };
}
pub(crate) use dispatch;

impl Model {
    /// This model as training runs it: `dropout` before the classifier where the architecture
    /// has one (the MobileNets, VGG and EfficientNet; torchvision's ResNets, ConvNeXts and
    /// DenseNets have none), and with `freeze_backbone` no gradients for anything but the head.
    pub fn for_training(self, dropout: f64, freeze_backbone: bool) -> Self {
        match self {
            Self::MobileNetV2(m) => Self::MobileNetV2(MobileNetV2 {
                features: match freeze_backbone {
                    true => m.features.freeze(),
                    false => m.features,
                },
                classifier: (DropoutConfig::new(dropout).init(), m.classifier.1),
            }),
            Self::MobileNetV3(m) => {
                let (hidden, activation, _, out) = m.classifier;
                Self::MobileNetV3(MobileNetV3 {
                    features: match freeze_backbone {
                        true => m.features.freeze(),
                        false => m.features,
                    },
                    classifier: (hidden, activation, DropoutConfig::new(dropout).init(), out),
                })
            }
            Self::ResNet(m) => {
                let fc = m.fc.clone();
                let m = if freeze_backbone { m.freeze() } else { m };
                Self::ResNet(ResNet { fc, ..m })
            }
            Self::Vgg(m) => {
                let (fc1, relu1, _, fc2, relu2, _, fc3) = m.classifier;
                let drop = || DropoutConfig::new(dropout).init();
                Self::Vgg(Vgg {
                    features: match freeze_backbone {
                        true => m.features.freeze(),
                        false => m.features,
                    },
                    classifier: (fc1, relu1, drop(), fc2, relu2, drop(), fc3),
                    ..m
                })
            }
            Self::EfficientNet(m) => Self::EfficientNet(EfficientNet {
                features: match freeze_backbone {
                    true => m.features.freeze(),
                    false => m.features,
                },
                classifier: (DropoutConfig::new(dropout).init(), m.classifier.1),
            }),
            Self::ConvNeXt(m) => Self::ConvNeXt(ConvNeXt {
                features: match freeze_backbone {
                    true => m.features.freeze(),
                    false => m.features,
                },
                ..m
            }),
            Self::DenseNet(m) => Self::DenseNet(DenseNet {
                features: match freeze_backbone {
                    true => m.features.freeze(),
                    false => m.features,
                },
                ..m
            }),
        }
    }

    /// The architecture and hyper-parameters, read off the network's shapes.
    pub fn architecture(&self) -> Architecture {
        match self {
            Self::MobileNetV2(m) => Architecture::MobileNetV2(m.config()),
            Self::MobileNetV3(m) => Architecture::MobileNetV3(m.config()),
            Self::ResNet(m) => Architecture::ResNet(m.config()),
            Self::Vgg(m) => Architecture::Vgg(m.config()),
            Self::EfficientNet(m) => Architecture::EfficientNet(m.config()),
            Self::ConvNeXt(m) => Architecture::ConvNeXt(m.config()),
            Self::DenseNet(m) => Architecture::DenseNet(m.config()),
        }
    }
}

impl Classifier for Model {
    fn fold(&self) -> Box<dyn Network> {
        dispatch!(self, m => Classifier::fold(m))
    }

    fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        dispatch!(self, m => Classifier::forward(m, images))
    }

    fn pooled_features(&self, images: Tensor<4>) -> Tensor<2> {
        dispatch!(self, m => Classifier::pooled_features(m, images))
    }

    fn classify(&self, pooled: Tensor<2>) -> Tensor<2> {
        dispatch!(self, m => Classifier::classify(m, pooled))
    }

    fn num_classes(&self) -> usize {
        dispatch!(self, m => Classifier::num_classes(m))
    }

    fn backbone_ids(&self) -> Vec<ParamId> {
        dispatch!(self, m => m.backbone_ids())
    }

    fn trainable_params(&self) -> usize {
        dispatch!(self, m => Classifier::trainable_params(m))
    }

    fn cascade_steps(&self) -> Vec<String> {
        dispatch!(self, m => m.cascade_steps())
    }

    fn with_fresh_top(&self, fresh: &Self, parts: usize) -> Self {
        match (self, fresh) {
            (Self::MobileNetV2(m), Self::MobileNetV2(f)) => {
                Self::MobileNetV2(m.with_fresh_top(f, parts))
            }
            (Self::MobileNetV3(m), Self::MobileNetV3(f)) => {
                Self::MobileNetV3(m.with_fresh_top(f, parts))
            }
            (Self::ResNet(m), Self::ResNet(f)) => Self::ResNet(m.with_fresh_top(f, parts)),
            (Self::Vgg(m), Self::Vgg(f)) => Self::Vgg(m.with_fresh_top(f, parts)),
            (Self::EfficientNet(m), Self::EfficientNet(f)) => {
                Self::EfficientNet(m.with_fresh_top(f, parts))
            }
            (Self::ConvNeXt(m), Self::ConvNeXt(f)) => Self::ConvNeXt(m.with_fresh_top(f, parts)),
            (Self::DenseNet(m), Self::DenseNet(f)) => Self::DenseNet(m.with_fresh_top(f, parts)),
            _ => panic!("a fresh model of another architecture"),
        }
    }

    fn fresh(&self, device: &Device) -> Self {
        self.architecture().init(device)
    }
}
