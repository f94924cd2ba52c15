"""A world session: one seed image grown into a 3D cache, stepped by camera actions.

A step is split in two so concurrent sessions can share one pass through the model:
`begin_step` (new pose, splat the cache) -> WorldModel.complete on a batch -> `end_step`
(keep cached pixels, take holes from the model, fuse them back into the cache). `step_many`
runs that for many sessions; `WorldSession.step` is the one-session case.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from PIL import Image

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.actions import CameraAction, apply_action, validate_pose
from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.model.base import WorldModel
from gwm_engine.model.scale import ScaleHint, apply_scale_hint
from gwm_engine.protocol.limits import MAX_PIXELS, MAX_SIDE, MIN_SIDE
from gwm_engine.settings import AHEAD_MODES
from gwm_engine.world.cache import WorldCache
from gwm_engine.world.generate import AheadGenerator, GenerateConfig, generate, seed_views
from gwm_engine.world.layers import ViewLayer
from gwm_engine.world.splat import SplatImage
from gwm_engine.world.walk import PROBE, SceneScale, measure_scale, probe_pose, walkable_move
from gwm_engine.world.worldfile import pack_world, to_ply, unpack_world

MAX_DEPTH_M = 1e5
STAND_STILL = CameraAction()  # step()'s default: no move, a fresh frame


@dataclass
class SessionConfig:
    width: int = 256
    height: int = 256
    fov_deg: float = 60.0  # vertical
    stereo: bool = False
    ipd_m: float = 0.064  # distance between the eyes, stereo only
    points_per_pixel: float = 8.0  # cache capacity per output pixel (per eye)
    walk: bool = False  # relative moves keep clear of surfaces and above the ground (not for VR)
    generate: bool = False  # at creation, generate the surround and what hides behind depth edges (world/generate.py)
    ahead: str = "off"  # generate where the player is heading: "off", "background" or "deterministic" (world/generate.py)

    def validate(self) -> SessionConfig:
        for name in ("width", "height"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise InvalidInput(f"{name} must be a whole number of pixels, got {type(value).__name__} {value!r:.20}")
        for name in ("fov_deg", "ipd_m", "points_per_pixel"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise InvalidInput(f"{name} must be a number, got {type(value).__name__}")
        for name in ("stereo", "walk", "generate"):
            if not isinstance(getattr(self, name), bool):
                raise InvalidInput(f"{name} must be true or false, got {type(getattr(self, name)).__name__}")
        w, h = self.width, self.height
        if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
            raise InvalidInput(f"size {w}x{h} is out of range: each side must be {MIN_SIDE}..{MAX_SIDE}")
        if w * h > MAX_PIXELS:
            raise InvalidInput(f"size {w}x{h} has more than {MAX_PIXELS} pixels (1920x1080)")
        if not (np.isfinite(self.fov_deg) and 10 <= self.fov_deg <= 150):
            raise InvalidInput(f"fov_deg must be in 10..150, got {self.fov_deg}")
        if self.stereo and not (np.isfinite(self.ipd_m) and 0 < self.ipd_m <= 0.5):
            raise InvalidInput(f"ipd_m must be in (0, 0.5], got {self.ipd_m}")
        if self.ahead not in AHEAD_MODES:
            raise InvalidInput(f"ahead must be one of {', '.join(AHEAD_MODES)}, got {self.ahead!r:.30}")
        if not (np.isfinite(self.points_per_pixel) and 1 <= self.points_per_pixel <= 64):
            raise InvalidInput(f"points_per_pixel must be in 1..64, got {self.points_per_pixel}")
        return self

    @property
    def capacity(self) -> int:
        return int(self.points_per_pixel * self.width * self.height * (2 if self.stereo else 1))


@dataclass
class StepFrame:
    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metres
    mask: np.ndarray  # (H, W) bool, True where the cache covered the pixel (not generated)
    pose: np.ndarray  # (4, 4) float64 world-from-camera of this eye
    intrinsics: Intrinsics
    index: int  # steps the session has taken
    timings: dict[str, float] = field(default_factory=dict)  # milliseconds
    right: StepFrame | None = None  # stereo: the right eye; this frame is then the left eye


@dataclass
class PendingStep:
    session: WorldSession
    pose: np.ndarray  # the head pose this step moves to
    eye_poses: list[np.ndarray]
    views: list[SplatImage]
    t0: float
    render_ms: float


def _fit(image: np.ndarray, width: int, height: int, resample: int) -> np.ndarray:
    """Centre-crop to the output aspect ratio, then resize."""
    h, w = image.shape[:2]
    if w * height > h * width:  # too wide
        cw, ch = max(1, round(h * width / height)), h
    else:
        cw, ch = w, max(1, round(w * height / width))
    x0, y0 = (w - cw) // 2, (h - ch) // 2
    crop = image[y0 : y0 + ch, x0 : x0 + cw]
    if crop.shape[:2] == (height, width):
        return np.ascontiguousarray(crop)
    return np.array(Image.fromarray(crop).resize((width, height), resample))


def _check_image(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray):
        raise InvalidInput(f"image must be a numpy array, got {type(image).__name__}")
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=2)
    if image.ndim != 3 or image.shape[2] not in (3, 4):
        raise InvalidInput(f"image must be HxWx3 (or HxWx4), got shape {image.shape}")
    if image.dtype != np.uint8:
        raise InvalidInput(f"image must be uint8, got {image.dtype}")
    if min(image.shape[:2]) < 1:
        raise InvalidInput(f"image is empty: shape {image.shape}")
    return np.ascontiguousarray(image[..., :3])


def _check_depth(depth: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    depth = np.asarray(depth)
    if depth.ndim == 3 and depth.shape[2] == 1:
        depth = depth[..., 0]
    if depth.shape != shape:
        raise InvalidInput(f"depth must be {shape[0]}x{shape[1]} like the image, got shape {depth.shape}")
    if not np.issubdtype(depth.dtype, np.floating):
        raise InvalidInput(f"depth must be float metres, got {depth.dtype}")
    depth = depth.astype(np.float32)
    if not np.all(np.isfinite(depth)):
        raise InvalidInput("depth has NaN or inf values")
    if np.any(depth <= 0) or np.any(depth > MAX_DEPTH_M):
        raise InvalidInput(f"depth must be in (0, {MAX_DEPTH_M:g}] metres; min {depth.min():g}, max {depth.max():g}")
    return depth


def _eye_offsets(config: SessionConfig) -> list[float]:
    return [-config.ipd_m / 2, config.ipd_m / 2] if config.stereo else [0.0]


class WorldSession:
    """Not thread-safe: one step at a time per session (different sessions are independent)."""

    def __init__(self, cache: WorldCache, config: SessionConfig, model: WorldModel, pose: np.ndarray, steps: int = 0):
        self.cache = cache
        self.config = config
        self.model = model
        self.pose = pose
        self.steps = steps
        self.intrinsics = Intrinsics.from_fov(config.width, config.height, config.fov_deg)
        self.scale = _scale_of(cache)
        self.generated: dict = {}  # seed-time generation's figures (generate.generate), where it ran
        self.ahead = AheadGenerator(config.ahead)

    @classmethod
    def create(cls, image: np.ndarray, depth: np.ndarray | None, config: SessionConfig, model: WorldModel,
               scale_hint: ScaleHint | None = None) -> WorldSession:
        """Seed a world from an RGB image (any size; centre-cropped and resized) and optional depth,
        its scale set by `scale_hint` where the user knows it."""
        config.validate()
        image = _check_image(image)
        if depth is not None:
            depth = _fit(_check_depth(depth, image.shape[:2]), config.width, config.height, Image.NEAREST)
        rgb = _fit(image, config.width, config.height, Image.BICUBIC)
        rgb_t = torch.from_numpy(rgb)
        if depth is None:
            with torch.inference_mode():
                depth_t = model.estimate_depth(rgb_t.permute(2, 0, 1)[None].float() / 255, config.fov_deg)[0, 0]
        else:
            depth_t = torch.from_numpy(depth)
        if scale_hint is not None:
            depth_t = apply_scale_hint(depth_t, scale_hint)
        cache = WorldCache(config.capacity)
        intrinsics = Intrinsics.from_fov(config.width, config.height, config.fov_deg)
        cache.add_layer(ViewLayer.from_view(rgb_t, depth_t.float(), START_POSE, intrinsics, rank=0))
        session = cls(cache, config, model, START_POSE.copy())
        if config.generate:
            ahead = GenerateConfig()
            views = seed_views(intrinsics, session.scale.median_depth_m, ahead)
            session.generated = generate(cache, model, intrinsics, views, ahead)
        return session

    # -- stepping -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the start pose: the next frame shows the seed's view again."""
        self.pose = START_POSE.copy()

    def begin_step(self, action: CameraAction) -> PendingStep:
        t0 = time.perf_counter()
        pose = apply_action(self.pose, action)
        if self.config.walk and action.pose is None:
            pose = self._walk(pose)
        self.ahead.keep_ready(self.cache)
        eye_poses = []
        for dx in _eye_offsets(self.config):
            eye = pose.copy()
            eye[:3, 3] += pose[:3, 0] * dx
            eye_poses.append(eye)
        views = [self.cache.render(torch.from_numpy(p).float(), self.intrinsics, self.steps + 1) for p in eye_poses]
        return PendingStep(self, pose, eye_poses, views, t0, (time.perf_counter() - t0) * 1e3)

    def end_step(self, pending: PendingStep, rgb: torch.Tensor, depth: torch.Tensor, complete_ms: float) -> StepFrame:
        """Composite the model's fill (V, 3, H, W) / (V, 1, H, W) into the holes and fuse it."""
        t = time.perf_counter()
        self.steps += 1
        before, self.pose = self.pose, pending.pose
        frames = []
        for i, (view, eye) in enumerate(zip(pending.views, pending.eye_poses)):
            known = view.mask
            whole = bool(known.all())  # the world covers the frame: nothing to take from the fill
            out_rgb = view.rgb if whole else torch.where(known, view.rgb, rgb[i])
            out_depth = view.depth if whole else torch.where(known, view.depth, depth[i])
            rgb8 = (out_rgb.permute(1, 2, 0) * 255 + 0.5).clamp(0, 255).to(torch.uint8)
            self.cache.fuse_view(rgb8, out_depth[0], ~known[0], eye, self.intrinsics, self.steps)
            frames.append(StepFrame(rgb8.numpy(), out_depth[0].numpy(), known[0].numpy(), eye, self.intrinsics, self.steps))
        fused = time.perf_counter()
        self.ahead.plan(self.cache, self.model, self.intrinsics, before, self.pose, self.steps)
        timings = {
            "render": pending.render_ms,
            "complete": complete_ms,
            "fuse": (fused - t) * 1e3,
            "ahead": (time.perf_counter() - fused) * 1e3,
            "total": (time.perf_counter() - pending.t0) * 1e3,
        }
        for f in frames:
            f.timings = timings
        if len(frames) == 2:
            frames[0].right = frames[1]
        return frames[0]

    def _walk(self, pose: np.ndarray) -> np.ndarray:
        """Where a walking body gets on its way to `pose`: a small depth probe along the move
        finds the nearest surface ahead (the probe's centre, where the body goes)."""
        look = probe_pose(self.pose, pose)
        if look is None:
            return pose
        probe = self.cache.render(torch.from_numpy(look).float(), PROBE, step=-1)  # step -1: marks nothing seen
        depth = probe.depth[0]
        hit = probe.mask[0]
        free = float(depth[hit].min()) if bool(hit.any()) else float("inf")
        return walkable_move(self.pose, pose, free, self.scale)

    def step(self, action: CameraAction = STAND_STILL) -> StepFrame:
        result = step_many([(self, action)])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def close(self) -> None:
        """Stop generating ahead for this session (its job still queued is dropped)."""
        self.ahead.close()

    # -- copies, files, export ------------------------------------------------------------------
    def fork(self) -> WorldSession:
        return WorldSession(self.cache.clone(), SessionConfig(**asdict(self.config)), self.model, self.pose.copy(), self.steps)

    def save(self) -> bytes:
        points = {k: v.numpy() for k, v in self.cache.state().items()}
        layers = [
            {"rgb": x.rgb.numpy(), "depth": x.depth.numpy(), "pose": x.pose, "rank": x.rank,
             "fx": x.K.fx, "fy": x.K.fy, "cx": x.K.cx, "cy": x.K.cy}
            for x in self.cache.layers
        ]
        return pack_world(asdict(self.config), self.pose, self.steps, self.cache.capacity, self.model.name, points, layers,
                          self.cache.packed)

    @classmethod
    def load(cls, data: bytes, model: WorldModel) -> WorldSession:
        doc = unpack_world(data)
        try:
            config = SessionConfig(**doc["config"]).validate()
        except TypeError as e:
            raise InvalidInput(f"world file config is malformed: {e}") from None
        if doc["n"] > config.capacity:
            raise InvalidInput(f"world file holds {doc['n']} points, more than its config's capacity of {config.capacity}")
        pose = validate_pose(doc["pose"])
        state = {k: torch.from_numpy(doc[k]) for k in ("xyz", "rgb", "radius", "last_seen", "born")}
        layers = [
            ViewLayer(torch.from_numpy(x["rgb"]), torch.from_numpy(x["depth"]), validate_pose(x["pose"]),
                      Intrinsics(x["fx"], x["fy"], x["cx"], x["cy"], x["rgb"].shape[1], x["rgb"].shape[0]), x["rank"])
            for x in doc["layers"]
        ]
        return cls(WorldCache.from_state(state, config.capacity, layers, doc["packed"]), config, model, pose, doc["steps"])

    def export_ply(self) -> bytes:
        xyz, rgb = self.cache.all_points()
        return to_ply(xyz.numpy(), rgb.numpy())


