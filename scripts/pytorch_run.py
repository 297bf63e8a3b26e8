"""Trains a torchvision MobileNetV2 or ResNet (--arch) the way the classic Grad-CAM tutorials do, for `train watch`
to watch (and for its tests, as the oracle):

- `transforms.Resize((s, s))` (the whole frame squashed, no crop), ToTensor, ImageNet's Normalize;
- `nn.DataParallel` (state_dict keys start with `module.`);
- `torch.save(model.state_dict(), OUT/epoch_NNN.pth)` after every epoch (or `--single FILE`,
  one file overwritten every epoch);
- `class_indices.json` ({"0": "checker", ...}) and a metrics.jsonl line per epoch;
- `predictions.json`: PyTorch's own prediction for every validation image after each epoch,
  keyed by the image's path relative to the validation folder.

Usage: python scripts/pytorch_run.py DATA OUT [--epochs 3] [--size 64] [--arch mobilenet_v2]
       [--width 0.35]
DATA holds train/ and val/ class folders.
"""
import argparse
import json
import os
import time
from pathlib import Path

import torch
import torchvision
from torch import nn
from torchvision import datasets, transforms

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("data", type=Path)
parser.add_argument("out", type=Path)
parser.add_argument("--epochs", type=int, default=3)
parser.add_argument("--size", type=int, default=64)
parser.add_argument("--arch", default="mobilenet_v2", help="mobilenet_v2 or a torchvision ResNet: resnet18, ...")
parser.add_argument("--width", type=float, default=0.35, help="mobilenet_v2's width_mult")
parser.add_argument("--batch", type=int, default=16)
parser.add_argument("--lr", type=float, default=1e-3)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--single", help="overwrite this one file every epoch instead")
parser.add_argument("--pause", type=float, default=0.0, help="seconds to wait after each save")
args = parser.parse_args()

torch.manual_seed(args.seed)
args.out.mkdir(parents=True, exist_ok=True)
transform = transforms.Compose([
    transforms.Resize((args.size, args.size)),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
# The generated datasets keep object masks beside the images (NAME.mask.png): not images.
def is_image(path):
    return path.lower().endswith((".png", ".jpg", ".jpeg")) and not path.endswith(".mask.png")


train = datasets.ImageFolder(args.data / "train", transform, is_valid_file=is_image)
val = datasets.ImageFolder(args.data / "val", transform, is_valid_file=is_image)
with open(args.out / "class_indices.json", "w") as f:
    json.dump({str(i): name for i, name in enumerate(train.classes)}, f)
if args.arch == "mobilenet_v2":
    network = torchvision.models.mobilenet_v2(num_classes=len(train.classes), width_mult=args.width)
else:
    network = getattr(torchvision.models, args.arch)(num_classes=len(train.classes))
model = nn.DataParallel(network)
optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
loader = torch.utils.data.DataLoader(train, batch_size=args.batch, shuffle=True)
val_loader = torch.utils.data.DataLoader(val, batch_size=64)
names = [os.path.relpath(path, args.data / "val") for path, _ in val.samples]
predictions = {}
for epoch in range(1, args.epochs + 1):
    started = time.perf_counter()
    model.train()
    seen = correct = loss_sum = 0
    for images, labels in loader:
        optimizer.zero_grad()
        logits = model(images)
        loss = nn.functional.cross_entropy(logits, labels)
        loss.backward()
        optimizer.step()
        seen += len(labels)
        correct += (logits.argmax(1) == labels).sum().item()
        loss_sum += loss.item() * len(labels)
    model.eval()
    with torch.no_grad():
        predicted = torch.cat([model(images).argmax(1) for images, _ in val_loader]).tolist()
    predictions[epoch] = dict(zip(names, predicted))
    with open(args.out / "predictions.json", "w") as f:
        json.dump(predictions, f)
    with open(args.out / "metrics.jsonl", "a") as f:
        f.write(json.dumps({"epoch": epoch, "train_loss": loss_sum / seen, "train_acc": correct / seen}) + "\n")
    target = Path(args.single) if args.single else args.out / f"epoch_{epoch:03d}.pth"
    torch.save(model.state_dict(), target)
    seconds = time.perf_counter() - started
    print(f"epoch {epoch}: train loss {loss_sum / seen:.3f} acc {correct / seen:.3f}, {seconds:.1f} s, saved {target}", flush=True)
    time.sleep(args.pause)
