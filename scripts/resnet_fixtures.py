"""Creates the reference fixtures for camwatch's ResNet family (torchvision's ResNet, ResNeXt
and Wide ResNet), called at the end of make_fixtures.py's main().

Writes into tests/fixtures/generated/resnet/ (git-ignored):
  * {variant}.pth for each of VARIANTS: a 7-class model with numpy-drawn weights (He-normal
    convolutions, random batch-norm affine parameters, batch-norm statistics calibrated on
    random inputs and then perturbed so that every buffer matters, a head scaled so that the
    logits are O(1)), as `torch.save(model.state_dict())`;
  * logits.safetensors: `inputs` [2, 3, 64, 64] and `{variant}` [2, 7], torchvision's eval-mode
    logits of each, and `{variant}/f64` the same in float64 (how far float32 itself strays
    on the deep variants);
  * cam_resnet18.safetensors, cam_resnet50.safetensors: pytorch-grad-cam's maps on the models
    cam_resnet18.pth and cam_resnet50.pth for every method of make_fixtures.CAM_METHODS:
    `inputs` [2, 3, 128, 128] (make_fixtures.structured_inputs), `{method}/{layer}` [2, 128, 128]
    for layer in layer4 (`[model.layer4[-1]]`) and layer3 (`[model.layer3[-1]]`), and for the
    enlarged photos (make_fixtures.enlarged_inputs) `{resize}/inputs` [2, 3, 128, 128] and
    `{resize}/{method}` [2, 128, 128] at layer4, resize in crop and squash; targets
    ClassifierOutputTarget(c) for c in make_fixtures.CAM_CLASSES, one per image;
  * resnet18's state_dict in other layouts: resnet18_module.pth (`module.` prefix),
    resnet18_lightning.ckpt ({"state_dict": `model.` prefix, "epoch": 1}), resnet18.safetensors,
    resnet18_half.pth (float16), resnet18_bf16.pth (bfloat16), resnet18_torchscript.pt;
  * timm_resnet18.pth, timm_resnet50.pth (timm's models, whose keys are torchvision's, drawn
    the same way) and timm_logits.safetensors: `timm_resnet18`, `timm_resnet50` [2, 7] on the
    inputs of logits.safetensors;
  * unknown_{name}.pth: state_dicts of other architectures (tiny, default initialization), for
    the message that says what an unsupported checkpoint looks like.

Everything is drawn from fixed seeds (numpy for the weights and inputs) with 2 torch threads,
so that re-running writes the same files. Run alone, after make_fixtures.py has written
transform/small.png and transform/small_portrait.png, with
.venv/bin/python scripts/resnet_fixtures.py
"""

import collections
import copy
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
from make_fixtures import CAM_CLASSES, CAM_METHODS, enlarged_inputs, prefixed, structured_inputs

NUM_CLASSES = 7
# The torchvision variants and the numpy seed each one's weights are drawn from.
VARIANTS = {
    "resnet18": 1018,
    "resnet34": 1034,
    "resnet50": 1050,
    "resnet101": 1101,
    "resnet152": 1152,
    "resnext50_32x4d": 2050,
    "resnext101_32x8d": 2101,
    "resnext101_64x4d": 2102,
    "wide_resnet50_2": 3050,
    "wide_resnet101_2": 3101,
}
TIMM_VARIANTS = {"resnet18": 4018, "resnet50": 4050}
INPUTS_SEED = 7
# The CAM references' models: the fixture variants' backbones (same seeds) with a head drawn
# from these seeds instead. With many heads (resnet50's fixture head among them) some maps at
# layer3 come out all zero (a ReLU of a sum negative everywhere), which would compare nothing;
# these seeds were picked (out of the first 8 and 12 tried) for maps that are nonzero on most
# of the image for every method, layer, image and class.
CAM_HEAD_SEEDS = {"resnet18": 3, "resnet50": 6}
# Score-CAM on resnet50 (2048 channels at layer4, 1024 at layer3, one forward per channel and
# image) would take about 8 minutes on 2 cores at 128x128; CAM_SKIP's methods are computed on
# the inputs resized to SKIPPED_SIZE instead (`small/inputs`, `small/{method}/{layer}`).
CAM_SKIP = {"resnet50": {"scorecam"}}
SKIPPED_SIZE = 64
CAM_LAYERS = {"layer4": lambda model: [model.layer4[-1]], "layer3": lambda model: [model.layer3[-1]]}
CALIBRATION_BATCHES, CALIBRATION_SIZE = 4, 16


