"""The default run under each CPU setting the suite must hold on, and what it ends with.

LibTorch picks kernels by instruction set and splits sums across threads, so the same run
differs between machines. This runs `train --num-classes 5` (the generated default dataset)
once under each setting and prints a table: the last epoch's validation accuracy, the first
epoch at 40%, and Grad-CAM's lead over the best baseline map (random, centred Gaussian, Sobel)
on top-20% IoU and the pointing game. Every setting should end at 80% or more with leads of at
least 0.05 IoU and 15 points (BENCHMARKS.md, "The default run on every CPU setting").

Usage (make settings): .venv/bin/python scripts/cpu_settings.py [extra train flags]
Takes about 3 minutes a setting on 2 cores (ATen's default kernels: about 8).
"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
SETTINGS = {
    "this machine's kernels": {},
    "AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2"},
    "AVX2, one thread": {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "1"},
    "ATen default kernels": {"ATEN_CPU_CAPABILITY": "default"},
}


def run(name, env, out, extra):
    subprocess.run(
        [ROOT / "target/release/train", "--num-classes", "5", "--run", name,
         "--reports", out / "reports", "--checkpoints", out / "checkpoints", *extra],
        env={**os.environ, **env}, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )
    history = json.loads((out / "checkpoints" / name / "history.json").read_text())["epochs"]
    last = history[-1]
    metrics = json.loads((out / "reports" / name / f"epoch-{last['epoch']:03}" / "metrics.json").read_text())
    scores = {s["name"]: s for s in metrics["map_scores"]}
    cam = scores.pop(metrics["cam_method"])
    lead = lambda key: cam[key] - max(s[key] for s in scores.values())
    first = next((e["epoch"] for e in history if e["val_accuracy"] >= 0.4), None)
    return last["val_accuracy"], first, lead("iou_top20"), lead("pointing_game")


def main():
    subprocess.run(["cargo", "build", "--release", "-p", "train"], cwd=ROOT, check=True)
    print("| setting | val. accuracy | first epoch at 40% | Grad-CAM lead: IoU | pointing |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for i, (setting, env) in enumerate(SETTINGS.items()):
            accuracy, first, iou, pointing = run(f"setting-{i}", env, pathlib.Path(tmp), sys.argv[1:])
            print(f"| {setting} | {100 * accuracy:.1f}% | {first or 'never'} | {iou:+.2f} | {100 * pointing:+.1f} |", flush=True)


if __name__ == "__main__":
    main()
