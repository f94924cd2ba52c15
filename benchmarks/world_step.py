"""Per-frame time of a world step (render + completion + fusion), and how time and memory grow
over a 2-minute walk (2,880 steps at 24 fps).

    python benchmarks/world_step.py [--walk-steps 2880] [--threads 2] [--weights classical]

Baselines in the same run: the same render without block frustum culling (every cached point
projected each frame), the straightforward way; the same walk with the seed fused as loose
surfels (the world before issue 17 kept it as a continuous layer: what the layer costs); and the
pull-push fill of the walk's frames as tensor operations (what the compiled loops replaced on
the CPU; they still serve GPUs).
"""

from __future__ import annotations

import argparse
import math
import resource
import time

import numpy as np
import torch
from watertight import as_surfels  # benchmarks/, on the path when run as a script

from gwm_engine.geometry import CameraAction, Intrinsics
from gwm_engine.media import to_rgb8
from gwm_engine.model import WorldModel, load_model
from gwm_engine.model.classical import FAR_M, _pull_push_tensors, pull_push
from gwm_engine.scenes import make_scene
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.splat import composite, point_samples

SIZES = [(256, 256), (640, 360), (1280, 720)]


def walk_action(i: int) -> CameraAction:
    """Forward with a sway, a 90-degree turn every 200 steps: keeps revealing new territory."""
    if i % 200 >= 190:
        return CameraAction(turn=(9.0, 0.0, 0.0))
    return CameraAction(move=(0.0, 0.0, 0.03), turn=(1.2 * math.sin(i / 15), 0.0, 0.0))


def seeded_session(w: int, h: int, model: WorldModel) -> WorldSession:
    scene = make_scene("street", seed=1)
    rgb, depth = scene.render(scene.spawn_pose(), Intrinsics.from_fov(w, h, 60.0))
    return WorldSession.create(to_rgb8(rgb), np.asarray(depth), SessionConfig(w, h), model)


def per_size(steps: int, model: WorldModel) -> None:
    print("| size | render ms | complete ms | fuse ms | step ms (p50) | p90 | naive splat ms | culled/naive "
          "| seed as surfels: render ms | step ms | layer/surfels step |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for w, h in SIZES:
        s = seeded_session(w, h, model)
        rows, naive = [], []
        for i in range(steps):
            f = s.step(walk_action(i))
            rows.append(f.timings)
            if i % 4 == 0:  # the baseline: project every cached point, no culling
                c = s.cache
                t = time.perf_counter()
                cam_from_world = torch.from_numpy(np.linalg.inv(s.pose)).float()
                ids = torch.arange(c.n)
                parts = [p for x in c.layers for p in x.samples(cam_from_world, s.intrinsics)]
                parts += point_samples(c.xyz, c.rgb, c.radius, c.born, ids, cam_from_world, s.intrinsics)
                composite(parts, s.intrinsics)
                naive.append((time.perf_counter() - t) * 1e3)
        surfels = as_surfels(seeded_session(w, h, model))
        before = [surfels.step(walk_action(i)).timings for i in range(steps)][steps // 5 :]
        rows = rows[steps // 5 :]  # skip warm-up
        med = {k: float(np.median([r[k] for r in rows])) for k in rows[0]}
        old = {k: float(np.median([r[k] for r in before])) for k in ("render", "total")}
        p90 = float(np.percentile([r["total"] for r in rows], 90))
        nv = float(np.median(naive))
        print(
            f"| {w}x{h} | {med['render']:.1f} | {med['complete']:.1f} | {med['fuse']:.1f} | {med['total']:.1f} | "
            f"{p90:.1f} | {nv:.1f} | {med['render'] / nv:.2f} | {old['render']:.1f} | {old['total']:.1f} | "
            f"{med['total'] / old['total']:.2f} |"
        )


def fill_table(steps: int, model: WorldModel) -> None:
    """Pull-push of the walk's own frames (their holes), compiled loops against tensor operations."""
    print("| size | holes (median) | pull-push ms, compiled | tensor ops | tensor / compiled |")
    print("|---|---|---|---|---|")
    default = torch.tensor([0.5, 0.5, 0.5, FAR_M])
    for w, h in SIZES:
        s = seeded_session(w, h, model)
        times: dict[str, list[float]] = {"compiled": [], "tensors": []}
        holes = []
        for i in range(steps):
            view = s.begin_step(walk_action(i)).views[0]
            x, m = torch.cat([view.rgb, view.depth])[None], view.mask[None].float()
            holes.append(1 - float(m.mean()))
            for name, fill in (("compiled", pull_push), ("tensors", _pull_push_tensors)):
                t = time.perf_counter()
                fill(x, m, default)
                times[name].append((time.perf_counter() - t) * 1e3)
            s.step(walk_action(i))
        c, t = float(np.median(times["compiled"])), float(np.median(times["tensors"]))
        print(f"| {w}x{h} | {np.median(holes):.3f} | {c:.2f} | {t:.2f} | **{t / c:.1f}** |")


def long_walk(w: int, h: int, steps: int, model: WorldModel) -> None:
    s = seeded_session(w, h, model)
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    totals, points = [], []
    for i in range(steps):
        totals.append(s.step(walk_action(i)).timings["total"])
        points.append(len(s.cache))
    k = max(1, steps // 10)
    first, last = float(np.mean(totals[:k])), float(np.mean(totals[-k:]))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| {w}x{h} | {steps} | {first:.1f} | {last:.1f} | {last / first:.2f} | {points[k]} -> {points[-1]} | "
          f"{s.cache.nbytes / 2**20:.0f} | {len(s.save()) / 2**20:.0f} | {rss - rss0:.0f} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=120, help="steps per size for the per-frame table")
    ap.add_argument("--walk-steps", type=int, default=2880)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weights", default=None, help="model weights; default the bundled model, 'classical' for the filler")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model = load_model(args.weights)
    print(f"torch {torch.__version__}, {args.threads} threads, model {model.name}\n")
    per_size(args.steps, model)
    print()
    fill_table(args.steps // 2, model)
    print("\n| walk size | steps | first 10% ms | last 10% ms | growth (last/first) | points | cache MB | world file MB "
          "| process RSS growth MB |")
    print("|---|---|---|---|---|---|---|---|---|")
    for w, h in [(256, 256), (640, 360)]:
        long_walk(w, h, args.walk_steps, model)


if __name__ == "__main__":
    main()
