"""Per-frame time of the learned model on each backend that runs here: completion (pull-push +
networks) and the whole world step (render + completion + fusion), against two baselines from
the same run: the classical filler (so "networks add" is what the learned model costs on top of
it) and torch eager on the same device.

    python benchmarks/backends.py [--repeat 60] [--threads 2]

Rows for CUDA, TensorRT (FP16 where the GPU has it) and torch bf16 appear only where a GPU and
their libraries are present; a backend that would fall back to another is skipped, not timed.
"""

from __future__ import annotations

import argparse
import logging

import numpy as np
import torch
from world_step import SIZES, seeded_session, walk_action

from gwm_engine.model import WorldModel, load_model
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.runtime.base import Backend
from gwm_engine.runtime.onnx_backend import CPU, CUDA, TENSORRT, OnnxBackend
from gwm_engine.runtime.torch_backend import TorchBackend, TorchOptions

WARMUP = 5  # steps not timed: allocator warm-up, and TensorRT building its engine for the size


def backends(threads: int) -> list[tuple[str, str, Backend]]:
    """(name, device, backend) for each that can run here; torch first on each device (the baseline)."""
    rows = [("torch", "cpu", TorchBackend(TorchOptions("cpu"))), ("onnx", "cpu", OnnxBackend([CPU], threads=threads))]
    if torch.cuda.is_available():
        rows += [("torch", "cuda", TorchBackend(TorchOptions("cuda"))),
                 ("torch bf16", "cuda", TorchBackend(TorchOptions("cuda", bf16=True)))]
    rows += [("onnx", "cuda", OnnxBackend([CUDA])), ("tensorrt fp16", "cuda", OnnxBackend([TENSORRT, CUDA]))]
    return rows


def time_walk(model: WorldModel, w: int, h: int, steps: int) -> tuple[float, float]:
    """Median ms of (completion, whole step) over a walk that keeps revealing new territory."""
    s = seeded_session(w, h, model)
    rows = [s.step(walk_action(i)).timings for i in range(WARMUP + steps)][WARMUP:]
    return float(np.median([r["complete"] for r in rows])), float(np.median([r["total"] for r in rows]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=60, help="timed steps per backend and size")
    ap.add_argument("--threads", type=int, default=2, help="CPU threads, torch and onnxruntime alike")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    logging.getLogger("gwm_engine.runtime").setLevel(logging.ERROR)  # a skipped backend is said below
    print(f"torch {torch.__version__}, {args.threads} threads, {args.repeat} timed steps\n")
    print("| backend | device | size | complete ms (p50) | step ms (p50) | networks add ms | complete vs torch | step vs torch |")
    print("|---|---|---|---|---|---|---|---|")
    classical = {}
    for w, h in SIZES:
        classical[w, h] = time_walk(load_model("classical"), w, h, args.repeat)
        print(f"| classical (no networks) | cpu | {w}x{h} | {classical[w, h][0]:.1f} | {classical[w, h][1]:.1f} | - | - | - |")
    baseline: dict[tuple[str, tuple[int, int]], tuple[float, float]] = {}
    skipped = []
    for name, device, backend in backends(args.threads):
        model = LearnedModel.load(DEFAULT_WEIGHTS, backend)
        wanted = {"cpu": (CPU, "cpu"), "cuda": (CUDA, TENSORRT, "cuda")}[device]
        if not backend.device.startswith(wanted):
            skipped.append(f"{name} on {device} (would run on {backend.device})")
            continue
        for w, h in SIZES:
            complete_ms, step_ms = time_walk(model, w, h, args.repeat)
            base = baseline.setdefault((device, (w, h)), (complete_ms, step_ms))
            print(f"| {name} | {backend.device} | {w}x{h} | {complete_ms:.1f} | {step_ms:.1f} | "
                  f"{complete_ms - classical[w, h][0]:.1f} | {complete_ms / base[0]:.2f} | {step_ms / base[1]:.2f} |")
    if skipped:
        print("\nskipped: " + "; ".join(skipped))


if __name__ == "__main__":
    main()
