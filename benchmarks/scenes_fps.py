"""Frames per second of the procedural scene renderer, per family, on 2 CPU threads.

Prints a table per supersampling setting; writes nothing. Poses come from walk trajectories (the training-data use).
Each scene is warmed up first (its shadow map is built once per scene), then each batch is
timed several times and the fastest run counts, as timeit does: on a shared machine the
slower runs measure the neighbours, not the renderer.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from gwm_engine.geometry import Intrinsics
from gwm_engine.scenes import FAMILIES, make_scene, make_trajectory

SEEDS = (0, 1, 2)
FOV = 70.0
CASES = ((128, 64, 5), (256, 16, 3))  # (image size, batch, timed runs)


def fps(family: str, size: int, batch: int, runs: int, supersample: int) -> float:
    K = Intrinsics.from_fov(size, size, FOV)
    seconds = 0.0
    for seed in SEEDS:
        scene = make_scene(family, seed)
        poses = np.stack(make_trajectory(scene, "walk", steps=batch, seed=seed).poses)
        scene.render(poses, K, supersample)
        best = float("inf")
        for _ in range(runs):
            start = time.perf_counter()
            scene.render(poses, K, supersample)
            best = min(best, time.perf_counter() - start)
        seconds += best
    return batch * len(SEEDS) / seconds


def main() -> None:
    torch.set_num_threads(2)
    # supersample=1: one ray per pixel, the bulk training-data setting the 200 fps target is
    # for; 2: the anti-aliased default (4 colour rays + 1 depth ray per pixel).
    for ss in (1, 2):
        print(f"\nsupersample={ss}")
        print(f"{'family':<10}" + "".join(f"{f'{s}x{s} (batch {b})':>22}" for s, b, _ in CASES))
        for family in FAMILIES:
            print(f"{family:<10}" + "".join(f"{fps(family, s, b, r, ss):>18.1f} fps" for s, b, r in CASES))


if __name__ == "__main__":
    main()
