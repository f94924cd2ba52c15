"""Time to serialize a 256x256 frame with glibc's default malloc thresholds and with the daemon's.

    .venv/bin/python benchmarks/malloc_tuning.py [--frames 300]

Each run is its own interpreter (the thresholds cannot be undone); every frame allocates fresh
RGB8 + float32 depth + mask buffers, as the daemon does, and only SerializeToString is timed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

import numpy as np

from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.server.malloc_tuning import keep_freed_memory

SIDE = 256
WARM_UP = 50


def median_serialize_ms(frames: int) -> float:
    rng = np.random.default_rng(0)
    times = []
    for i in range(frames):
        frame = pb.Frame(
            seq=i,
            width=SIDE,
            height=SIDE,
            rgb=rng.integers(0, 256, (SIDE, SIDE, 3), np.uint8).tobytes(),
            depth=rng.random((SIDE, SIDE), np.float32).tobytes(),
            mask=np.ones((SIDE, SIDE), np.uint8).tobytes(),
        )
        start = time.perf_counter()
        frame.SerializeToString()
        times.append(time.perf_counter() - start)
    return float(np.median(times[WARM_UP:]) * 1e3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--run", choices=["default", "tuned"], help=argparse.SUPPRESS)  # one child run
    args = parser.parse_args()
    if args.run:
        if args.run == "tuned" and not keep_freed_memory():
            sys.exit("not glibc: the thresholds do not apply here")
        print(f"{median_serialize_ms(args.frames):.3f}")
        return
    for run in ("default", "tuned"):
        command = [sys.executable, __file__, "--run", run, "--frames", str(args.frames)]
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        print(f"{run:8s} median serialize {out.stdout.strip()} ms per {SIDE}x{SIDE} frame")


if __name__ == "__main__":
    main()