def uniform(rng, like, low, high):
    return torch.from_numpy(rng.uniform(low, high, size=tuple(like.shape))).to(like.dtype)


def normal(rng, like, std):
    return torch.from_numpy(rng.standard_normal(size=tuple(like.shape)) * std).to(like.dtype)


def randomize(model, seed):
    """Draws every parameter of a model made of Conv2d, BatchNorm2d and Linear layers with
    numpy from `seed`, in `model.modules()` order: convolutions He-normal (std sqrt(2/fan_in)),
    batch-norm weight U(0.5, 1.5) (U(0.1, 0.3) for each residual branch's last) and bias
    U(-0.2, 0.2), the head's weight N(0, 1) and bias
    U(-0.1, 0.1). Then calibrates the batch-norm statistics on random 64x64 inputs (the average
    over the batches, as a trained model's would be: with arbitrary statistics the signal
    vanishes in eval mode and every input gets the same logits) and perturbs them so that every
    buffer matters (mean + U(-0.05, 0.05), variance * U(0.8, 1.25)). Returns the rng, in eval
    mode the model; the head is left to scale_head."""
    rng = np.random.default_rng(seed)
    drawn = set()
    batch_norms = []
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                fan_in = module.weight[0].numel()  # in_channels / groups * kh * kw
                module.weight.copy_(normal(rng, module.weight, np.sqrt(2.0 / fan_in)))
                assert module.bias is None, "ResNet convolutions have no bias"
                drawn.add(id(module.weight))
            elif isinstance(module, torch.nn.BatchNorm2d):
                module.weight.copy_(uniform(rng, module.weight, 0.5, 1.5))
                module.bias.copy_(uniform(rng, module.bias, -0.2, 0.2))
                module.reset_running_stats()
                module.momentum = None  # running statistics = the average over the calibration
                batch_norms.append(module)
                drawn.update((id(module.weight), id(module.bias)))
            elif isinstance(module, torch.nn.Linear):
                module.weight.copy_(normal(rng, module.weight, 1.0))
                module.bias.copy_(uniform(rng, module.bias, -0.1, 0.1))
                drawn.update((id(module.weight), id(module.bias)))
        missed = [name for name, p in model.named_parameters() if id(p) not in drawn]
        assert not missed, f"parameters not drawn: {missed}"
        # Each residual branch's last batch norm a fifth as strong, U(0.1, 0.3), as in trained
        # ResNets (torchvision's zero_init_residual starts them at 0): with full-strength
        # branches the residual sum grows block after block, and float32 rounding with it
        # (ResNet-152's own float32 logits were 9.5e-4 from float64).
        for module in model.modules():
            if hasattr(module, "downsample"):  # a residual block, torchvision's or timm's
                last = module.bn3 if hasattr(module, "bn3") else module.bn2
                last.weight.mul_(0.2)
        model.train()
        for _ in range(CALIBRATION_BATCHES):
            model(torch.from_numpy(rng.standard_normal((CALIBRATION_SIZE, 3, 64, 64), dtype=np.float32)))
        for module in batch_norms:
            module.running_mean.add_(uniform(rng, module.running_mean, -0.05, 0.05))
            module.running_var.mul_(uniform(rng, module.running_var, 0.8, 1.25))
            module.momentum = 0.1  # back to the default, for whoever trains the model further
    return rng, model.eval()


