"""PyTorch eager's side of the training benchmark (`make bench-train`), and the GPU check.

The same work as camwatch's training loop, in plain PyTorch: torchvision's MobileNetV2
(width 0.5, 5 classes), Adam, cross-entropy, train mode.

- step: one training step (forward, backward, optimizer) on a fixed random batch;
- forward: one eval-mode forward of the same batch, no gradients;
- epoch (with --data): one epoch over the image folder's training split with data loading
  (images decoded and resized once, as camwatch does; random resized crop (scale 0.7-1) and
  horizontal flip per epoch, normalization, batching).

Prints medians in seconds (and the epoch's images) as JSON.
"""

import argparse
import json
import os
import pathlib
import statistics
import time

import numpy as np
import torch
import torchvision
from PIL import Image
from torchvision.transforms import v2

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def median_seconds(fn, repeats, sync):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def load_split(root, size):
    """Training images of DIR/train/<class>/* (masks skipped), decoded and resized once."""
    classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
    images, labels = [], []
    for label, name in enumerate(classes):
        for path in sorted((root / "train" / name).iterdir()):
            if path.name.endswith(".mask.png"):
                continue
            image = Image.open(path).convert("RGB").resize((size, size), Image.BILINEAR)
            images.append(torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1))
            labels.append(label)
    return torch.stack(images), torch.tensor(labels)


def reset_peak_rss():
    """Starts peak_rss_mib over from the memory resident now (Linux), as the Rust side does."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def peak_rss_mib():
    """This process's peak resident memory since reset_peak_rss, in MiB (Linux's VmHWM)."""
    with open("/proc/self/status") as f:
        kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    return kib / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=96)
    parser.add_argument("--width", type=float, default=0.5, help="mobilenet_v2's width_mult")
    parser.add_argument("--arch", default="mobilenet_v2", help="mobilenet_v2 or a torchvision ResNet")
    parser.add_argument("--channels-last", action="store_true", help="model and batches in NHWC")
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data", type=pathlib.Path, help="image folder with train/<class>/")
    args = parser.parse_args()
    device = torch.device(args.device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    torch.manual_seed(0)
    if args.arch == "mobilenet_v2":
        model = torchvision.models.mobilenet_v2(num_classes=args.classes, width_mult=args.width)
    else:
        model = getattr(torchvision.models, args.arch)(num_classes=args.classes)
    memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    images = torch.randn(args.batch, 3, args.size, args.size, device=device)
    images = images.contiguous(memory_format=memory_format)
    labels = torch.randint(0, args.classes, (args.batch,), device=device)

    def step(x=images, y=labels):
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    def forward():
        with torch.no_grad():
            model(images)

    model.train()
    result = {
        "arch": args.arch,
        "channels_last": args.channels_last,
        "device": str(device),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "step": median_seconds(step, args.repeats, sync),
    }
    model.eval()
    result["forward"] = median_seconds(forward, args.repeats, sync)
    model.train()
    if args.data:
        pixels, targets = load_split(args.data, args.size)
        augment = v2.Compose(
            [
                v2.RandomResizedCrop(args.size, scale=(0.7, 1.0), antialias=True),
                v2.RandomHorizontalFlip(),
            ]
        )

        def epoch():
            order = torch.randperm(len(pixels))
            for start in range(0, len(order), args.batch):
                index = order[start : start + args.batch]
                batch = torch.stack([augment(pixels[i]) for i in index]).float() / 255
                x = ((batch - MEAN) / STD).to(device).contiguous(memory_format=memory_format)
                step(x, targets[index].to(device))

        sync()
        reset_peak_rss()
        start = time.perf_counter()
        epoch()  # once: the steps above warmed everything up
        sync()
        result["epoch"] = time.perf_counter() - start
        result["epoch_images"] = len(pixels)
        result["epoch_peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
    main()
