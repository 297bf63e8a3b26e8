"""Creates the reference fixtures for camwatch's EfficientNet family, called by the Makefile after
mobilenetv3_fixtures.py.

Writes into tests/fixtures/generated/efficientnet/ (git-ignored):
  * {variant}.pth for each of the eleven variants (efficientnet_b0 ... b7, efficientnet_v2_s, _m, _l), full size, 7 classes, numpy-drawn weights (vgg_fixtures.randomize: He-normal convolutions, the
    squeeze-excitations' too, random biases, random batch-norm affine parameters and statistics
    calibrated on random inputs and then perturbed), a head scaled so that the logits are O(1),
    as `torch.save(model.state_dict())`;
  * narrow_efficientnet_b0.pth: torchvision's EfficientNet class on efficientnet_b0's stages at a
    quarter of the width (camwatch's `--width-mult 0.25`), drawn the same way;
  * shapes.json: `{variant: {key: shape}}` of torchvision's state_dict for each of the eleven
    variants (1000 classes, built on the meta device);
  * logits.safetensors: `inputs` [2, 3, 64, 64] (resnet_fixtures' inputs) and `{variant}`
    [2, 7], torchvision's eval-mode logits, and `{variant}/f64` the same in float64;
  * cam_narrow_efficientnet_b0.pth and .safetensors: pytorch-grad-cam's maps for every method of
    make_fixtures.CAM_METHODS on the narrow efficientnet_b0 with another head (full width, the
    float64 Score-CAM alone would take minutes): `inputs`
    [2, 3, 128, 128] (make_fixtures.structured_inputs) and `{method}/{layer}` [2, 128, 128] for
    layer `last` (`model.features[-1]`, the last convolution, pytorch-grad-cam's choice) and
    `stride16` (`model.features[5]`, the last stage before the final stride-2 one), each also
    from the float64 model (`/f64`); and `guided/backprop` [2, 128, 128, 3] through
    GuidedBackpropReLUModel (EfficientNet has no nn.ReLU: plain input gradients), and
    `guided/backprop/f64`;
  * timm_efficientnet_b0.pth: timm's efficientnet_b0 (3 classes, its own initialization), a
    layout camwatch names in its error.

Weights and inputs are drawn from fixed numpy seeds (timm's model from a torch seed) with 2 torch
threads, so that re-running writes the same files.
Run with .venv/bin/python scripts/efficientnet_fixtures.py (after make_fixtures.py, whose module
it imports).
"""

import pathlib

import timm
import torch
from torchvision.models import efficientnet

import make_fixtures
from resnet_fixtures import NUM_CLASSES
from vgg_fixtures import (
    cam_fixture,
    fixture_inputs,
    fixture_model,
    logits_fixtures,
    randomize,
    scale_head,
    shapes_json,
)

# Every variant at full size, with weights (seed 7000 + k for B{k}, 7020 + k for V2-S, -M, -L).
ALL_VARIANTS = [f"efficientnet_b{k}" for k in range(8)] + [f"efficientnet_v2_{s}" for s in "sml"]
VARIANTS = {variant: 7000 + k + (12 if k >= 8 else 0) for k, variant in enumerate(ALL_VARIANTS)}
# The CAM head's seed: of the first 12 tried, the one whose Grad-CAM maps are nonzero on most of
# each image at both layers.
CAM_VARIANT, CAM_HEAD_SEED = "narrow_efficientnet_b0", 0
CAM_LAYERS = {"last": lambda model: [model.features[-1]], "stride16": lambda model: [model.features[5]]}


def narrow_b0(inputs, seed, width=0.25):
    """efficientnet_b0 with every width scaled by `width` (torchvision's own configuration rule)."""
    stages, _ = efficientnet._efficientnet_conf("efficientnet_b0", width_mult=width, depth_mult=1.0)
    model = efficientnet.EfficientNet(stages, dropout=0.2, num_classes=NUM_CLASSES)
    model = randomize(model, seed)
    scale_head(model, inputs)
    return model


def main(out_dir=make_fixtures.OUT):
    torch.set_num_threads(2)
    folder = pathlib.Path(out_dir) / "efficientnet"
    folder.mkdir(parents=True, exist_ok=True)
    inputs = fixture_inputs()
    builders = {variant: (lambda v=variant, s=seed: fixture_model(v, inputs, s)) for variant, seed in VARIANTS.items()}
    builders["narrow_efficientnet_b0"] = lambda: narrow_b0(inputs, 7030)
    cam_model = logits_fixtures(folder, builders, inputs, keep=[CAM_VARIANT])[CAM_VARIANT]
    shapes_json(folder, ALL_VARIANTS)

    cam_fixture(cam_model, folder, CAM_VARIANT, CAM_HEAD_SEED, inputs, CAM_LAYERS)

    torch.manual_seed(7040)
    torch.save(timm.create_model("efficientnet_b0", num_classes=3).state_dict(), folder / "timm_efficientnet_b0.pth")


if __name__ == "__main__":
    main()
