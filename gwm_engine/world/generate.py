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

During play, an `AheadGenerator` (`SessionConfig.ahead`) does the same where the player is
heading: the last step's motion carried on a few steps. Every `ahead_every` steps, the step
renders that view (at config.scale) and hands its holes to the model's `generate_ahead` (the
generator on a GPU, the per-frame network on a CPU, where the generator falls behind); what comes
back is brought to the session's resolution and kept as the per-frame fill's surfels are
(evicted when unseen for long), and frames take only the model's `quick_fill` (no network) for
what is still missing. "background" runs the model on one worker thread shared by the process,
never waited for by a frame, at most `ahead_share` of its time busy; "deterministic" runs it
inside the step, so one seed and one list of actions make one world (tests, eval, fork, save
and load).

Both off by default (`SessionConfig.generate`, `.ahead`): the generator the weights carry
(docs/MODEL_CARD.md) paints cleaner large holes than the per-frame network but still smooth
ones, seed-time layers cost frame time when in view, and on a 2-core CPU generation ahead costs
frames about what it saves them (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gwm_engine.geometry.actions import CameraAction, apply_action
from gwm_engine.geometry.camera import Intrinsics, unproject
from gwm_engine.model.base import WorldModel
from gwm_engine.world.cache import PINNED, WorldCache
from gwm_engine.world.layers import ViewLayer
from gwm_engine.world.splat import SplatImage

log = logging.getLogger(__name__)

Fill = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]  # WorldModel.generate's shape

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
    ahead_lead: int = 3  # generation ahead looks where this many more steps like the last one lead
    ahead_holes: float = 0.02  # ... at views with at least this share uncovered (cracks are the frame's fill's)
    ahead_every: int = 2  # generation ahead after every this many steps (background: when its last job is done)
    ahead_share: float = 0.5  # background mode: the worker's busy time at most this share of the time


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
    k = _scaled(K, config.scale)
    used, layers, points = 0, len(cache.layers), cache.n
    for pose in poses:
        view = _render(cache, pose, k, MIN_HOLES)
        if view is None:
            continue
        used += 1
        rgb8, depth = _fill(model.generate, view)
        holes = ~view.mask[0]
        if float(holes.float().mean()) < LAYER_HOLES:  # scattered: behind depth edges, as points
            cache.fuse_view(rgb8, depth, holes, pose, k, PINNED)
        else:
            _add_layer(cache, rgb8, depth, holes, pose, k)
    return {"views": len(poses), "filled": used, "layers": len(cache.layers) - layers, "points": cache.n - points,
            "ms": (time.perf_counter() - t) * 1e3}


def _scaled(K: Intrinsics, scale: float) -> Intrinsics:
    return K.scaled(max(8, round(K.width * scale)), max(8, round(K.height * scale)))


def _render(cache: WorldCache, pose: np.ndarray, K: Intrinsics, min_holes: float) -> SplatImage | None:
    """The world at `pose`, or None where less than `min_holes` of it is uncovered."""
    view = cache.render(torch.from_numpy(pose).float(), K, step=-1)  # step -1: marks nothing seen
    return view if float((~view.mask).float().mean()) >= min_holes else None


def _fill(fill: Fill, view: SplatImage) -> tuple[torch.Tensor, torch.Tensor]:
    """A model's generation (`generate`, or `generate_ahead` ahead of the player) for a rendered
    view: rgb (H, W, 3) uint8 and depth (H, W) metres."""
    with torch.inference_mode():
        rgb, depth = fill(view.rgb[None], view.depth[None], view.mask[None].float())
    return (rgb[0].permute(1, 2, 0) * 255 + 0.5).clamp(0, 255).to(torch.uint8), depth[0, 0]


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


def ahead_pose(before: np.ndarray, now: np.ndarray, config: GenerateConfig) -> np.ndarray | None:
    """Where the next frames will look, from the head poses one step apart (4x4 world-from-camera):
    the last step's motion carried on `ahead_lead` more times; None when the head did not move.
    Not farther, nor a whole turn to the side: a view whose holes are far from anything known
    comes back from today's network as a grey mean, in panels that do not meet."""
    motion = np.linalg.inv(before) @ now  # the last step, in the camera's frame before it
    if np.allclose(motion, np.eye(4), atol=1e-9):
        return None
    return now @ np.linalg.matrix_power(motion, config.ahead_lead)


