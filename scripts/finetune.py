"""PyTorch's side of `cargo bench -p camwatch-tests --bench finetune`.

`--draw DIR`: draws the target dataset, six filled shapes (circle, square, triangle, cross, star,
hexagon) in random colours, sizes, places and rotations over noisy colour gradients, 96 px,
200 training and 50 validation images per shape, as DIR/{train,val}/SHAPE/NNNN.png.

`--data DIR --weights FILE`: fine-tunes a torchvision MobileNetV2 (width 0.5) state dict
(.pth or .safetensors, any classifier) on DIR with the recipe of PyTorch's transfer-learning
tutorial ("Finetuning the ConvNet", pytorch.org/tutorials/beginner/transfer_learning_tutorial.html):
a new `Linear` head, SGD lr 0.001 momentum 0.9 on every parameter, StepLR(step_size=7, gamma=0.1),
RandomResizedCrop (`--crop-scale`) + horizontal flip for training, Resize(round(s*256/224)) +
CenterCrop(s) for validation, ImageNet normalization. The tutorial uses batches of 4; `--batch`
sets another. Prints each epoch's validation accuracy as JSON.
"""
import argparse
import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import torchvision
from PIL import Image, ImageDraw
from torchvision import datasets, transforms

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
SHAPES = ["circle", "square", "triangle", "cross", "star", "hexagon"]


def polygon(shape, cx, cy, r, angle):
    """The outline of `shape` centred at (cx, cy) with radius r, turned by `angle`."""
    if shape == "square":
        points = [(r, r), (-r, r), (-r, -r), (r, -r)]
    elif shape == "triangle":
        points = [(r * math.cos(a), r * math.sin(a)) for a in (0, 2.094, 4.189)]
    elif shape == "hexagon":
        points = [(r * math.cos(k * math.pi / 3), r * math.sin(k * math.pi / 3)) for k in range(6)]
    elif shape == "star":
        points = [((r if k % 2 == 0 else r * 0.45) * math.cos(k * math.pi / 5),
                   (r if k % 2 == 0 else r * 0.45) * math.sin(k * math.pi / 5)) for k in range(10)]
    else:  # cross
        t = r * 0.35
        points = [(t, r), (-t, r), (-t, t), (-r, t), (-r, -t), (-t, -t), (-t, -r), (t, -r),
                  (t, -t), (r, -t), (r, t), (t, t)]
    c, s = math.cos(angle), math.sin(angle)
    return [(cx + x * c - y * s, cy + x * s + y * c) for x, y in points]


def draw_shapes(root, per_split, size, rng):
    """Writes root/SPLIT/SHAPE/NNNN.png, `per_split[SPLIT]` images of each shape."""
    for (split, count), shape in itertools.product(per_split.items(), SHAPES):
        folder = root / split / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
            ramp = np.linspace(0, 1, size)[None, :, None]
            background = a * (1 - ramp) + b * ramp + rng.normal(0, 18, (size, size, 3))
            background = background.transpose(1, 0, 2) if rng.random() < 0.5 else background
            image = Image.fromarray(np.clip(background, 0, 255).astype(np.uint8))
            r = rng.uniform(0.18, 0.32) * size
            cx, cy = rng.uniform(r, size - r, 2)
            colour = tuple(int(v) for v in rng.integers(0, 256, 3))
            pen = ImageDraw.Draw(image)
            if shape == "circle":
                pen.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
            else:
                pen.polygon(polygon(shape, cx, cy, r, rng.uniform(0, 2 * math.pi)), fill=colour)
            image.save(folder / f"{i:04}.png")


def evaluation(size):
    """torchvision's evaluation transform at `size` px."""
    return transforms.Compose([
        transforms.Resize(round(size * 256 / 224)), transforms.CenterCrop(size),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def loader(folder, transform, batch, shuffle):
    dataset = datasets.ImageFolder(folder, transform)
    return dataset.classes, torch.utils.data.DataLoader(
        dataset, batch_size=batch, shuffle=shuffle, num_workers=2, persistent_workers=True)


def augmented(size, min_scale):
    """RandomResizedCrop (at least `min_scale` of the area) and a horizontal flip, as the
    tutorial trains."""
    return transforms.Compose([
        transforms.RandomResizedCrop(size, scale=(min_scale, 1.0)), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def accuracy(model, loader):
    model.eval()
    right = seen = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(1) == labels).sum().item()
            seen += len(labels)
    return right / seen


def fit(model, train, epochs, optimizer, scheduler, val):
    loss_fn = torch.nn.CrossEntropyLoss()
    accs = []
    for _ in range(epochs):
        model.train()
        for images, labels in train:
            optimizer.zero_grad()
            loss_fn(model(images), labels).backward()
            optimizer.step()
        scheduler.step()
        accs.append(accuracy(model, val))
    return accs


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--draw", type=Path, help="draw the shapes dataset here")
parser.add_argument("--data", type=Path, help="fine-tune on DIR/{train,val}/CLASS/*")
parser.add_argument("--weights", type=Path, help="the pretrained network to fine-tune")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--size", type=int, default=96)
parser.add_argument("--batch", type=int, default=4)
parser.add_argument("--crop-scale", type=float, default=0.08,
                    help="smallest crop share of RandomResizedCrop (torchvision's 0.08)")
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)

if args.draw:
    draw_shapes(args.draw, {"train": 200, "val": 50}, args.size, np.random.default_rng(args.seed))
    print(json.dumps({"classes": SHAPES}))
else:
    classes, train = loader(args.data / "train", augmented(args.size, args.crop_scale), args.batch, True)
    _, val = loader(args.data / "val", evaluation(args.size), 64, False)
    if args.weights.suffix == ".safetensors":
        state = safetensors.torch.load_file(args.weights)
    else:
        state = torch.load(args.weights)
    model = torchvision.models.mobilenet_v2(
        num_classes=state["classifier.1.weight"].shape[0], width_mult=0.5)
    model.load_state_dict(state)
    model.classifier[1] = torch.nn.Linear(model.last_channel, len(classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    print(json.dumps({"val_accuracy": fit(model, train, args.epochs, optimizer, scheduler, val)}))
