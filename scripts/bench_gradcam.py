"""pytorch-grad-cam's side of `cargo bench -p cam --bench cam_vs_pytorch`.

Times, on torchvision's MobileNetV2 (1000 classes, random weights) in eval mode:
an eval forward, and Grad-CAM maps for the true and the predicted class of every image
(two pytorch-grad-cam calls: one per target set) at features.18 and at features.14.
Prints medians in seconds as JSON.
"""

import argparse
import json
import os
import statistics
import time

os.environ.setdefault("TQDM_DISABLE", "1")
import torch  # noqa: E402
import torchvision  # noqa: E402
from pytorch_grad_cam import GradCAM  # noqa: E402
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget  # noqa: E402


def median_seconds(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = torchvision.models.mobilenet_v2(num_classes=1000).eval()
    images = torch.randn(args.batch, 3, args.size, args.size)
    labels = torch.randint(0, 1000, (args.batch,)).tolist()

    def forward():
        with torch.no_grad():
            model(images)

    result = {"threads": torch.get_num_threads(), "forward": median_seconds(forward, args.repeats)}
    for layer in (18, 14):
        cam = GradCAM(model=model, target_layers=[model.features[layer]])

        def true_and_predicted():
            cam(input_tensor=images, targets=[ClassifierOutputTarget(c) for c in labels])
            cam(input_tensor=images, targets=None)

        result[f"gradcam_features.{layer}"] = median_seconds(true_and_predicted, args.repeats)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
