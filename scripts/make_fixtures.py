"""Creates the torchvision reference fixtures the Rust tests compare camwatch with.

Writes into tests/fixtures/generated/ (git-ignored):
  * MobileNetV2 checkpoints (fixed seeds, random batch-norm statistics so that every buffer
    matters) in every format and key layout camwatch loads: zip and legacy .pth, `module.`
    and `model.` prefixes, {"state_dict"|"model_state_dict"|"model": ...} wrappers, safetensors;
  * broken files for the error paths (truncated, empty, not a checkpoint, missing keys);
  * reference.safetensors: fixed inputs and torchvision's eval-mode logits for each model;
  * transform/: photos of odd aspect ratios (PNG and JPEG) and transform.safetensors, what
    torchvision's evaluation transform (Resize(256), CenterCrop(224), ToTensor) makes of them;
  * (resnet/ and vgg/: the ResNet and VGG families' fixtures, written by resnet_fixtures.py
    and vgg_fixtures.py after this script, from the photos and inputs this one writes; see
    their docstrings.)

Run with the Python that scripts/setup.sh installs: .venv/bin/python scripts/make_fixtures.py
"""

import collections
import copy
import os
import pathlib
import sys

os.environ.setdefault("TQDM_DISABLE", "1")  # Score-CAM progress bars
import numpy as np
import torch
import torchvision
from pytorch_grad_cam import (
    EigenCAM,
    GradCAM,
    GradCAMPlusPlus,
    HiResCAM,
    LayerCAM,
    ScoreCAM,
    XGradCAM,
)
from pytorch_grad_cam.guided_backprop import GuidedBackpropReLUModel
from pytorch_grad_cam.utils.find_layers import replace_all_layer_type_recursive
from pytorch_grad_cam.utils.image import deprocess_image, show_cam_on_image
from pytorch_grad_cam.metrics.cam_mult_image import (
    CamMultImageConfidenceChange,
    DropInConfidence,
    IncreaseInConfidence,
)
from pytorch_grad_cam.utils.model_targets import ClassifierOutputSoftmaxTarget, ClassifierOutputTarget
from pytorch_grad_cam.utils.svd_on_activations import get_2d_projection
from safetensors.torch import save_file

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "generated"


def make_model(num_classes, width_mult, seed, classifier_std=0.1):
    torch.manual_seed(seed)
    model = torchvision.models.mobilenet_v2(num_classes=num_classes, width_mult=width_mult)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.momentum = None  # running stats = the average over the calibration
            if isinstance(module, torch.nn.Linear):
                module.weight.normal_(0.0, classifier_std)
                module.bias.uniform_(-0.1, 0.1)
        # Calibrate the batch-norm statistics on random inputs (as a trained model's would be):
        # with torchvision's initialization and arbitrary statistics, the signal vanishes in eval
        # mode and every input gets the same logits, which would make the tests blind.
        model.train()
        for _ in range(4):
            model(torch.randn(16, 3, 96, 96))
        # Perturb the statistics so that every buffer matters.
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.add_(torch.empty_like(module.running_mean).uniform_(-0.05, 0.05))
                module.running_var.mul_(torch.empty_like(module.running_var).uniform_(0.8, 1.25))
    return model.eval()


def prefixed(state_dict, prefix):
    return collections.OrderedDict((prefix + k, v) for k, v in state_dict.items())


def inputs_away_from_kinks(model, seed, margin=1e-5, few=64):
    """Random inputs `[4, 3, 64, 64]` (from `seed` on) for which no ReLU6 input lies within
    `margin` of 0 or 6 in the layers with at most `few` values per channel. Gradients are
    compared away from ReLU6's kinks, as `torch.autograd.gradcheck` advises: a value within float
    error of a kink takes either side in two correct implementations, and where a channel has
    only 16 values one flipped mask moves that channel's gradient by several percent."""
    nearest = []

    def record(_, args):
        x = args[0]
        if x.numel() // x.shape[1] <= few:
            nearest.append(torch.minimum(x.abs(), (x - 6).abs()).min().item())

    hooks = [m.register_forward_pre_hook(record) for m in model.modules() if isinstance(m, torch.nn.ReLU6)]
    state = copy.deepcopy(model.state_dict())  # train-mode forwards move running statistics
    while True:
        torch.manual_seed(seed)
        inputs = torch.randn(4, 3, 64, 64)
        nearest.clear()
        with torch.no_grad():
            model(inputs)
        model.load_state_dict(state)
        if min(nearest) >= margin:
            break
        seed += 1
    for hook in hooks:
        hook.remove()
    return inputs


