"""PyTorch's side of `cargo bench -p camwatch-tests --bench finetune`.

`--pretrain OUT.pth`: draws a dataset of *other* classes (six filled shapes in random colours,
sizes, places and rotations over noisy gradients, 96 px, 300 training images each), trains
torchvision's MobileNetV2 (width 0.5) on it from scratch and saves the state dict: a backbone that
knows edges, corners and colours but none of the textures it is fine-tuned on next.

`--data DIR --weights PTH`: fine-tunes that backbone on DIR/{train,val}/CLASS/* with the recipe of
PyTorch's transfer-learning tutorial ("Finetuning the ConvNet", pytorch.org/tutorials/beginner/
transfer_learning_tutorial.html): a new `Linear` head, SGD lr 0.001 momentum 0.9 on every
parameter, StepLR(step_size=7, gamma=0.1), RandomResizedCrop + horizontal flip for training,
Resize(round(s*256/224)) + CenterCrop(s) for validation, ImageNet normalization. The tutorial uses
batches of 4; `--batch` sets another. Prints each epoch's validation accuracy as JSON.
"""
import argparse
import json
import math
import random
from pathlib import Path

import numpy as np
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


def draw_shapes(root, per_class, size, rng):
    """Writes root/train/SHAPE/NNNN.png: one shape per image."""
    for shape in SHAPES:
        folder = root / "train" / shape
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
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


def augmented(size):
    """RandomResizedCrop and a horizontal flip, as the tutorial trains."""
    return transforms.Compose([
        transforms.RandomResizedCrop(size), transforms.RandomHorizontalFlip(),
        transforms.ToTensor(), transforms.Normalize(MEAN, STD)])


def accuracy(model, loader):
    model.eval()
    right = seen = 0
    with torch.no_grad():
        for images, labels in loader:
            right += (model(images).argmax(1) == labels).sum().item()
            seen += len(labels)
    return right / seen


def fit(model, train, epochs, optimizer, scheduler, val=None):
    loss_fn = torch.nn.CrossEntropyLoss()
    accs = []
    for _ in range(epochs):
        model.train()
        for images, labels in train:
            optimizer.zero_grad()
            loss_fn(model(images), labels).backward()
            optimizer.step()
        scheduler.step()
        if val is not None:
            accs.append(accuracy(model, val))
    return accs


parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--pretrain", type=Path, help="draw the shapes, train on them, save here")
parser.add_argument("--data", type=Path, help="fine-tune on DIR/{train,val}/CLASS/*")
parser.add_argument("--weights", type=Path, help="the pretrained backbone to fine-tune")
parser.add_argument("--epochs", type=int, default=5)
parser.add_argument("--size", type=int, default=96)
parser.add_argument("--batch", type=int, default=4)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
torch.manual_seed(args.seed)
random.seed(args.seed)

if args.pretrain:
    shapes = args.pretrain.parent / "shapes"
    if not shapes.is_dir():
        draw_shapes(shapes, 300, args.size, np.random.default_rng(args.seed))
    classes, train = loader(shapes / "train", augmented(args.size), 32, True)
    model = torchvision.models.mobilenet_v2(num_classes=len(classes), width_mult=0.5)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, args.epochs)
    fit(model, train, args.epochs, optimizer, scheduler)
    _, plain = loader(shapes / "train", evaluation(args.size), 64, False)
    torch.save(model.state_dict(), args.pretrain)
    print(json.dumps({"classes": classes, "training_accuracy": accuracy(model, plain)}))
else:
    classes, train = loader(args.data / "train", augmented(args.size), args.batch, True)
    _, val = loader(args.data / "val", evaluation(args.size), 64, False)
    model = torchvision.models.mobilenet_v2(num_classes=len(SHAPES), width_mult=0.5)
    model.load_state_dict(torch.load(args.weights))
    model.classifier[1] = torch.nn.Linear(model.last_channel, len(classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=7, gamma=0.1)
    print(json.dumps({"val_accuracy": fit(model, train, args.epochs, optimizer, scheduler, val)}))
