"""The data randomization test's dataset (Adebayo et al., 2018): a copy of an image-folder
dataset whose training images are dealt to the class folders at random (each class keeps its
number of images; masks travel with their images), and whose validation split is unchanged.

A model trained on it can only memorize. If a method's maps for that model look like its maps
for the model trained on the true labels, the maps do not depend on what the labels taught.

Usage: python3 scripts/permute_labels.py SOURCE DEST [--seed N]
SOURCE holds train/<class>/ and val/<class>/ (like datasets/textures). Standard library only.
"""
import argparse
import pathlib
import random
import shutil

parser = argparse.ArgumentParser()
parser.add_argument("source", type=pathlib.Path)
parser.add_argument("dest", type=pathlib.Path)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

if args.dest.exists():
    raise SystemExit(f"{args.dest} exists; choose a new folder")
train = args.source / "train"
classes = sorted(p.name for p in train.iterdir() if p.is_dir())
images = [
    p
    for c in classes
    for p in sorted((train / c).rglob("*"))
    if p.is_file() and not p.name.endswith(".mask.png")
]
labels = [p.relative_to(train).parts[0] for p in images]
random.Random(args.seed).shuffle(labels)
for number, (image, label) in enumerate(zip(images, labels)):
    target = args.dest / "train" / label / f"{number:05}{image.suffix}"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(image, target)
    mask = image.with_name(image.stem + ".mask.png")
    if mask.exists():
        shutil.copy2(mask, target.with_name(target.stem + ".mask.png"))
shutil.copytree(args.source / "val", args.dest / "val")
moved = sum(p.relative_to(train).parts[0] != l for p, l in zip(images, labels))
print(f"{len(images)} training images dealt to {len(classes)} classes at random "
      f"({moved} moved to another class); validation copied unchanged")