class AheadGenerator:
    """One session's generation ahead of the player (module docstring), mode one of AHEAD_MODES.
    The session calls `keep_ready` before each frame's render and `plan` after each step."""

    def __init__(self, mode: str, config: GenerateConfig = GenerateConfig()):
        self.mode = mode
        self.config = config
        self.views = 0  # views generated and kept
        self.model_ms = 0.0  # time the model spent on them
        self._job: Future | None = None

    @property
    def on(self) -> bool:
        return self.mode != "off"

    def keep_ready(self, cache: WorldCache) -> None:
        """Background: keep what a finished job made; one still running is left be."""
        if self._job is None or not self._job.done():
            return
        job, self._job = self._job, None
        if job.cancelled():
            return
        try:
            made = job.result()
        except Exception:  # the frame's own fill covers what it would have made
            log.warning("generation ahead failed; frames fill the view themselves", exc_info=True)
            return
        self._keep(cache, *made)

    def plan(self, cache: WorldCache, model: WorldModel, K: Intrinsics, before: np.ndarray, now: np.ndarray,
             step: int) -> None:
        """After step `step`, which moved the head from `before` to `now`: generate ahead, as the mode says."""
        # Every few steps: the view's render costs a frame about half of its own (a layer's samples are its pixels).
        due = self.on and step % self.config.ahead_every == 0 and (self.mode == "deterministic" or self._job is None)
        if not due or (pose := ahead_pose(before, now, self.config)) is None:
            return
        k = _scaled(K, self.config.scale)
        if (view := _render(cache, pose, k, self.config.ahead_holes)) is None:
            return
        if self.mode == "deterministic":
            self._keep(cache, *self._make(model, view, pose, K, step))
        else:
            self._job = _worker().submit(lambda: self._make(model, view, pose, K, step), self.config.ahead_share)

    def close(self) -> None:
        """Drop a job not yet started; one running finishes on the worker and is never kept."""
        if self._job is not None:
            self._job.cancel()
            self._job = None

    def _make(self, model: WorldModel, view: SplatImage, pose: np.ndarray, K: Intrinsics, step: int) -> tuple:
        """The model's fill of `view` (rendered at a fraction of K's size), brought to K's pixels:
        kept at the view's own, its surfels' radius would follow its larger pixels and spill over
        depth edges (a revisit lost 15 dB, benchmarks/RESULTS.md)."""
        t = time.perf_counter()
        rgb8, depth = _fill(model.generate_ahead, view)
        size = (K.height, K.width)
        up = lambda x: F.interpolate(x[None, None].float(), size=size, mode="nearest")[0, 0]  # noqa: E731
        rgb8 = torch.stack([up(rgb8[..., c]) for c in range(3)], -1).to(torch.uint8)
        depth, holes = up(depth), up(~view.mask[0]) > 0.5
        self.model_ms += (time.perf_counter() - t) * 1e3
        return rgb8, depth, holes, pose, K, step

    def _keep(self, cache: WorldCache, rgb8: torch.Tensor, depth: torch.Tensor, holes: torch.Tensor, pose: np.ndarray,
              K: Intrinsics, step: int) -> None:
        """As made at `step`, the step its view was rendered at: older than the frames' quick fills
        of the same surfaces since (a slow generator's fill replaces them where they meet), newer
        than what that view showed."""
        cache.fuse_view(rgb8, depth, holes, pose, K, step)
        self.views += 1


class _Worker:
    """The process's one generation thread: jobs in order, each followed by a rest so that the
    thread is busy at most the job's `share` of the time, leaving the cores to the frames."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._run, name="gwm-generate-ahead", daemon=True).start()

    def submit(self, fn: Callable[[], tuple], share: float) -> Future:
        future: Future = Future()
        self._jobs.put((future, fn, share))
        return future

    def _run(self) -> None:
        torch.set_num_threads(1)  # no OpenMP helper pool of its own beside the frames' (server/batcher.py)
        while True:
            future, fn, share = self._jobs.get()
            if not future.set_running_or_notify_cancel():
                continue
            t = time.perf_counter()
            try:
                future.set_result(fn())
            except BaseException as e:  # noqa: BLE001 - handed to the session that asked
                future.set_exception(e)
            time.sleep((time.perf_counter() - t) * (1 / share - 1))


_WORKER: _Worker | None = None
_WORKER_LOCK = threading.Lock()


def _worker() -> _Worker:
    global _WORKER
    with _WORKER_LOCK:
        if _WORKER is None:
            _WORKER = _Worker()
        return _WORKER