def pooled_features(model, inputs):
    """What the eval-mode model feeds its head (`fc`) for `inputs`: [N, C]."""
    seen = []
    hook = model.fc.register_forward_pre_hook(lambda _, args: seen.append(args[0]))
    with torch.no_grad():
        model(inputs)
    hook.remove()
    return seen[0]


def scale_head(model, inputs):
    """Scales the head's weight so that the eval-mode logits of `inputs` without the bias have
    a standard deviation of 1 (over all images and classes): the Rust tests compare logits
    within 1e-4 absolute, so they have to be O(1) whatever the depth."""
    with torch.no_grad():
        spread = (pooled_features(model, inputs) @ model.fc.weight.T).std()
        model.fc.weight.div_(spread)


def fixture_model(variant, inputs):
    """torchvision's `variant` with 7 classes, drawn from VARIANTS[variant] (randomize), its
    head scaled on `inputs` (scale_head)."""
    model = getattr(torchvision.models, variant)(num_classes=NUM_CLASSES)
    _, model = randomize(model, VARIANTS[variant])
    scale_head(model, inputs)
    return model


def logits(model, inputs):
    with torch.no_grad():
        return model.eval()(inputs)


def checkpoint_layouts(model, folder):
    """resnet18's state_dict as camwatch meets it in the wild: with nn.DataParallel's
    `module.` prefix, in a Lightning checkpoint, as safetensors, in float16 and bfloat16 (the
    integer `num_batches_tracked` buffers stay int64), and as a TorchScript archive."""
    sd = model.state_dict()
    torch.save(prefixed(sd, "module."), folder / "resnet18_module.pth")
    torch.save({"state_dict": prefixed(sd, "model."), "epoch": 1}, folder / "resnet18_lightning.ckpt")
    save_file(dict(sd), folder / "resnet18.safetensors")
    for dtype, name in ((torch.float16, "half"), (torch.bfloat16, "bf16")):
        rounded = collections.OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items())
        torch.save(rounded, folder / f"resnet18_{name}.pth")
    try:
        scripted = torch.jit.script(model.eval())
    except Exception as error:  # torchvision's ResNet scripts; tracing is the fallback
        print(f"torch.jit.script failed ({error}); tracing instead", file=sys.stderr)
        scripted = torch.jit.trace(model.eval(), torch.zeros(1, 3, 64, 64))
    torch.jit.save(scripted, str(folder / "resnet18_torchscript.pt"))


def cam_model(variant, inputs):
    """The CAM references' model: the fixture backbone of `variant` with a head drawn from
    CAM_HEAD_SEEDS[variant] (N(0, 1) weight, U(-0.1, 0.1) bias, scaled as scale_head does)."""
    model = fixture_model(variant, inputs)
    rng = np.random.default_rng(CAM_HEAD_SEEDS[variant])
    with torch.no_grad():
        model.fc.weight.copy_(normal(rng, model.fc.weight, 1.0))
        model.fc.bias.copy_(uniform(rng, model.fc.bias, -0.1, 0.1))
    scale_head(model, inputs)
    return model


