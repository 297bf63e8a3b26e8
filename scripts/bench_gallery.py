"""PyTorch's side of `cargo bench -p camwatch-tests --bench gallery`: the gallery loop written with
torchvision and pytorch-grad-cam, over an ImageFolder test folder at SIZE px.

`--save-model PATH` writes the benchmark's model (torchvision MobileNetV2, or --arch, width 1, 5 classes,
seed 0) and exits. Otherwise, per batch of BATCH images from DataLoader(num_workers=WORKERS)
with torchvision's evaluation transform (Resize(SIZE*256/224), CenterCrop(SIZE), Normalize):
Grad-CAM at features.18 for the predicted and for the true class (two pytorch-grad-cam calls),
and per image what `train gallery` writes: the picture as the model saw it (JPEG, quality 90),
both maps as 32-px JET PNGs and as one [2, 32, 32] .npy, and a row of predictions.csv with
the top-5 probabilities. Prints the images and the peak resident memory of the main process and
of its largest worker as JSON; the caller times the whole process."""
import argparse
import csv
import json
import os
import resource

os.environ.setdefault("TQDM_DISABLE", "1")
import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torchvision  # noqa: E402
from PIL import Image  # noqa: E402
from pytorch_grad_cam import GradCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
SIDE = 32

parser = argparse.ArgumentParser()
parser.add_argument("--save-model")
parser.add_argument("--arch", default="mobilenet_v2", help="mobilenet_v2 or a torchvision ResNet")
parser.add_argument("--data")
parser.add_argument("--checkpoint")
parser.add_argument("--out")
parser.add_argument("--size", type=int, default=224)
parser.add_argument("--batch", type=int, default=32)
parser.add_argument("--workers", type=int, default=2)
args = parser.parse_args()

if args.save_model:
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.arch)(num_classes=5)
    torch.save(model.state_dict(), args.save_model)
    print(json.dumps({"saved": args.save_model}))
    raise SystemExit

model = getattr(torchvision.models, args.arch)(num_classes=5)
model.load_state_dict(torch.load(args.checkpoint))
model.eval()
# pytorch-grad-cam's README: features[-1] for MobileNet, layer4[-1] for ResNets.
layer = model.features[-1] if args.arch == "mobilenet_v2" else model.layer4[-1]
cam = GradCAM(model=model, target_layers=[layer])
dataset = datasets.ImageFolder(
    args.data,
    transforms.Compose(
        [
            transforms.Resize(round(args.size * 256 / 224)),
            transforms.CenterCrop(args.size),
            transforms.ToTensor(),
            transforms.Normalize(MEAN, STD),
        ]
    ),
)
loader = torch.utils.data.DataLoader(dataset, batch_size=args.batch, num_workers=args.workers)
for sub in ["images", "maps"]:
    os.makedirs(os.path.join(args.out, sub), exist_ok=True)
mean, std = torch.tensor(MEAN).view(3, 1, 1), torch.tensor(STD).view(3, 1, 1)
rows, index = [], 0
for inputs, labels in loader:
    predicted_maps = cam(input_tensor=inputs, targets=None)
    probabilities = torch.softmax(cam.outputs, dim=1).detach()
    predicted = probabilities.argmax(dim=1)
    true_maps = cam(input_tensor=inputs, targets=[ClassifierOutputTarget(int(y)) for y in labels])
    for i in range(len(labels)):
        stem = os.path.join(args.out, "{}", f"{index:05}")
        picture = ((inputs[i] * std + mean).clamp(0, 1) * 255).byte().permute(1, 2, 0).numpy()
        Image.fromarray(picture).save(stem.format("images") + ".jpg", quality=90)
        small = []
        for which, maps in [("pred", predicted_maps), ("true", true_maps)]:
            map_ = cv2.resize(maps[i], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
            small.append(map_)
            heat = cv2.applyColorMap(np.uint8(255 * map_), cv2.COLORMAP_JET)
            cv2.imwrite(stem.format("maps") + f".{which}.png", heat)
        np.save(stem.format("maps") + ".npy", np.stack(small).astype(np.float32))
        top = probabilities[i].topk(5)
        rows.append(
            [index, dataset.samples[index][0], int(labels[i]), int(predicted[i])]
            + [f"{c}:{p:.4f}" for p, c in zip(top.values.tolist(), top.indices.tolist())]
        )
        index += 1
with open(os.path.join(args.out, "predictions.csv"), "w", newline="") as f:
    csv.writer(f).writerows(rows)
print(
    json.dumps(
        {
            "images": index,
            # ru_maxrss is in KiB on Linux; for children, the largest one that has exited.
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "worker_peak_rss_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        }
    )
)
