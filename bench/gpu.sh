#!/usr/bin/env bash
# The GPU figures of issue 12 in one go (about 5 minutes on an H100/H200 machine):
#   1. the forward pass (bench/forward.py): the demo model and unet_256 (random weights) at batch 1, 8, 64,
#      both normalisation modes, fraction of the bf16 FLOP floor, and the official code side by side;
#   2. the live load (bench/sketch_load.py --start): 1, 16 and 64 clients at 15 frames/s against a studio
#      it starts itself, with the studio's own layout (one live worker per 2 cores up to 8, one Daphne per
#      4 cores up to 4) and with one live worker, for the demo model and for unet_256.
# Tables go to bench/out/gpu-<date>.txt (and .json for the loads); paste them into README.md, "Performance".
#
#   bash bench/gpu.sh                      # from the repository root, with .venv set up (README)
#   PYTHON=python3 SECONDS_PER_LOAD=8 bash bench/gpu.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
SECONDS_PER_LOAD=${SECONDS_PER_LOAD:-10}
mkdir -p bench/out
stamp=$(date -u +%Y%m%d-%H%M)
out=bench/out/gpu-$stamp.txt
# Up to 64 frames a forward pass and 64 threads a live worker, so the one-worker runs can batch every client.
export LIVE_MAX_BATCH=${LIVE_MAX_BATCH:-64} LIVE_GPU_DTYPE=${LIVE_GPU_DTYPE:-float16} ATELIER_DEVICE=cuda

{
  echo "# bench/gpu.sh, $(date -u)"
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
  echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "## Forward pass (bench/forward.py)"
  timeout 120 "$PYTHON" bench/forward.py --models landscape-sketch edges2shoes --batches 1 8 64 --device cuda \
    --repeats 20 --reference
  echo
  echo "## Live load, demo model (bench/sketch_load.py)"
  timeout 240 "$PYTHON" bench/sketch_load.py --start --model landscape-sketch --clients 1 16 64 --live-workers 0 1 \
    --seconds "$SECONDS_PER_LOAD" --forward-batches 1 8 64 --json "bench/out/gpu-$stamp-demo.json"
  echo
  echo "## Live load, unet_256 size (edges2shoes, random weights)"
  timeout 150 "$PYTHON" bench/sketch_load.py --start --model edges2shoes --random-weights --clients 1 64 \
    --live-workers 0 --seconds "$SECONDS_PER_LOAD" --forward-batches 1 8 64 --json "bench/out/gpu-$stamp-unet256.json"
} 2>&1 | tee "$out"
echo "written: $out"
