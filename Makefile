# The two commands of the README. Each runs the one-time setup first when it is needed.
.PHONY: run test test-cpus settings setup test-setup bench bench-train bench-metrics bench-decode bench-data bench-gallery bench-watch bench-finetune

# Fine-tune MobileNetV2 on the embedded default dataset, with a Grad-CAM report per epoch.
run: setup
	cargo run --release -p train -- --num-classes 5

# Clippy on every target with warnings as errors, the whole test suite (one optimised build
# shared with `make run`; doctests and the library example included), then the tests that train
# once more as an AVX2-only CPU with one thread computes: LibTorch picks kernels by instruction
# set and splits sums across threads, so short training runs differ between machines, and the
# tests must hold on any of them. The second pass differs from the first on every host: by
# kernels where the CPU has AVX-512, by thread count where it has AVX2 only. The longest test,
# 60 epochs that find flipped training labels (a quarter of the suite's time), runs in the
# second pass only.
AVX2 := ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
TRAINING_TESTS := cargo test --release -p camwatch-tests --test integration -- shortcut:: train:: sanity:: diagnosis:: resnet::a_narrow resnet::train_arch vgg::a_narrow vgg::train_arch mobilenetv3::a_narrow mobilenetv3::train_arch efficientnet::a_narrow efficientnet::train_arch convnext::a_narrow convnext::train_arch densenet::a_narrow densenet::train_arch
LONGEST := diagnosis::training_images_with_flipped_labels_are_found_by_their_margins
test: setup test-setup
	cargo clippy --release --workspace --all-targets -- -D warnings
	cargo test --release --workspace -- --skip $(LONGEST)
	$(AVX2) OMP_NUM_THREADS=1 $(TRAINING_TESTS)

# The tests that train, under each CPU setting the suite must hold on: this machine's own
# kernels, AVX2 only, and one thread.
test-cpus: setup test-setup
	$(TRAINING_TESTS)
	$(AVX2) $(TRAINING_TESTS)
	OMP_NUM_THREADS=1 $(TRAINING_TESTS)

# The default run under each CPU setting (this machine's kernels, AVX2, AVX2 with one thread,
# ATen's default kernels): final accuracy and Grad-CAM's lead over the baselines, as a table.
settings: setup
	.venv/bin/python scripts/cpu_settings.py

# camwatch against PyTorch / pytorch-grad-cam on this machine (see BENCHMARKS.md).
bench: setup
	cargo bench -p camwatch-tests --bench cam_vs_pytorch

# camwatch's training against PyTorch eager on this machine (see BENCHMARKS.md).
bench-train: setup
	cargo bench -p camwatch-tests --bench train_vs_pytorch

# What each heatmap metric of the per-epoch report costs, as a share of an epoch.
bench-metrics: setup
	cargo bench -p camwatch-tests --bench metrics_cost

# Decoding a 24 MP JPEG for a 224-px model: whole, DCT-scaled, and PIL's ImageFolder loader.
bench-decode: setup
	cargo bench -p camwatch-tests --bench decode

# The training data pipeline on 1,000 and 20,000 photo-like JPEGs at 224 px: streamed, cached,
# and PyTorch's ImageFolder + DataLoader(num_workers=2); time and peak memory.
bench-data: setup
	cargo bench -p camwatch-tests --bench data_pipeline

# `train gallery` on 1,000 photo-like JPEGs at 224 px against the same loop with torchvision and
# pytorch-grad-cam: whole-process time and peak memory.
bench-gallery: setup
	cargo bench -p camwatch-tests --bench gallery

# `train watch` on one checkpoint of 1,000 photos at 224 px against PyTorch's own evaluation of
# it: whole-process time and peak memory.
bench-watch: setup
	cargo bench -p camwatch-tests --bench watch

# Fine-tuning a backbone on classes it never saw: camwatch's --weights defaults against
# PyTorch's transfer-learning tutorial, epoch by epoch.
bench-finetune: setup
	cargo bench -p camwatch-tests --bench finetune

# PyTorch 2.9.0 / LibTorch in the user cache, linked as .libtorch and .venv.
setup:
	@scripts/setup.sh

# Reference fixtures from torchvision / pytorch-grad-cam, and Debian's Chromium, which renders
# the HTML report in a test.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-setup: setup
	@.venv/bin/python scripts/make_fixtures.py
	@.venv/bin/python scripts/resnet_fixtures.py
	@.venv/bin/python scripts/vgg_fixtures.py
	@.venv/bin/python scripts/mobilenetv3_fixtures.py
	@.venv/bin/python scripts/efficientnet_fixtures.py
	@.venv/bin/python scripts/convnext_fixtures.py
	@.venv/bin/python scripts/densenet_fixtures.py
	@command -v chromium >/dev/null || { echo "installing Debian's chromium for the report test" >&2; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }
