"""PyTorch's side of `cargo bench -p camwatch-tests --bench data_pipeline`: one training epoch of
torchvision's ImageFolder + DataLoader(num_workers=WORKERS) over DATA with torchvision's
training transforms (RandomResizedCrop(SIZE, scale=(MIN_SCALE, 1)), RandomHorizontalFlip,
ToTensor, Normalize), batches of BATCH, shuffled. Prints seconds to scan the folder, seconds of
the epoch, images, and the peak resident memory of the main process and of its largest worker."""
import argparse
import json
import resource
import time

import torch
from torchvision import datasets, transforms

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--size", type=int, required=True)
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--workers", type=int, required=True)
parser.add_argument("--min-scale", type=float, required=True)
args = parser.parse_args()

start = time.perf_counter()
dataset = datasets.ImageFolder(
    args.data,
    transforms.Compose(
        [
            transforms.RandomResizedCrop(args.size, scale=(args.min_scale, 1.0)),
            transforms.RandomHorizontalFlip(),
            transforms.ToTensor(),
            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
        ]
    ),
)
loader = torch.utils.data.DataLoader(
    dataset, batch_size=args.batch, shuffle=True, num_workers=args.workers
)
scanned = time.perf_counter()
images = 0
for batch, labels in loader:
    images += len(labels)
epoch = time.perf_counter() - scanned
print(
    json.dumps(
        {
            "load_seconds": scanned - start,
            "epoch_seconds": epoch,
            "images": images,
            # ru_maxrss is in KiB on Linux; for children, the largest one that has exited.
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )
)