def cam_references(model, variant, folder, out_dir):
    """pytorch-grad-cam's maps on `model` for every method of CAM_METHODS (less CAM_SKIP) with
    targets ClassifierOutputTarget(c), c in CAM_CLASSES, one per image: of structured_inputs()
    at layer4 and layer3 (`{method}/{layer}`), and of the enlarged photos at layer4
    (`{resize}/{method}`), and guided backpropagation through pytorch-grad-cam's
    GuidedBackpropReLUModel (`guided/backprop`, [N, H, W, 3]; it guides the ResNets' nn.ReLU
    as they are), into cam_{variant}.safetensors. Returns what it wrote."""
    methods = {k: v for k, v in CAM_METHODS.items() if k not in CAM_SKIP.get(variant, ())}
    targets = [ClassifierOutputTarget(c) for c in CAM_CLASSES]
    inputs = structured_inputs()
    out = {"inputs": inputs}

    def maps(method, layers, images):
        with method(model=model, target_layers=layers) as cam:
            cam.batch_size = 64  # Score-CAM's forwards per batch (16 by default)
            return torch.from_numpy(cam(input_tensor=images, targets=targets))

    for name, method in methods.items():
        for layer, target_layers in CAM_LAYERS.items():
            out[f"{name}/{layer}"] = maps(method, target_layers(model), inputs)
    skipped = {k: v for k, v in CAM_METHODS.items() if k in CAM_SKIP.get(variant, ())}
    if skipped:
        small = torch.nn.functional.interpolate(inputs, size=SKIPPED_SIZE, mode="bilinear", align_corners=False)
        out["small/inputs"] = small
        for name, method in skipped.items():
            for layer, target_layers in CAM_LAYERS.items():
                out[f"small/{name}/{layer}"] = maps(method, target_layers(model), small)
    for resize, enlarged in enlarged_inputs(out_dir=out_dir).items():
        out[f"{resize}/inputs"] = enlarged
        for name, method in methods.items():
            out[f"{resize}/{name}"] = maps(method, CAM_LAYERS["layer4"](model), enlarged)
    guided = GuidedBackpropReLUModel(copy.deepcopy(model), device="cpu")
    gradients = [guided(inputs[i : i + 1].clone(), target_category=c) for i, c in enumerate(CAM_CLASSES)]
    out["guided/backprop"] = torch.from_numpy(np.stack(gradients))
    save_file({k: v.contiguous() for k, v in out.items()}, folder / f"cam_{variant}.safetensors")
    return out


def sanity_check(variant, model, fixture_logits, cams):
    """Prints (writes nothing) how much the fixtures depend on their inputs: the logits of the
    two inputs, the class scores of the CAM inputs, and for each map how much of it is nonzero,
    how far the two images' maps are apart and, for the gradient methods (cheap to rerun), how
    far each image's map moves when the other class is the target."""
    print(f"--- {variant}: logits |input 0 - input 1| max {(fixture_logits[0] - fixture_logits[1]).abs().max():.3f}"
          f", std {fixture_logits.std():.3f}", file=sys.stderr)
    scores = np.array2string(logits(model, cams["inputs"]).numpy(), precision=2, separator=", ").replace("\n", "")
    print(f"    CAM inputs' class scores: {scores}", file=sys.stderr)
    swapped = [ClassifierOutputTarget(c) for c in reversed(CAM_CLASSES)]
    for key, value in cams.items():
        if key.endswith("inputs"):
            continue
        a = value.numpy()
        line = f"    {key:16s} nonzero {min((m > 1e-3).mean() for m in a):.2f}  |image 0 - image 1| {np.abs(a[0] - a[1]).mean():.3f}"
        name, layer = key.split("/")[-2:]
        if name not in ("scorecam", "eigencam") and layer in CAM_LAYERS:
            with CAM_METHODS[name](model=model, target_layers=CAM_LAYERS[layer](model)) as cam:
                b = cam(input_tensor=cams["inputs"], targets=swapped)
            line += f"  |class 0 - class 2| {np.abs(a[0] - b[0]).mean():.3f} {np.abs(a[1] - b[1]).mean():.3f}"
        print(line, file=sys.stderr)


