"""Seed-time generation: what the seed hides and what lies around it, made once and kept.

The per-frame fill sees one frame at a time: turning, it extends the border a strip a frame,
and a sideways step gets whatever a frame's budget allows. At seed time there is more time.
The world is rendered from views around the seed, and each view's holes are completed by the
model and kept:
- a step to each side and one forward: what those steps reveal behind the seed's depth edges,
  slivers kept as pinned points (never evicted, ranked with the seed: ties go to the seed,
  whose samples come first);
- the surround: views turned left and right (out to at least `yaw_deg`), then down and up,
  each overlapping what was made before it, so the model always has context and a whole turn
  comes from one view rather than from strips; each kept as a layer cropped to what it made
  (a continuous surface: points of one view seen from another view leave a moire of cracks),
  ranked GENERATED_RANK.
Both win over everything the per-frame fill adds later, so coming back shows the same world,
and the views depend on the seed and the camera alone, so one seed always grows one world.

Off by default (`SessionConfig.generate`): with today's small completion network the generated
territory is as blurred as the per-frame fill's, and its layers cost frame time when in view
(benchmarks/RESULTS.md); it is where a larger generator's output goes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from gwm_engine.geometry.actions import CameraAction, apply_action
from gwm_engine.geometry.camera import Intrinsics, unproject
from gwm_engine.model.base import WorldModel
from gwm_engine.world.cache import PINNED, WorldCache
from gwm_engine.world.layers import ViewLayer

# A view with less of it uncovered shows only cracks, which the render's pin-hole passes and the
# per-frame fill close.
MIN_HOLES = 0.005
# Views with more of them uncovered than this (turned views: one broad region) are kept as a
# continuous layer; fewer (steps aside: slivers behind depth edges) as points.
LAYER_HOLES = 0.25
# Between the seed (rank 0) and the first per-frame surfel (raster.priority(1, False) == 2).
GENERATED_RANK = 1


@dataclass(frozen=True)
class GenerateConfig:
    yaw_deg: float = 90.0  # the surround reaches at least this far to each side of the seed's view
    pitch_deg: float = 50.0  # the views down (floor) and up (sky)
    overlap: float = 0.4  # share of each surround view that the one before it already covers
    side_step: float = 0.15  # the sideways and forward steps, as shares of the seed's median depth
    scale: float = 0.5  # generated views' resolution against the session's: the model's fill is smooth below it


def seed_views(K: Intrinsics, median_depth_m: float, config: GenerateConfig) -> list[np.ndarray]:
    """The poses (4x4 world-from-camera, the seed at the identity) to generate from, in order:
    the steps first (small holes behind depth edges, with the most context), then the surround
    outward, each view overlapping the last, then floor and sky with the turned views around them."""
    start = np.eye(4)
    step = config.side_step * median_depth_m
    poses = [apply_action(start, CameraAction(move=m)) for m in ((-step, 0, 0), (step, 0, 0), (0, 0, step))]
    stride = math.degrees(2 * math.atan(0.5 * K.width / K.fx)) * (1 - config.overlap)
    yaw = stride
    while True:
        poses += [apply_action(start, CameraAction(turn=(s * yaw, 0, 0))) for s in (1, -1)]
        if yaw >= config.yaw_deg:
            break
        yaw += stride
    return poses + [apply_action(start, CameraAction(turn=(0, p, 0))) for p in (-config.pitch_deg, config.pitch_deg)]


def generate(cache: WorldCache, model: WorldModel, K: Intrinsics, poses: list[np.ndarray], config: GenerateConfig) -> dict:
    """Render the world at each pose (camera K, at config.scale), complete its holes with `model`
    and keep them. Returns figures: views, views with holes, layers and points made, milliseconds."""
    t = time.perf_counter()
    k = K.scaled(max(8, round(K.width * config.scale)), max(8, round(K.height * config.scale)))
    used, layers, points = 0, len(cache.layers), cache.n
    for pose in poses:
        view = cache.render(torch.from_numpy(pose).float(), k, step=-1)  # step -1: marks nothing seen
        holes = ~view.mask[0]
        share = float(holes.float().mean())
        if share < MIN_HOLES:
            continue
        used += 1
        with torch.inference_mode():
            rgb, depth = model.generate(view.rgb[None], view.depth[None], view.mask[None].float())
        rgb8 = (rgb[0].permute(1, 2, 0) * 255 + 0.5).clamp(0, 255).to(torch.uint8)
        if share < LAYER_HOLES:  # scattered: behind depth edges, as points
            cache.fuse_view(rgb8, depth[0, 0], holes, pose, k, PINNED)
        else:
            _add_layer(cache, rgb8, depth[0, 0], holes, pose, k)
    cache.pack()  # a world saved now loads with its points in the same order
    return {"views": len(poses), "filled": used, "layers": len(cache.layers) - layers, "points": cache.n - points,
            "ms": (time.perf_counter() - t) * 1e3}


def _add_layer(cache: WorldCache, rgb8: torch.Tensor, depth: torch.Tensor, holes: torch.Tensor, pose: np.ndarray,
               K: Intrinsics) -> None:
    """The generated pixels (holes (H, W)) of a view as a layer cropped to them."""
    keep = holes.clone()
    sel = keep.reshape(-1).nonzero().squeeze(1)
    keep.view(-1)[sel[cache.in_free_space(unproject(depth, K, pose, keep))]] = False  # never where the seed saw through
    rows, cols = keep.any(1).nonzero().squeeze(1), keep.any(0).nonzero().squeeze(1)
    if rows.numel() == 0:
        return
    y0, x0 = min(int(rows[0]), K.height - 3), min(int(cols[0]), K.width - 3)
    y1, x1 = max(int(rows[-1]) + 1, y0 + 3), max(int(cols[-1]) + 1, x0 + 3)  # 3 pixels a side at least
    crop = Intrinsics(K.fx, K.fy, K.cx - x0, K.cy - y0, x1 - x0, y1 - y0)
    kept = torch.where(keep, depth, 0.0)[y0:y1, x0:x1].contiguous()
    cache.add_layer(ViewLayer.from_view(rgb8[y0:y1, x0:x1].contiguous(), kept, pose, crop, GENERATED_RANK))
