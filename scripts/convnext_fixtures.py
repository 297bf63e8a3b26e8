"""Creates the reference fixtures for camwatch's ConvNeXt family, called by the Makefile after
efficientnet_fixtures.py.

Writes into tests/fixtures/generated/convnext/ (git-ignored):
  * {variant}.pth for convnext_tiny, _small, _base and _large, full size, 7 classes, numpy-drawn
    weights (vgg_fixtures.randomize: He-normal convolutions and linear layers, random biases,
    layer norms' weights U(0.5, 1.5) and biases U(-0.2, 0.2), layer scales U(0.1, 0.5)), a head
    scaled so that the logits are O(1), as `torch.save(model.state_dict())`;
  * narrow_convnext_tiny.pth: torchvision's ConvNeXt class on convnext_tiny's stages at a quarter
    of the width (camwatch's `--width-mult 0.25`), drawn the same way;
  * odd_width_convnext_tiny.pth: torchvision's ConvNeXt class on convnext_tiny's depths at 1/12
    of its widths (8, 16, 32, 64: no usual width multiplier), its own initialization (torch
    seed 8020), 3 classes;
  * shapes.json: `{variant: {key: shape}}` of torchvision's state_dict for each variant (1000
    classes, built on the meta device);
  * logits.safetensors: `inputs` [2, 3, 64, 64] (vgg_fixtures.fixture_inputs) and `{variant}`
    [2, 7], torchvision's eval-mode logits, and `{variant}/f64` the same in float64;
  * cam_narrow_convnext_tiny.pth and .safetensors: pytorch-grad-cam's maps for every method of
    make_fixtures.CAM_METHODS on the narrow convnext_tiny with another head: `inputs`
    [2, 3, 128, 128] (make_fixtures.structured_inputs) and `{method}/{layer}` [2, 128, 128] for
    layer `last` (`model.features[-1]`, the last stage) and `stride16` (`model.features[5]`, the
    third stage), each also from the float64 model (`/f64`); and `guided/backprop`
    [2, 128, 128, 3] through GuidedBackpropReLUModel (ConvNeXt has no nn.ReLU: plain input
    gradients), and `guided/backprop/f64`.

Weights and inputs are drawn from fixed numpy seeds with 2 torch threads, so that re-running
writes the same files. Run with .venv/bin/python scripts/convnext_fixtures.py (after
make_fixtures.py, whose module it imports).
"""

import pathlib

import torch
from torchvision.models import convnext

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

VARIANTS = {"convnext_tiny": 8000, "convnext_small": 8001, "convnext_base": 8002, "convnext_large": 8003}
CAM_VARIANT, CAM_HEAD_SEED = "narrow_convnext_tiny", 0
CAM_LAYERS = {"last": lambda model: [model.features[-1]], "stride16": lambda model: [model.features[5]]}


def narrow_tiny(inputs, seed, width=0.25):
    """convnext_tiny with every stage width scaled by `width`."""
    widths = [round(c * width) for c in (96, 192, 384, 768)]
    stages = [
        convnext.CNBlockConfig(widths[i], widths[i + 1] if i < 3 else None, depth)
        for i, depth in enumerate([3, 3, 9, 3])
    ]
    model = convnext.ConvNeXt(stages, stochastic_depth_prob=0.1, num_classes=NUM_CLASSES)
    model = randomize(model, seed)
    scale_head(model, inputs)
    return model


def main(out_dir=make_fixtures.OUT):
    torch.set_num_threads(2)
    folder = pathlib.Path(out_dir) / "convnext"
    folder.mkdir(parents=True, exist_ok=True)
    inputs = fixture_inputs()
    builders = {variant: (lambda v=variant, s=seed: fixture_model(v, inputs, s)) for variant, seed in VARIANTS.items()}
    builders[CAM_VARIANT] = lambda: narrow_tiny(inputs, 8010)
    cam_model = logits_fixtures(folder, builders, inputs, keep=[CAM_VARIANT])[CAM_VARIANT]
    shapes_json(folder, VARIANTS)

    torch.manual_seed(8020)
    odd = convnext.ConvNeXt(
        [convnext.CNBlockConfig(w, 2 * w if w < 64 else None, d) for w, d in zip([8, 16, 32, 64], [3, 3, 9, 3])],
        stochastic_depth_prob=0.1, num_classes=3)
    torch.save(odd.state_dict(), folder / "odd_width_convnext_tiny.pth")

    cam_fixture(cam_model, folder, CAM_VARIANT, CAM_HEAD_SEED, inputs, CAM_LAYERS)


if __name__ == "__main__":
    main()
