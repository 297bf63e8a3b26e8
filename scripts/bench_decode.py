"""PIL's side of `cargo bench -p camwatch-tests --bench decode`: torchvision ImageFolder's loader
(PIL open + convert("RGB")) then transforms.Resize(SIZE), median seconds of REPEATS runs."""
import argparse
import json
import statistics
import time

from PIL import Image
from torchvision import transforms

parser = argparse.ArgumentParser()
parser.add_argument("--image", required=True)
parser.add_argument("--size", type=int, required=True)
parser.add_argument("--repeats", type=int, required=True)
args = parser.parse_args()
resize = transforms.Resize(args.size)


def load():
    with open(args.image, "rb") as f:
        return resize(Image.open(f).convert("RGB"))


load()
times = []
for _ in range(args.repeats):
    start = time.perf_counter()
    load()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": statistics.median(times)}))
