#!/usr/bin/env bash
# GPU check for a CUDA host. Builds nothing: it runs a release `train` binary built on a CPU
# machine against the host's PyTorch (LibTorch) libraries, then times PyTorch eager on the
# same GPU with the same settings.
#
#   scripts/gpu_check.sh [TRAIN_BINARY] [OUT_DIR]
#
# Steps: generate the textures dataset; train one epoch on cuda (training, validation and the
# epoch's Grad-CAM report all on the GPU); `explain` one image on cuda; PyTorch eager's
# training step, eval forward and epoch (scripts/bench_train.py) at 96 and 224 pixels.
# Everything it prints is also written under OUT_DIR (default: gpu-check/).
set -u
bin=$(realpath "${1:-target/release/train}")
out=$(realpath -m "${2:-gpu-check}")
python=${PYTHON:-python3}
here=$(dirname "$(realpath "$0")")
work=$(mktemp -d)
mkdir -p "$out"
exec > >(tee "$out/gpu_check.log") 2>&1

echo "== host"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
torch_lib=$("$python" -c "import os, torch; print(os.path.join(os.path.dirname(torch.__file__), 'lib'))")
"$python" -c "import torch; print('PyTorch', torch.__version__, 'CUDA', torch.version.cuda)"
export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

echo "== camwatch against this host's LibTorch ($torch_lib)"
if ldd "$bin" | grep "not found"; then
    echo "camwatch cannot load: libraries above are missing"
elif ! "$bin" --help >/dev/null; then
    echo "camwatch cannot start against this LibTorch (it needs the PyTorch version it was built with)"
else
    "$bin" generate "$work/data" --train-per-class 200 --val-per-class 40
    /usr/bin/time -f "wall %e s, max RSS %M KiB" "$bin" --data "$work/data" --num-classes 5 \
        --epochs 1 --device cuda --run gpu --reports "$out/reports" --checkpoints "$work/checkpoints"
    image=$(find "$work/data/val" -name '*.png' ! -name '*.mask.png' | sort | head -1)
    "$bin" explain "$image" --checkpoint "$work/checkpoints/gpu/best.bpk" --device cuda \
        --guided --output "$out/explain"
fi

echo "== PyTorch eager on the same GPU"
for size in 96 224; do
    data=(); [ -d "$work/data" ] && data=(--data "$work/data")
    "$python" "$here/bench_train.py" --device cuda --size "$size" "${data[@]}"
done
rm -rf "$work"
