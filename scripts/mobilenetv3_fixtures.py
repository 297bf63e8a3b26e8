"""Creates the reference fixtures for camwatch's MobileNetV3 family, called by the Makefile after
vgg_fixtures.py.

Writes into tests/fixtures/generated/mobilenetv3/ (git-ignored):
  * {variant}.pth for mobilenet_v3_small and mobilenet_v3_large, full size, 7 classes,
    numpy-drawn weights (vgg_fixtures.randomize: He-normal convolutions, the squeeze-excitations'
    too, random biases, random batch-norm affine parameters and statistics calibrated on random
    inputs and then perturbed), a head scaled so that the logits are O(1), as
    `torch.save(model.state_dict())`;
  * logits.safetensors: `inputs` [2, 3, 64, 64] (resnet_fixtures' inputs) and `{variant}`
    [2, 7], torchvision's eval-mode logits, and `{variant}/f64` the same in float64;
  * cam_mobilenet_v3_small.pth and .safetensors: pytorch-grad-cam's maps for every method of
    make_fixtures.CAM_METHODS on a full-width mobilenet_v3_small with another head: `inputs`
    [2, 3, 128, 128] (make_fixtures.structured_inputs) and `{method}/{layer}` [2, 128, 128] for
    layer `last` (`model.features[-1]`, the last convolution, pytorch-grad-cam's choice for
    MobileNets) and `stride16` (`model.features[8]`, the last block before the final stride-2
    block), each also from the float64 model (`/f64`); and `guided/backprop` [2, 128, 128, 3]
    through GuidedBackpropReLUModel (every nn.ReLU guided, the squeeze-excitations' too;
    Hardswish stays), and `guided/backprop/f64`.

Weights and inputs are drawn from fixed numpy seeds with 2 torch threads, so that re-running
writes the same files. Run with .venv/bin/python scripts/mobilenetv3_fixtures.py (after
make_fixtures.py, whose module it imports).
"""

import pathlib
import sys
import time

import torch

import make_fixtures
from vgg_fixtures import cam_references, fixture_inputs, fixture_model, logits_fixtures, redraw_head

VARIANTS = {"mobilenet_v3_small": 6011, "mobilenet_v3_large": 6015}
# The CAM head's seed: of the first 12 tried, the one whose Grad-CAM maps are nonzero on most of
# each image at both layers.
CAM_VARIANT, CAM_HEAD_SEED = "mobilenet_v3_small", 11
CAM_LAYERS = {"last": lambda model: [model.features[-1]], "stride16": lambda model: [model.features[8]]}


def main(out_dir=make_fixtures.OUT):
    torch.set_num_threads(2)
    folder = pathlib.Path(out_dir) / "mobilenetv3"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.time()
    inputs = fixture_inputs()
    builders = {variant: (lambda v=variant, s=seed: fixture_model(v, inputs, s)) for variant, seed in VARIANTS.items()}
    models = logits_fixtures(folder, builders, inputs, keep=[CAM_VARIANT])

    model = models[CAM_VARIANT]
    redraw_head(model, CAM_HEAD_SEED, inputs)
    torch.save(model.state_dict(), folder / f"cam_{CAM_VARIANT}.pth")
    cam_references(model, folder, CAM_VARIANT, CAM_LAYERS, exact=True)
    print(f"mobilenetv3 fixtures: cam_{CAM_VARIANT} ({time.time() - start:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
