"""PyTorch's side of `cargo bench -p camwatch-tests --bench finetune`.

`--draw DIR`: draws the target dataset, five textures the default dataset does not have (bricks,
crosshatch, dashes, concentric squares, waves) on turned ellipses anywhere in the frame over noisy
colour gradients, 96 px, 200 training and 50 validation images per class, as
DIR/{train,val}/CLASS/NNNN.png.

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
import random
from pathlib import Path

import numpy as np
import safetensors.torch
import torch
import torchvision
from PIL import Image
from torchvision import datasets, transforms

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
CLASSES = ["bricks", "crosshatch", "dashes", "squares", "waves"]


def texture(name, u, v, period):
    """Whether the points (u, v) (pixels from the object's centre, in its turned frame) take
    the first of the texture's two colours."""
    w = 2 * np.pi / period
    if name == "crosshatch":
        return (np.abs(np.sin(w * (u + v) / 2)) < 0.35) | (np.abs(np.sin(w * (u - v) / 2)) < 0.35)
    if name == "dashes":
        return (np.sin(w * v) > 0.3) & (np.sin(w * u / 2) > 0)
    if name == "squares":
        return np.sin(w * np.maximum(np.abs(u), np.abs(v))) > 0
    if name == "waves":
        return np.sin(w * u + 2.5 * np.sin(w * v / 2)) > 0
    # bricks: rows of rectangles, every other row shifted by half a brick
    row = np.floor(v / period)
    shifted = u / (2 * period) + 0.5 * (row % 2)
    return ((v % period) < 0.25 * period) | ((shifted % 1) < 0.12)


def draw_textures(root, per_split, size, rng):
    """Writes root/SPLIT/CLASS/NNNN.png, `per_split[SPLIT]` images of each class: an ellipse
    of the class's texture in two random colours, anywhere in the frame, turned at random,
    over a noisy colour gradient."""
    y, x = np.mgrid[0:size, 0:size].astype(float)
    for (split, count), name in itertools.product(per_split.items(), CLASSES):
        folder = root / split / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(count):
            a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
            ramp = (x if rng.random() < 0.5 else y)[..., None] / size
            image = a * (1 - ramp) + b * ramp
            r = rng.uniform(0.25, 0.4) * size
            cx, cy = rng.uniform(0.6 * r, size - 0.6 * r, 2)
            angle = rng.uniform(0, np.pi)
            c, s = np.cos(angle), np.sin(angle)
            u, v = (x - cx) * c + (y - cy) * s, (y - cy) * c - (x - cx) * s
            inside = (u / r) ** 2 + (v / (0.75 * r)) ** 2 < 1
            first = texture(name, u, v, rng.uniform(6, 10))
            colours = rng.integers(0, 256, (2, 3))
            image[inside] = np.where(first[inside][:, None], colours[0], colours[1])
            image += rng.normal(0, 10, image.shape)
            Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(folder / f"{i:04}.png")


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
parser.add_argument("--draw", type=Path, help="draw the target dataset here")
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
    draw_textures(args.draw, {"train": 200, "val": 50}, args.size, np.random.default_rng(args.seed))
    print(json.dumps({"classes": CLASSES}))
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
