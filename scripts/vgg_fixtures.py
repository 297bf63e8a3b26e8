"""Creates the reference fixtures for camwatch's VGG family, called by the Makefile after
resnet_fixtures.py.

Writes into tests/fixtures/generated/vgg/ (git-ignored):
  * {variant}.pth for each of torchvision's eight VGGs (vgg11 ... vgg19_bn), full size (the
    classifier's 25088 x 4096 layer makes each 0.5 GB), 7 classes, numpy-drawn weights (He-normal
    convolutions and hidden linear layers, random biases, random batch-norm affine parameters
    and statistics calibrated on random inputs and then perturbed), a head scaled so that the
    logits are O(1), as `torch.save(model.state_dict())`;
  * logits.safetensors: `inputs` [2, 3, 64, 64] (resnet_fixtures' inputs) and `{variant}`
    [2, 7], torchvision's eval-mode logits, and `{variant}/f64` the same in float64;
  * cam_vgg11_bn.pth and cam_vgg11_bn.safetensors: pytorch-grad-cam's maps for every method of
    make_fixtures.CAM_METHODS on a vgg11_bn at an eighth of the width (torchvision's VGG class on
    make_layers of vgg11's configuration with every width / 8 and a 512-wide classifier:
    camwatch's `--width-mult 0.125`; same keys, 2 MB instead of 0.5 GB): `inputs` [2, 3, 128, 128]
    (make_fixtures.structured_inputs) and `{method}/{layer}` [2, 128, 128] for layer `last`
    (`model.features[-1]`, the last max pooling, pytorch-grad-cam's README choice) and `pool4`
    (`model.features[21]`, the fourth max pooling, at stride 16); and
    `guided/backprop` [2, 128, 128, 3] through
    GuidedBackpropReLUModel (every nn.ReLU guided, the classifier's too).

Weights and inputs are drawn from fixed numpy seeds with 2 torch threads, so that re-running
writes the same files. Run with .venv/bin/python scripts/vgg_fixtures.py (after
make_fixtures.py, whose module it imports).
"""

import copy
import json
import pathlib
import sys
import time

import numpy as np
import torch
import torchvision
from pytorch_grad_cam.guided_backprop import GuidedBackpropReLUModel
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from safetensors.torch import save_file

import make_fixtures
from make_fixtures import CAM_CLASSES, CAM_METHODS, structured_inputs
from resnet_fixtures import INPUTS_SEED, NUM_CLASSES, normal, uniform

VARIANTS = {
    "vgg11": 5011,
    "vgg11_bn": 5111,
    "vgg13": 5013,
    "vgg13_bn": 5113,
    "vgg16": 5016,
    "vgg16_bn": 5116,
    "vgg19": 5019,
    "vgg19_bn": 5119,
}
# The CAM head's seed: of the first 12 tried, the one whose Grad-CAM and XGrad-CAM maps are nonzero
# on most of each image at both layers (with most heads some map is all zero).
CAM_VARIANT, CAM_HEAD_SEED = "vgg11_bn", 4
CAM_LAYERS = {"last": lambda model: [model.features[-1]], "pool4": lambda model: [model.features[21]]}
CALIBRATION_BATCHES, CALIBRATION_SIZE = 4, 16


def randomize(model, seed):
    """Draws every parameter of a torchvision model with a `features` trunk and a `classifier`
    with numpy from `seed`, in `model.modules()` order: convolutions and linear layers He-normal
    (std sqrt(2/fan_in), the last linear layer N(0, 1), left to scale_head), their biases (where
    they have one) U(-0.1, 0.1), batch-norm and layer-norm weights U(0.5, 1.5) and biases
    U(-0.2, 0.2), ConvNeXt's layer scales U(0.1, 0.5). Then calibrates the batch-norm statistics on random 64x64 inputs (their
    average over the batches) and perturbs them (mean + U(-0.05, 0.05), variance
    * U(0.8, 1.25)). Returns the model in eval mode."""
    rng = np.random.default_rng(seed)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    batch_norms = []
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, (torch.nn.Conv2d, torch.nn.Linear)):
                fan_in = module.weight[0].numel()
                std = 1.0 if module is linears[-1] else np.sqrt(2.0 / fan_in)
                drawn = rng.standard_normal(size=tuple(module.weight.shape), dtype=np.float32)
                module.weight.copy_(torch.from_numpy(drawn) * std)
                if module.bias is not None:
                    module.bias.copy_(uniform(rng, module.bias, -0.1, 0.1))
            elif isinstance(module, torch.nn.LayerNorm):
                module.weight.copy_(uniform(rng, module.weight, 0.5, 1.5))
                module.bias.copy_(uniform(rng, module.bias, -0.2, 0.2))
            elif isinstance(module, torchvision.models.convnext.CNBlock):
                module.layer_scale.copy_(uniform(rng, module.layer_scale, 0.1, 0.5))
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(uniform(rng, module.weight, 0.5, 1.5))
                module.bias.copy_(uniform(rng, module.bias, -0.2, 0.2))
                module.reset_running_stats()
                batch_norms.append((module, module.momentum))
                module.momentum = None
        if batch_norms:
            # Batch statistics of the eval-mode computation: stochastic depth (EfficientNet)
            # stays off.
            model.features.train()
            for module in model.features.modules():
                if isinstance(module, torchvision.ops.StochasticDepth):
                    module.eval()
            for _ in range(CALIBRATION_BATCHES):
                model.features(torch.from_numpy(rng.standard_normal((CALIBRATION_SIZE, 3, 64, 64), dtype=np.float32)))
            for module, momentum in batch_norms:
                module.running_mean.add_(uniform(rng, module.running_mean, -0.05, 0.05))
                module.running_var.mul_(uniform(rng, module.running_var, 0.8, 1.25))
                module.momentum = momentum
    return model.eval()


