"""Runs a .safetensors export in torchvision and prints its logits as JSON (the export oracle).

Usage: torchvision_logits.py MODEL.safetensors NUM_CLASSES WIDTH_MULT INPUTS.safetensors NAME
Loads the weights with load_state_dict(strict=True) and evaluates INPUTS[NAME] in eval mode.
"""

import json
import sys

import torch
import torchvision
from safetensors.torch import load_file


def main():
    model_path, num_classes, width, inputs_path, name = sys.argv[1:]
    model = torchvision.models.mobilenet_v2(num_classes=int(num_classes), width_mult=float(width))
    model.load_state_dict(load_file(model_path), strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(load_file(inputs_path)[name])
    print(json.dumps(logits.tolist()))


if __name__ == "__main__":
    main()
