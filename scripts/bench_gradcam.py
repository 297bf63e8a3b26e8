"""pytorch-grad-cam's side of `cargo bench -p camwatch-tests --bench cam_vs_pytorch`.

Times, on a torchvision network (--arch: mobilenet_v2, resnet18, resnet50, ...; 1000 classes,
random weights) in eval mode: an eval forward, and Grad-CAM maps for the true and the predicted
class of every image (two pytorch-grad-cam calls: one per target set) at each of --layers, the
modules camwatch names (the bench passes the last layer and the last at stride 16: MobileNetV2's
features.18 and features.13; a ResNet's layer4[-1] and layer3[-1], as pytorch-grad-cam's README
recommends; a VGG's features[-1], the last pooling, and the ReLU before it; an EfficientNet's
features[-1] and features.5). Prints medians in seconds as JSON, keyed by the layers' names.
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


def interleaved_medians(functions, repeats):
    """Median seconds of each function, timed in turns after a warm-up of them all, so that
    none profits from running after the others (allocator and oneDNN caches warm up slowly)."""
    for fn in functions.values():
        fn()
    times = {name: [] for name in functions}
    for _ in range(repeats):
        for name, fn in functions.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--arch", default="mobilenet_v2")
    parser.add_argument("--layers", default="features.18,features.13",
                        help="target layers by module name, comma-separated (camwatch's layer names)")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = getattr(torchvision.models, args.arch)(num_classes=1000).eval()
    layers = {name: model.get_submodule(name) for name in args.layers.split(",")}
    images = torch.randn(args.batch, 3, args.size, args.size)
    labels = torch.randint(0, 1000, (args.batch,)).tolist()

    def forward():
        with torch.no_grad():
            model(images)

    def true_and_predicted(layer):
        def run():
            # Hooks live only inside the block, so no other timing runs with them.
            with GradCAM(model=model, target_layers=[layer]) as cam:
                cam(input_tensor=images, targets=[ClassifierOutputTarget(c) for c in labels])
                cam(input_tensor=images, targets=None)

        return run

    functions = {"forward": forward}
    for name, layer in layers.items():
        functions[f"gradcam_{name}"] = true_and_predicted(layer)
    result = {"threads": torch.get_num_threads(), **interleaved_medians(functions, args.repeats)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