def last_linear(model):
    """The model's head: its last linear layer (`classifier[-1]`, DenseNet's `classifier`)."""
    return [m for m in model.modules() if isinstance(m, torch.nn.Linear)][-1]


def scale_head(model, inputs):
    """Scales the last linear layer so that the eval-mode logits of `inputs` without its bias
    have a standard deviation of 1."""
    head = last_linear(model)
    seen = []
    hook = head.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    with torch.no_grad():
        model(inputs)
        hook.remove()
        head.weight.div_((seen[0] @ head.weight.T).std())


def redraw_head(model, seed, inputs):
    """Draws the last linear layer anew from `seed` (weights N(0, 1), biases U(-0.1, 0.1)) and
    scales it with scale_head: another head on the same trunk, for the CAM fixtures."""
    rng = np.random.default_rng(seed)
    with torch.no_grad():
        head = last_linear(model)
        head.weight.copy_(normal(rng, head.weight, 1.0))
        head.bias.copy_(uniform(rng, head.bias, -0.1, 0.1))
    scale_head(model, inputs)


def fixture_model(variant, inputs, seed):
    """torchvision's `variant` with 7 classes, its parameters drawn by randomize (built on the
    meta device and then allocated: torchvision's own initialization of 130M parameters would
    take longer than the drawing)."""
    with torch.device("meta"):
        model = getattr(torchvision.models, variant)(num_classes=NUM_CLASSES)
    model = randomize(model.to_empty(device="cpu"), seed)
    scale_head(model, inputs)
    return model


