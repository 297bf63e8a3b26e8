# The two commands of the README. Each runs the one-time setup first when it is needed.
.PHONY: run test setup fixtures bench

# Fine-tune MobileNetV2 on the embedded default dataset, with a Grad-CAM report per epoch.
run: setup
	cargo run --release -p train -- --num-classes 5

# The whole test suite (one optimised build shared with `make run`).
test: setup fixtures
	cargo test --release --workspace

# PyTorch 2.9.0 / LibTorch in the user cache, linked as .libtorch and .venv.
setup:
	@scripts/setup.sh

# torchvision / pytorch-grad-cam reference fixtures for the tests.
fixtures: setup
	@.venv/bin/python scripts/make_fixtures.py
