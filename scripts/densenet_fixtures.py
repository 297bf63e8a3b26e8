"""Creates the reference fixtures for camwatch's DenseNet family, called by the Makefile after
convnext_fixtures.py.

Writes into tests/fixtures/generated/densenet/ (git-ignored):
  * {variant}.pth for densenet121, 161, 169 and 201, full size, 7 classes, numpy-drawn weights
    (vgg_fixtures.randomize: He-normal convolutions, random batch-norm affine parameters and
    statistics calibrated on random inputs and then perturbed), a head scaled so that the
    logits are O(1), as `torch.save(model.state_dict())`;
  * narrow_densenet121.pth: torchvision's DenseNet class on densenet121's blocks at a quarter of
    the width (growth rate 8, stem 16: camwatch's `--width-mult 0.25`), drawn the same way;
  * odd_densenet121.pth: densenet121's blocks with growth rate 4, a stem of 8 and a bottleneck
    of 2 (no torchvision constructor builds it), drawn the same way;
  * shapes.json: `{variant: {key: shape}}` of torchvision's state_dict for each variant (1000
    classes, built on the meta device);
  * logits.safetensors: `inputs` [2, 3, 64, 64] (vgg_fixtures.fixture_inputs) and `{name}`
    [2, 7] for each model above, torchvision's eval-mode logits, and `{name}/f64` the same in
    float64;
  * cam_narrow_densenet121.pth and .safetensors: pytorch-grad-cam's maps for every method of
    make_fixtures.CAM_METHODS on the narrow densenet121 with another head: `inputs`
    [2, 3, 128, 128] (make_fixtures.structured_inputs) and `{method}/{layer}` [2, 128, 128] for
    layer `last` (`model.features[-1]`, the final batch norm, pytorch-grad-cam's choice) and
    `stride16` (`model.features.denseblock3`), each also from the float64 model (`/f64`); and
    `guided/backprop` [2, 128, 128, 3] through GuidedBackpropReLUModel (every nn.ReLU guided;
    the head's functional F.relu is not), and `guided/backprop/f64`.

Weights and inputs are drawn from fixed numpy seeds with 2 torch threads, so that re-running
writes the same files. Run with .venv/bin/python scripts/densenet_fixtures.py (after
make_fixtures.py, whose module it imports).
"""

import pathlib

import torch
from torchvision.models import densenet

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

VARIANTS = {"densenet121": 9000, "densenet161": 9001, "densenet169": 9002, "densenet201": 9003}
CAM_VARIANT, CAM_HEAD_SEED = "narrow_densenet121", 0
CAM_LAYERS = {"last": lambda model: [model.features[-1]], "stride16": lambda model: [model.features.denseblock3]}


def densenet121_blocks(inputs, seed, growth_rate, init_features, bn_size):
    """torchvision's DenseNet class on densenet121's blocks, drawn by randomize."""
    model = densenet.DenseNet(growth_rate, (6, 12, 24, 16), init_features, bn_size=bn_size, num_classes=NUM_CLASSES)
    model = randomize(model, seed)
    scale_head(model, inputs)
    return model


def main(out_dir=make_fixtures.OUT):
    torch.set_num_threads(2)
    folder = pathlib.Path(out_dir) / "densenet"
    folder.mkdir(parents=True, exist_ok=True)
    inputs = fixture_inputs()
    builders = {variant: (lambda v=variant, s=seed: fixture_model(v, inputs, s)) for variant, seed in VARIANTS.items()}
    builders[CAM_VARIANT] = lambda: densenet121_blocks(inputs, 9010, 8, 16, 4)
    builders["odd_densenet121"] = lambda: densenet121_blocks(inputs, 9020, 4, 8, 2)
    cam_model = logits_fixtures(folder, builders, inputs, keep=[CAM_VARIANT])[CAM_VARIANT]
    shapes_json(folder, VARIANTS)

    cam_fixture(cam_model, folder, CAM_VARIANT, CAM_HEAD_SEED, inputs, CAM_LAYERS)


if __name__ == "__main__":
    main()