START_POSE = np.eye(4)


def _scale_of(cache: WorldCache) -> SceneScale:
    """The scale of the world's seed (its first layer), or of its points for a world saved
    before layers."""
    if cache.layers:
        seed = cache.layers[0]
        return measure_scale(seed.xyz, seed.depth, seed.pose)
    xyz = cache.state()["xyz"]
    median = float(xyz.norm(dim=1).median()) if xyz.shape[0] else 1.0
    return measure_scale(torch.zeros(3, 1), torch.full((1, 1), median), START_POSE)


def step_many(pairs: list[tuple[WorldSession, CameraAction]]) -> list[StepFrame | Exception]:
    """Step many sessions with one model call per (model, size, fill) group.

    Each result is a StepFrame or the exception that session raised; one session's bad action or
    failure never touches another's state.
    """
    results: list[StepFrame | Exception | None] = [None] * len(pairs)
    groups: dict[tuple, list[tuple[int, PendingStep]]] = defaultdict(list)
    for i, (session, action) in enumerate(pairs):
        try:
            p = session.begin_step(action)
        except Exception as e:  # noqa: BLE001 - returned to the caller, per session
            results[i] = e
            continue
        groups[(id(session.model), session.config.height, session.config.width, session.ahead.on)].append((i, p))
    for (*_, ahead), members in groups.items():
        model = members[0][1].session.model
        fill = model.quick_fill if ahead else model.complete  # with generation ahead, no network in the frame
        views = [v for _, p in members for v in p.views]
        t = time.perf_counter()
        try:
            with torch.inference_mode():
                rgb, depth = fill(
                    torch.stack([v.rgb for v in views]),
                    torch.stack([v.depth for v in views]),
                    torch.stack([v.mask for v in views]).float(),
                )
        except Exception as e:  # noqa: BLE001
            for i, _ in members:
                results[i] = e
            continue
        complete_ms = (time.perf_counter() - t) * 1e3
        k = 0
        for i, p in members:
            n = len(p.views)
            try:
                results[i] = p.session.end_step(p, rgb[k : k + n], depth[k : k + n], complete_ms)
            except Exception as e:  # noqa: BLE001
                results[i] = e
            k += n
    return results  # type: ignore[return-value]