def timm_references(inputs, folder):
    """timm's resnet18 and resnet50 (7 classes), drawn as the torchvision fixtures are (from
    TIMM_VARIANTS' seeds), their state_dicts and their eval logits of `inputs`. Checks that
    their keys and shapes are torchvision's, and that torchvision's model computes the same
    logits with their weights."""
    import timm

    out = {}
    for variant, seed in TIMM_VARIANTS.items():
        model = timm.create_model(variant, num_classes=NUM_CLASSES, pretrained=False)
        _, model = randomize(model, seed)
        scale_head(model, inputs)
        sd = model.state_dict()
        with torch.device("meta"):
            reference = getattr(torchvision.models, variant)(num_classes=NUM_CLASSES).state_dict()
        if set(sd) != set(reference):
            print(f"timm {variant} keys not in torchvision's: {sorted(set(sd) - set(reference))}; "
                  f"torchvision's not in timm's: {sorted(set(reference) - set(sd))}", file=sys.stderr)
        assert set(sd) == set(reference), f"timm's {variant} keys differ from torchvision's"
        assert all(sd[k].shape == reference[k].shape for k in sd), f"timm's {variant} shapes differ"
        torch.save(sd, folder / f"timm_{variant}.pth")
        out[f"timm_{variant}"] = logits(model, inputs)
        # The same keys mean the same computation: torchvision's model with timm's weights.
        same = getattr(torchvision.models, variant)(num_classes=NUM_CLASSES)
        same.load_state_dict(sd)
        assert torch.allclose(logits(same, inputs), out[f"timm_{variant}"], atol=1e-5), f"timm's {variant} differs"
    save_file({k: v.contiguous() for k, v in out.items()}, folder / "timm_logits.safetensors")


def unknown_architectures(folder):
    """State_dicts of architectures camwatch does not load (3 classes, default random init),
    shrunk where the constructors allow: same key names as the named model, smaller tensors
    (ViT-B/16 has 1 encoder layer instead of 12, so its keys are a subset)."""
    from torchvision.models import swin_transformer

    builders = {
        "vit_b_16": lambda n: torchvision.models.VisionTransformer(
            image_size=32, patch_size=16, num_layers=1, num_heads=2, hidden_dim=32, mlp_dim=32, num_classes=n),
        # swin_t's depths (2, 2, 6, 2) at 1/12 of its widths (96 ... 768).
        "swin_t": lambda n: swin_transformer.SwinTransformer(
            [4, 4], 8, [2, 2, 6, 2], [2, 4, 8, 16], [7, 7], num_classes=n),
        "squeezenet1_1": lambda n: torchvision.models.squeezenet1_1(num_classes=n),
    }
    for index, (name, builder) in enumerate(builders.items()):
        torch.manual_seed(600 + index)
        sd = builder(3).state_dict()
        with torch.device("meta"):
            full = getattr(torchvision.models, name)(num_classes=3).state_dict()
        assert set(sd) <= set(full) and (name == "vit_b_16" or set(sd) == set(full)), f"{name}'s keys"
        torch.save(sd, folder / f"unknown_{name}.pth")


def main(out_dir=make_fixtures.OUT):
    """Writes every fixture listed in the module's docstring into `out_dir`/resnet."""
    torch.set_num_threads(2)
    out_dir = pathlib.Path(out_dir)
    folder = out_dir / "resnet"
    folder.mkdir(parents=True, exist_ok=True)
    start = time.time()

    def done(what):
        print(f"resnet fixtures: {what} ({time.time() - start:.0f} s)", file=sys.stderr)

    inputs = torch.from_numpy(np.random.default_rng(INPUTS_SEED).standard_normal((2, 3, 64, 64), dtype=np.float32))
    reference = {"inputs": inputs}
    for variant in VARIANTS:
        model = fixture_model(variant, inputs)
        torch.save(model.state_dict(), folder / f"{variant}.pth")
        reference[variant] = logits(model, inputs)
        with torch.no_grad():
            reference[f"{variant}/f64"] = model.double()(inputs.double()).float()
        model.float()
        if variant == "resnet18":
            checkpoint_layouts(model, folder)
        done(variant)
    save_file({k: v.contiguous() for k, v in reference.items()}, folder / "logits.safetensors")

    for variant in CAM_HEAD_SEEDS:
        model = cam_model(variant, inputs)
        torch.save(model.state_dict(), folder / f"cam_{variant}.pth")
        cams = cam_references(model, variant, folder, out_dir)
        done(f"cam_{variant}")
        sanity_check(variant, model, reference[variant], cams)

    timm_references(inputs, folder)
    unknown_architectures(folder)
    done("timm and unknown architectures")


if __name__ == "__main__":
    main()
