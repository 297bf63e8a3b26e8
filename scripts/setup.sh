#!/usr/bin/env bash
# One-time, idempotent setup: installs PyTorch 2.9.0 (whose LibTorch burn-tch links against),
# torchvision and grad-cam into a virtualenv in the user cache, and links it into the repo:
#   .libtorch -> <venv>/.../site-packages/torch   (LIBTORCH for the build, rpath at run time)
#   .venv     -> <venv>                          (Python for fixtures and benchmarks)
# Needs python3 with venv and access to PyPI (about 7 GB: the PyPI wheel is the CUDA build,
# which also runs on CPU-only machines). Override the location with CAMWATCH_VENV.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="${CAMWATCH_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/camwatch/venv-torch-2.9.0}"
requirements="$root/scripts/requirements.txt"
stamp="$venv/.camwatch-requirements"

if ! cmp -s "$requirements" "$stamp"; then
    echo "camwatch setup: installing PyTorch 2.9.0, torchvision and grad-cam into $venv (once)" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi
torch_dir=$("$venv/bin/python" -c 'import os, torch; print(os.path.dirname(torch.__file__))')
ln -sfn "$torch_dir" "$root/.libtorch"
ln -sfn "$venv" "$root/.venv"