def train_step_reference(state_dict):
    """One training step of the small model in PyTorch: train-mode forward (batch statistics,
    running statistics updated with momentum 0.1), cross-entropy, backward. Dropout is set to 0
    so that the step is deterministic. Saves the inputs, labels, loss, every parameter's
    gradient (`grad/NAME`) and the updated running statistics (`after/NAME`)."""
    model = torchvision.models.mobilenet_v2(num_classes=5, width_mult=0.35, dropout=0.0)
    model.load_state_dict(state_dict)
    model.train()
    inputs = inputs_away_from_kinks(model, seed=99)
    labels = torch.tensor([0, 3, 1, 4])
    loss = torch.nn.functional.cross_entropy(model(inputs), labels)
    loss.backward()
    out = {"inputs": inputs, "labels": labels, "loss": loss.detach().reshape(1)}
    for name, param in model.named_parameters():
        out[f"grad/{name}"] = param.grad
    for name, buffer in model.named_buffers():
        if name.endswith(("running_mean", "running_var")):
            out[f"after/{name}"] = buffer
    save_file({k: v.contiguous() for k, v in out.items()}, OUT / "train_step.safetensors")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1234)
    reference = {
        "inputs_small": torch.randn(2, 3, 64, 64),
        "inputs_224": torch.randn(1, 3, 224, 224),
    }

    small = make_model(5, 0.35, seed=1)
    sd = small.state_dict()
    optimizer = torch.optim.Adam(small.parameters())
    torch.save(sd, OUT / "small.pth")
    torch.save(sd, OUT / "small_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(prefixed(sd, "module."), OUT / "small_module.pth")
    torch.save({"state_dict": prefixed(sd, "model."), "epoch": 3, "global_step": 120}, OUT / "small_lightning.ckpt")
    torch.save({"state_dict": prefixed(sd, "module."), "epoch": 7}, OUT / "small_state_dict_module.pth")
    torch.save({"model_state_dict": sd, "optimizer_state_dict": optimizer.state_dict(), "epoch": 2}, OUT / "small_model_state_dict.pt")
    torch.save({"model": sd, "args": {"lr": 0.1}}, OUT / "small_model.pth")
    save_file(dict(sd), OUT / "small.safetensors")
    save_file(dict(prefixed(sd, "module.")), OUT / "small_module.safetensors")
    with torch.no_grad():
        reference["logits_small"] = small(reference["inputs_small"])

    train_step_reference(sd)

    # Error cases.
    raw = (OUT / "small.pth").read_bytes()
    (OUT / "truncated.pth").write_bytes(raw[: len(raw) // 2])
    (OUT / "empty.pth").write_bytes(b"")
    (OUT / "not_a_checkpoint.pth").write_text("this is a text file, not a checkpoint\n")
    broken = collections.OrderedDict(sd)
    for key in ["features.3.conv.1.0.weight", "features.5.conv.3.running_var"]:
        del broken[key]
    broken["extra.head.weight"] = torch.zeros(3)
    torch.save(broken, OUT / "missing_keys.pth")
    torch.save(make_model(10, 0.35, seed=2).state_dict(), OUT / "small_10_classes.pth")

    # Full width: an "ImageNet-like" 1000-class file for backbone-only loading, and a
    # 5-class model for logits parity at the real size.
    imagenet = make_model(1000, 1.0, seed=3)
    torch.save(imagenet.state_dict(), OUT / "imagenet_like.pth")
    full = make_model(5, 1.0, seed=4)
    torch.save(full.state_dict(), OUT / "full.pth")
    with torch.no_grad():
        reference["logits_full"] = full(reference["inputs_224"])
        reference["features_imagenet"] = imagenet.features(reference["inputs_small"])

    save_file({k: v.contiguous() for k, v in reference.items()}, OUT / "reference.safetensors")
    # The CAM references use a model whose class scores depend strongly on the input, so that
    # maps differ between images, classes and layers (a weak head gives near-constant logits).
    cam_model = make_model(5, 0.35, seed=11, classifier_std=0.05)
    torch.save(cam_model.state_dict(), OUT / "cam_model.pth")
    cam_references(cam_model)
    transform_references()
    enlarged_cam_references(cam_model)
    print(f"fixtures written to {OUT}", file=sys.stderr)


def transform_references():
    """Photo-like pictures (smooth colour fields with hard-edged shapes) of odd sizes, and the
    [3, 224, 224] tensors torchvision's evaluation transform makes of them (PIL decoding and
    PIL's antialiased bilinear resize, as `ImageFolder` does)."""
    from PIL import Image, ImageDraw
    from torchvision import transforms

    folder = OUT / "transform"
    folder.mkdir(exist_ok=True)
    rng = np.random.default_rng(5)
    evaluate = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
    squash = transforms.Compose([transforms.Resize((224, 224)), transforms.ToTensor()])
    out = {}
    for name, (width, height), fmt in [
        ("landscape", (317, 211), "PNG"),
        ("portrait", (150, 403), "PNG"),
        ("photo", (641, 480), "JPEG"),
        ("panorama", (1200, 260), "PNG"),
        # Smaller than the input: both resizes enlarge it.
        ("small", (160, 123), "PNG"),
    ]:
        field = rng.random((6, 8, 3)) * 255
        picture = Image.fromarray(field.astype(np.uint8)).resize((width, height), Image.BICUBIC)
        draw = ImageDraw.Draw(picture)
        for _ in range(4):
            x, y = rng.integers(0, width), rng.integers(0, height)
            r = int(rng.integers(10, max(11, min(width, height) // 3)))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(int(c) for c in rng.integers(0, 256, 3)))
        path = folder / f"{name}.{'jpg' if fmt == 'JPEG' else 'png'}"
        picture.save(path, fmt, quality=90)
        out[name] = evaluate(Image.open(path).convert("RGB"))
        out[f"{name}_squash"] = squash(Image.open(path).convert("RGB"))
    save_file(out, OUT / "transform.safetensors")


class OrientedEigenCAM(EigenCAM):
    """pytorch-grad-cam's Eigen-CAM with the SVD's arbitrary sign fixed as camwatch fixes it:
    the projection is oriented to correlate positively with the summed activations."""

    def get_cam_image(self, input_tensor, target_layer, targets, activations, grads, eigen_smooth):
        projection = get_2d_projection(activations)
        fired = activations.sum(axis=1)
        sign = np.sign((projection * fired).sum(axis=(1, 2)))
        sign[sign == 0] = 1
        return projection * sign[:, None, None]


class GuidedBackpropReLU6(torch.autograd.Function):
    """pytorch-grad-cam's GuidedBackpropReLU for ReLU6: the gradient passes where the input
    is in (0, 6) and the incoming gradient is positive."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(0, 6)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ((x > 0) & (x < 6) & (grad > 0)).type_as(grad)


class GuidedReLU6(torch.nn.Module):
    def forward(self, x):
        return GuidedBackpropReLU6.apply(x)


def guided_references(model, inputs, out):
    """Guided backpropagation through pytorch-grad-cam's GuidedBackpropReLUModel. That class
    guides nn.ReLU only, so on MobileNetV2 the ReLU6s are replaced by guided ones first."""
    guided = copy.deepcopy(model)
    replace_all_layer_type_recursive(guided, torch.nn.ReLU6, GuidedReLU6())
    gb_model = GuidedBackpropReLUModel(guided, device="cpu")
    gradients = [
        gb_model(inputs[i : i + 1].clone(), target_category=c) for i, c in enumerate(CAM_CLASSES)
    ]
    out["guided/backprop"] = torch.from_numpy(np.stack(gradients))  # [N, H, W, 3]
    cam_masks = out["gradcam/18"].numpy()[..., None]
    out["guided/gradcam"] = torch.from_numpy(
        np.stack([np.float32(deprocess_image(g * m)) for g, m in zip(gradients, cam_masks)])
    )


CAM_METHODS = {
    "gradcam": GradCAM,
    "gradcam++": GradCAMPlusPlus,
    "xgradcam": XGradCAM,
    "layercam": LayerCAM,
    "hirescam": HiResCAM,
    "eigencam": OrientedEigenCAM,
    "scorecam": ScoreCAM,
}
CAM_LAYERS = {"18": [18], "10": [10], "10+18": [10, 18]}
CAM_CLASSES = [0, 2]


def structured_inputs():
    """The CAM references' inputs `[2, 3, 128, 128]`: two structured images (a bright disc
    top-left, a checkerboard bottom-right) over noise, so that the maps differ between images."""
    torch.manual_seed(99)
    inputs = 0.5 * torch.randn(len(CAM_CLASSES), 3, 128, 128)
    yy, xx = torch.meshgrid(torch.arange(128.0), torch.arange(128.0), indexing="ij")
    inputs[0, :, ((yy - 40) ** 2 + (xx - 40) ** 2) < 600] += torch.tensor([2.0, 1.5, -1.0])[:, None]
    checker = (((yy // 8) + (xx // 8)) % 2 == 0) & (yy > 64) & (xx > 64)
    inputs[1, :, checker] += 2.0
    return inputs


def cam_references(model):
    """pytorch-grad-cam's maps for every method, at features.18, features.10 and both."""
    inputs = structured_inputs()
    out = {"inputs": inputs}
    targets = [ClassifierOutputTarget(c) for c in CAM_CLASSES]
    for name, method in CAM_METHODS.items():
        for tag, layers in CAM_LAYERS.items():
            with method(model=model, target_layers=[model.features[i] for i in layers]) as cam:
                out[f"{name}/{tag}"] = torch.from_numpy(cam(input_tensor=inputs, targets=targets))
    guided_references(model, inputs, out)
    # Confidence metrics of the Grad-CAM maps at features.18 (softmax targets).
    softmax_targets = [ClassifierOutputSoftmaxTarget(c) for c in CAM_CLASSES]
    for name, metric in (
        ("confidence_change", CamMultImageConfidenceChange()),
        ("drop_in_confidence", DropInConfidence()),
        ("increase_in_confidence", IncreaseInConfidence()),
    ):
        scores = metric(inputs, out["gradcam/18"].numpy(), softmax_targets, model)
        out[f"metrics/{name}"] = torch.from_numpy(np.float32(scores))

    # show_cam_on_image on a random image and map (the overlay's reference).
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, size=(24, 40, 3), dtype=np.uint8)
    mask = rng.random((24, 40), dtype=np.float32)
    blended = show_cam_on_image(np.float32(image) / 255, mask, use_rgb=True, image_weight=0.5)
    out["overlay/image"] = torch.from_numpy(np.float32(image))
    out["overlay/mask"] = torch.from_numpy(mask)
    out["overlay/blended"] = torch.from_numpy(np.float32(blended))
    save_file({k: v.contiguous() for k, v in out.items()}, OUT / "cam_reference.safetensors")


def enlarged_inputs(size=128, out_dir=OUT):
    """The two photos smaller than the input (transform/small.png, which transform_references
    writes, and transform/small_portrait.png, which enlarged_cam_references writes) through
    torchvision's preprocessing, which enlarges them: {"crop": Resize(round(s*256/224)) +
    CenterCrop(s), "squash": Resize((s, s))} -> `[2, 3, s, s]`, ImageNet-normalized."""
    from PIL import Image
    from torchvision import transforms

    normalize = [transforms.ToTensor(), transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])]
    recipes = {
        "crop": transforms.Compose([transforms.Resize(round(size * 256 / 224)), transforms.CenterCrop(size), *normalize]),
        "squash": transforms.Compose([transforms.Resize((size, size)), *normalize]),
    }
    photos = [Image.open(out_dir / "transform" / name).convert("RGB") for name in ("small.png", "small_portrait.png")]
    return {resize: torch.stack([recipe(photo) for photo in photos]) for resize, recipe in recipes.items()}


def enlarged_cam_references(model, size=128):
    """Every method's maps of photos smaller than the input, as a PyTorch user computes them:
    torchvision's preprocessing (see enlarged_inputs), which enlarges them, then pytorch-grad-cam
    at features.18. Writes transform/small_portrait.png (small.png rotated by 90 degrees and
    resized)."""
    from PIL import Image

    small = Image.open(OUT / "transform" / "small.png").convert("RGB")
    portrait = small.transpose(Image.Transpose.ROTATE_90).resize((97, 110), Image.BICUBIC)
    portrait.save(OUT / "transform" / "small_portrait.png")
    targets = [ClassifierOutputTarget(c) for c in CAM_CLASSES]
    out = {}
    for resize, inputs in enlarged_inputs(size).items():
        out[f"{resize}/inputs"] = inputs
        for name, method in CAM_METHODS.items():
            with method(model=model, target_layers=[model.features[18]]) as cam:
                out[f"{resize}/{name}"] = torch.from_numpy(cam(input_tensor=inputs, targets=targets))
    save_file({k: v.contiguous() for k, v in out.items()}, OUT / "enlarged_cam.safetensors")


if __name__ == "__main__":
    main()
