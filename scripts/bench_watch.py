"""PyTorch's side of `cargo bench -p camwatch-tests --bench watch`: PyTorch evaluating one
checkpoint on a folder, as a training script's validation does. torchvision's MobileNetV2
(width 1, the checkpoint's classes) loaded from CHECKPOINT, ImageFolder with the evaluation
transform at SIZE px (Resize(SIZE*256/224), CenterCrop(SIZE), Normalize), DataLoader(batch 32,
num_workers=2), eval mode under no_grad; accuracy and loss over every image. Prints the images,
the accuracy and the peak resident memory of the main process and of its largest worker as JSON;
the caller times the whole process."""
import argparse
import json
import resource

import torch
import torchvision
from torchvision import datasets, transforms

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--checkpoint", required=True)
parser.add_argument("--size", type=int, default=224)
parser.add_argument("--workers", type=int, default=2)
parser.add_argument("--arch", default="mobilenet_v2", help="mobilenet_v2 or a torchvision ResNet")
args = parser.parse_args()

transform = transforms.Compose([
    transforms.Resize(round(args.size * 256 / 224)),
    transforms.CenterCrop(args.size),
    transforms.ToTensor(),
    transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]),
])
dataset = datasets.ImageFolder(args.data, transform)
model = getattr(torchvision.models, args.arch)(num_classes=len(dataset.classes))
model.load_state_dict(torch.load(args.checkpoint))
model.eval()
loader = torch.utils.data.DataLoader(dataset, batch_size=32, num_workers=args.workers)
right = loss = 0.0
with torch.no_grad():
    for images, labels in loader:
        logits = model(images)
        right += (logits.argmax(1) == labels).sum().item()
        loss += torch.nn.functional.cross_entropy(logits, labels, reduction="sum").item()
print(json.dumps({
    "images": len(dataset),
    "accuracy": right / len(dataset),
    "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