def narrow_vgg11_bn(inputs, seed, divisor=8):
    """vgg11_bn with every width divided by `divisor`, the classifier's hidden layers too."""
    from torchvision.models import vgg

    cfg = [c if c == "M" else c // divisor for c in vgg.cfgs["A"]]
    model = vgg.VGG(vgg.make_layers(cfg, batch_norm=True), num_classes=NUM_CLASSES)
    hidden = 4096 // divisor
    model.classifier = torch.nn.Sequential(
        torch.nn.Linear(cfg[-2] * 7 * 7, hidden), torch.nn.ReLU(True), torch.nn.Dropout(),
        torch.nn.Linear(hidden, hidden), torch.nn.ReLU(True), torch.nn.Dropout(),
        torch.nn.Linear(hidden, NUM_CLASSES),
    )
    model = randomize(model, seed)
    scale_head(model, inputs)
    return model


def cam_references(model, folder, variant=CAM_VARIANT, layers=CAM_LAYERS, exact=False):
    """pytorch-grad-cam's maps at `layers` (tag: the model's target layers) and guided
    backpropagation on `model`, into `folder`/cam_`variant`.safetensors (see the docstring);
    with `exact`, each map and the guided gradients also from the model and inputs in float64
    (`{method}/{layer}/f64`, `guided/backprop/f64`)."""
    targets = [ClassifierOutputTarget(c) for c in CAM_CLASSES]
    inputs = structured_inputs()
    out = {"inputs": inputs}
    exact_model = copy.deepcopy(model).double() if exact else None
    for name, method in CAM_METHODS.items():
        for layer, target_layers in layers.items():
            key = f"{name}/{layer}"
            with method(model=model, target_layers=target_layers(model)) as cam:
                cam.batch_size = 64
                out[key] = torch.from_numpy(cam(input_tensor=inputs, targets=targets))
            nonzero = min((m > 1e-3).mean() for m in out[key].numpy())
            print(f"    {key:20s} nonzero {nonzero:.2f}", file=sys.stderr)
            if exact:
                with method(model=exact_model, target_layers=target_layers(exact_model)) as cam:
                    cam.batch_size = 64
                    maps = cam(input_tensor=inputs.double(), targets=targets)
                out[f"{key}/f64"] = torch.from_numpy(maps).float()
                gap = (out[f"{key}/f64"] - out[key]).abs().max()
                print(f"    {key:20s} float32 from float64: {gap:.1e}", file=sys.stderr)
    guided = GuidedBackpropReLUModel(copy.deepcopy(model), device="cpu")
    gradients = [guided(inputs[i : i + 1].clone(), target_category=c) for i, c in enumerate(CAM_CLASSES)]
    out["guided/backprop"] = torch.from_numpy(np.stack(gradients))
    if exact:
        guided = GuidedBackpropReLUModel(copy.deepcopy(exact_model), device="cpu")
        gradients = [guided(inputs[i : i + 1].double(), target_category=c) for i, c in enumerate(CAM_CLASSES)]
        out["guided/backprop/f64"] = torch.from_numpy(np.stack(gradients)).float()
    save_file({k: v.contiguous() for k, v in out.items()}, folder / f"cam_{variant}.safetensors")


def fixture_inputs():
    """The logits fixtures' inputs: [2, 3, 64, 64] standard normal (resnet_fixtures' inputs)."""
    return torch.from_numpy(np.random.default_rng(INPUTS_SEED).standard_normal((2, 3, 64, 64), dtype=np.float32))


def logits_fixtures(folder, builders, inputs, keep=()):
    """For each `name: build` of `builders`: the model build() makes, saved as
    `folder`/{name}.pth, and its eval-mode logits of `inputs` (`{name}`, and `{name}/f64` in
    float64) into `folder`/logits.safetensors beside `inputs`. Returns the models named in
    `keep`, in float32."""
    start = time.time()
    reference = {"inputs": inputs}
    kept = {}
    for name, build in builders.items():
        model = build()
        torch.save(model.state_dict(), folder / f"{name}.pth")
        with torch.no_grad():
            reference[name] = model(inputs)
            reference[f"{name}/f64"] = model.double()(inputs.double()).float()
        spread = (reference[name][0] - reference[name][1]).abs().max()
        print(f"{folder.name} fixtures: {name}, logits |input 0 - input 1| max {spread:.2f} ({time.time() - start:.0f} s)",
              file=sys.stderr)
        if name in keep:
            kept[name] = model.float()
        del model
    save_file({k: v.contiguous() for k, v in reference.items()}, folder / "logits.safetensors")
    return kept


def shapes_json(folder, variants):
    """`folder`/shapes.json: `{variant: {key: shape}}` of torchvision's state_dict for each of
    `variants` (1000 classes, built on the meta device)."""
    shapes = {}
    for variant in variants:
        with torch.device("meta"):
            state = getattr(torchvision.models, variant)().state_dict()
        shapes[variant] = {key: list(tensor.shape) for key, tensor in state.items()}
    (folder / "shapes.json").write_text(json.dumps(shapes))


def cam_fixture(model, folder, variant, head_seed, inputs, layers):
    """`model` with another head (redraw_head from `head_seed`), saved as
    `folder`/cam_`variant`.pth, and pytorch-grad-cam's maps at `layers` with float64
    references beside it (cam_references with `exact`)."""
    start = time.time()
    redraw_head(model, head_seed, inputs)
    torch.save(model.state_dict(), folder / f"cam_{variant}.pth")
    cam_references(model, folder, variant, layers, exact=True)
    print(f"{folder.name} fixtures: cam_{variant} ({time.time() - start:.0f} s)", file=sys.stderr)


def main(out_dir=make_fixtures.OUT):
    torch.set_num_threads(2)
    folder = pathlib.Path(out_dir) / "vgg"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.time()
    inputs = fixture_inputs()
    builders = {variant: (lambda v=variant, s=seed: fixture_model(v, inputs, s)) for variant, seed in VARIANTS.items()}
    logits_fixtures(folder, builders, inputs)

    model = narrow_vgg11_bn(inputs, VARIANTS[CAM_VARIANT])
    redraw_head(model, CAM_HEAD_SEED, inputs)
    torch.save(model.state_dict(), folder / f"cam_{CAM_VARIANT}.pth")
    cam_references(model, folder)
    print(f"vgg fixtures: cam_{CAM_VARIANT} ({time.time() - start:.0f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
