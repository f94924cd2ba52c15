"""Training data: rendered trajectories, replayed through a real world session.

A trajectory is rendered once (exact RGB-D at every pose; cheap to keep in shards). A sample is
made by replaying it through `WorldSession` exactly as inference runs it: seeded from the first
frame, stepped by absolute poses, each hole fused back, so the splatted input (coverage,
disocclusions, magnified surfels, new territory) has the distribution the networks meet at run
time. Replays fuse ground truth (a perfect completer), the pull-push fill (so the cache holds
the smears a real completer leaves), or, when training provides it, the completion network's
own fill: then it learns to continue from its own earlier fills, as it must at run time.
Striding the replay (every 1st..8th pose) gives hole sizes from slivers to a third of the frame.

Seeds below HELD_OUT_SEEDS are never trained on: evaluation uses them.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from gwm_engine.geometry.actions import CameraAction
from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.model.classical import fill_holes
from gwm_engine.scenes import FAMILIES, KINDS, make_scene, make_trajectory
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.scenes.style import STYLES, stylise
from gwm_engine.scenes.texture_library import TextureLibrary
from gwm_engine.scenes.views import seed_view, sky_mask
from gwm_engine.training.config import PER_SHARD
from gwm_engine.world.session import SessionConfig, WorldSession

HELD_OUT_SEEDS = 1000
STRIDES = (1, 2, 3, 4, 6, 8)
SHUFFLE_BUFFER = 48  # samples, about four trajectories' worth


@dataclass(frozen=True)
class DataConfig:
    # A run-time frame size: the networks see it through the same downscale as at run time.
    height: int = 256
    width: int = 256
    steps: int = 24  # poses per trajectory after the start
    fov_deg: tuple[float, float] = (40.0, 90.0)  # vertical, drawn uniformly per trajectory
    supersample: int = 2  # anti-aliased colour, like a camera or the renders users see


@dataclass
class RenderedTrajectory:
    rgb: np.ndarray  # (T, H, W, 3) uint8
    depth: np.ndarray  # (T, H, W) float16 metres
    poses: np.ndarray  # (T, 4, 4) float64 world-from-camera; poses[0] is the seed view
    fov_deg: float
    family: str
    scene_seed: int


def render_trajectory(index: int, config: DataConfig = DataConfig(), base_seed: int = 0) -> RenderedTrajectory:
    """Training trajectory `index`: its family, scene seed (>= HELD_OUT_SEEDS), kind and fov all
    follow from (base_seed, index)."""
    rng = np.random.default_rng([base_seed, index])
    family = FAMILIES[index % len(FAMILIES)]
    scene = make_scene(family, HELD_OUT_SEEDS + int(rng.integers(0, 2**31 - HELD_OUT_SEEDS)))
    return render_scene_trajectory(scene, str(rng.choice(KINDS)), int(rng.integers(0, 2**31)), float(rng.uniform(*config.fov_deg)), config)


def render_scene_trajectory(scene, kind: str, seed: int, fov_deg: float, config: DataConfig = DataConfig()) -> RenderedTrajectory:
    traj = make_trajectory(scene, kind, config.steps, seed)
    poses = np.stack([traj.start, *traj.poses])
    rgb, depth = scene.render(poses, Intrinsics.from_fov(config.width, config.height, fov_deg), supersample=config.supersample)
    rgb8 = (rgb * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
    return RenderedTrajectory(rgb8, depth.numpy().astype(np.float16), poses, fov_deg, scene.family, scene.seed)


def save_shard(path: Path, trajectories: list[RenderedTrajectory]) -> None:
    np.savez(
        path,
        rgb=np.stack([t.rgb for t in trajectories]),
        depth=np.stack([t.depth for t in trajectories]),
        poses=np.stack([t.poses for t in trajectories]),
        fov_deg=np.array([t.fov_deg for t in trajectories]),
        family=np.array([t.family for t in trajectories]),
        scene_seed=np.array([t.scene_seed for t in trajectories]),
    )


def write_shards(
    out_dir: Path, trajectories: int, per_shard: int = PER_SHARD, workers: int = 1, config: DataConfig = DataConfig(), base_seed: int = 0,
    progress=None,
) -> list[Path]:
    """Render trajectories [0, trajectories) into shard files of `per_shard`; existing shards
    are kept, so an interrupted run resumes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(out_dir / f"shard-{base_seed}-{i:05d}.npz", range(i * per_shard, min(trajectories, (i + 1) * per_shard)), config, base_seed)
            for i in range(-(-trajectories // per_shard))]
    todo = [j for j in jobs if not j[0].exists()]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_write_shard, todo):
                if progress:
                    progress()
    else:
        for job in todo:
            _write_shard(job)
            if progress:
                progress()
    return [j[0] for j in jobs]


def _write_shard(job: tuple[Path, range, DataConfig, int]) -> None:
    path, indices, config, base_seed = job
    torch.set_num_threads(1)
    tmp = path.with_suffix(".tmp.npz")  # np.savez appends .npz to names without it
    save_shard(tmp, [render_trajectory(i, config, base_seed) for i in indices])
    tmp.rename(path)


def load_shard(path: Path) -> list[RenderedTrajectory]:
    with np.load(path) as z:
        return [
            RenderedTrajectory(
                z["rgb"][i], z["depth"][i], z["poses"][i], float(z["fov_deg"][i]), str(z["family"][i]), int(z["scene_seed"][i])
            )
            for i in range(len(z["fov_deg"]))
        ]


@dataclass
class Sample:
    """One completion example and one seed-depth example, CHW float32 tensors."""

    rgb: torch.Tensor  # (3, H, W) splatted colour, holes unfilled
    depth: torch.Tensor  # (1, H, W) splatted depth
    mask: torch.Tensor  # (1, H, W) 1 where the cache covered the pixel
    target_rgb: torch.Tensor  # (3, H, W) ground truth at the pose
    target_depth: torch.Tensor  # (1, H, W)
    fov_deg: float


# (rgb (B, 3, H, W), depth (B, 1, H, W), mask (B, 1, H, W)) -> filled rgb, depth: a completer.
Fill = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


def replay(traj: RenderedTrajectory, stride: int, fill: Fill | None = None) -> Iterator[Sample]:
    """Step a world session seeded from frame 0 through every `stride`-th pose. Holes are fused
    back from ground truth, or from `fill`'s answer: then later views also hold the smears a
    real completer leaves in the cache, as they do at run time."""
    T, H, W, _ = traj.rgb.shape
    config = SessionConfig(width=W, height=H, fov_deg=traj.fov_deg)
    seed_depth = traj.depth[0].astype(np.float32)
    session = WorldSession.create(traj.rgb[0], seed_depth, config, model=None)  # type: ignore[arg-type]
    world_from_seed = np.linalg.inv(traj.poses[0])
    for i in range(stride, T, stride):
        pending = session.begin_step(CameraAction(pose=world_from_seed @ traj.poses[i]))
        view = pending.views[0]
        target_rgb = torch.from_numpy(traj.rgb[i]).permute(2, 0, 1).float() / 255
        target_depth = torch.from_numpy(traj.depth[i].astype(np.float32))[None]
        mask = view.mask.float()
        yield Sample(view.rgb, view.depth, mask, target_rgb, target_depth, traj.fov_deg)
        fused_rgb, fused_depth = fill(view.rgb[None], view.depth[None], mask[None]) if fill else (target_rgb[None], target_depth[None])
        session.end_step(pending, fused_rgb, fused_depth, 0.0)


def augment_colour(rng: np.random.Generator, *images: torch.Tensor) -> list[torch.Tensor]:
    """The same random camera response for each (3, H, W) image: gain per channel, contrast,
    saturation and gamma, so the networks do not learn the renderer's palette."""
    gain = torch.tensor(rng.uniform(0.75, 1.25, 3), dtype=torch.float32).view(3, 1, 1)
    contrast, saturation, gamma = rng.uniform(0.7, 1.3), rng.uniform(0.4, 1.5), math.exp(rng.uniform(-0.35, 0.35))
    out = []
    for x in images:
        x = (x * gain).clamp(0, 1) ** gamma
        grey = x.mean(0, keepdim=True)
        x = grey + (x - grey) * saturation
        x = 0.5 + (x - 0.5) * contrast  # about mid-grey, not the mean: the same map for every image
        out.append(x.clamp(0, 1))
    return out


class TrajectoryDataset(torch.utils.data.IterableDataset):
    """Endless samples: from the shard files in `shards` when given (listed again on every pass,
    so training can start while `gwm-engine data` is still writing them), else rendered on the
    fly. Each worker of each rank draws its own stream (seeded by base_seed, rank, worker).

    `own_fill`: the network being trained, as a completer; `own_fill_share` of the replays fuse
    its fills, the rest ground truth or pull-push in equal parts. In loader worker processes it
    is the network as it was when the workers started."""

    def __init__(self, shards: Path | None, config: DataConfig = DataConfig(), base_seed: int = 0, rank: int = 0, world_size: int = 1,
                 own_fill: Fill | None = None, own_fill_share: float = 0.0):
        super().__init__()
        self.shards, self.config, self.base_seed, self.rank, self.world_size = shards, config, base_seed, rank, world_size
        self.own_fill, self.own_fill_share = own_fill, own_fill_share if own_fill else 0.0

    def _trajectories(self, rng: np.random.Generator, stream: int, streams: int) -> Iterator[RenderedTrajectory]:
        if self.shards is not None:
            while True:
                found = sorted(self.shards.glob("shard-*[0-9].npz"))
                if not found:
                    raise FileNotFoundError(f"no shards in {self.shards}: write them with `gwm-engine data`")
                mine = found[stream::streams] or found
                for i in rng.permutation(len(mine)):
                    yield from load_shard(mine[i])
        index = stream
        while True:
            yield render_trajectory(index, self.config, self.base_seed)
            index += streams

    def __iter__(self) -> Iterator[dict[str, torch.Tensor]]:
        torch.set_num_threads(1)
        info = torch.utils.data.get_worker_info()
        worker, workers = (info.id, info.num_workers) if info else (0, 1)
        stream, streams = self.rank * workers + worker, self.world_size * workers
        rng = np.random.default_rng([self.base_seed, 1, stream])
        # Consecutive samples come from one trajectory: a shuffle buffer mixes several into
        # each batch, which would otherwise hold one scene seen from neighbouring poses.
        buffer: list[dict[str, torch.Tensor]] = []
        for sample in self._samples(rng, stream, streams):
            buffer.append(sample)
            if len(buffer) >= SHUFFLE_BUFFER:
                yield buffer.pop(int(rng.integers(len(buffer))))

    def _samples(self, rng: np.random.Generator, stream: int, streams: int) -> Iterator[dict[str, torch.Tensor]]:
        for traj in self._trajectories(rng, stream, streams):
            stride = int(rng.choice(STRIDES))
            r = rng.random()
            fill = self.own_fill if r < self.own_fill_share else (fill_holes if r < (1 + self.own_fill_share) / 2 else None)
            for s in replay(traj, stride, fill):
                if rng.random() > 0.5:  # thin out consecutive, near-identical samples
                    continue
                rgb, target_rgb = augment_colour(rng, s.rgb, s.target_rgb)
                sample = {"rgb": rgb, "depth": s.depth, "mask": s.mask, "target_rgb": target_rgb,
                          "target_depth": s.target_depth, "fov_deg": torch.tensor(s.fov_deg)}
                if rng.random() < 0.5:  # mirror: the world has no handedness
                    sample = {k: v.flip(-1) if v.ndim == 3 else v for k, v in sample.items()}
                yield sample


# ---------------------------------------------------------------------------------------------
# Seed views: single frames of every family for the seed-depth network, which never needs a
# replay. Rendered at the working size (the colour anti-aliased from 2x2 rays, as the run-time
# area downscale of a larger frame would give), with exact depth and the sky mask.


@dataclass(frozen=True)
class SeedViewConfig:
    size: int = 128  # square views at the small preset's working side
    views_per_scene: int = 4  # views share a scene's build and shadow map
    supersample: int = 2
    stylised: float = 0.2  # share of views drawn as concept art (scenes/style.py)
    # A texture library (scenes/texture_library.py), whose images then cover about this share of
    # the scenes' textured materials. The same scenes and cameras as without one.
    textures: str | None = None
    texture_share: float = 0.5


@dataclass
class SeedViews:
    rgb: np.ndarray  # (N, S, S, 3) uint8
    depth: np.ndarray  # (N, S, S) float16 metres (the sky at its dome distance)
    sky: np.ndarray  # (N, S, S) bool
    fov_deg: np.ndarray  # (N,)
    family: np.ndarray  # (N,) str
    scene_seed: np.ndarray  # (N,)


@lru_cache(maxsize=1)
def _texture_images(path: str) -> torch.Tensor:
    return TextureLibrary.load(path).images


def render_seed_views(scene, rng: np.random.Generator, config: SeedViewConfig = SeedViewConfig()) -> SeedViews:
    """`config.views_per_scene` seed views of `scene` (scenes.views.seed_view), its materials
    first given `config.textures`'s images where that is set (drawn from the scene's seed, not
    from `rng`, so the cameras are the same either way)."""
    if config.textures:
        images = _texture_images(config.textures)
        rng_textures = np.random.default_rng([ALL_FAMILIES.index(scene.family), scene.seed, 3])
        scene.materials = scene.materials.with_images(images, rng_textures, config.texture_share)
    rgbs, depths, skies, fovs = [], [], [], []
    for _ in range(config.views_per_scene):
        pose, fov = seed_view(scene, rng)
        K = Intrinsics.from_fov(config.size, config.size, fov)
        rgb, depth = scene.render(pose, K, supersample=config.supersample)
        if rng.random() < config.stylised:
            rgb = stylise(rgb, depth, str(rng.choice(STYLES)), rng)
        rgbs.append((rgb * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy())
        depths.append(depth.numpy().astype(np.float16))
        skies.append(sky_mask(depth, pose, K).numpy())
        fovs.append(fov)
    n = config.views_per_scene
    return SeedViews(np.stack(rgbs), np.stack(depths), np.stack(skies), np.array(fovs),
                     np.array([scene.family] * n), np.array([scene.seed] * n))


def _seed_view_shard(job: tuple[Path, range, SeedViewConfig, int]) -> None:
    path, indices, config, base_seed = job
    torch.set_num_threads(1)
    parts = []
    for i in indices:
        rng = np.random.default_rng([base_seed, 2, i])
        family = ALL_FAMILIES[i % len(ALL_FAMILIES)]
        scene = make_scene(family, HELD_OUT_SEEDS + int(rng.integers(0, 2**31 - HELD_OUT_SEEDS)))
        parts.append(render_seed_views(scene, rng, config))
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **{k: np.concatenate([getattr(p, k) for p in parts]) for k in SeedViews.__dataclass_fields__})
    tmp.rename(path)


def write_seed_view_shards(out_dir: Path, scenes: int, per_shard: int = 32, workers: int = 1,
                           config: SeedViewConfig = SeedViewConfig(), base_seed: int = 0, progress=None) -> list[Path]:
    """Seed views of `scenes` training scenes (every family in turn, seeds >= HELD_OUT_SEEDS)
    into shards of `per_shard` scenes; existing shards are kept, so an interrupted run resumes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(out_dir / f"views-{base_seed}-{i:05d}.npz", range(i * per_shard, min(scenes, (i + 1) * per_shard)), config,
             base_seed)
            for i in range(-(-scenes // per_shard))]
    todo = [j for j in jobs if not j[0].exists()]
    if workers > 1:
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(workers) as pool:
            for _ in pool.imap_unordered(_seed_view_shard, todo):
                if progress:
                    progress()
    else:
        for job in todo:
            _seed_view_shard(job)
            if progress:
                progress()
    return [j[0] for j in jobs]


def add_seed_view_arguments(p: argparse.ArgumentParser) -> None:
    """The training commands' options for rendering their seed views first (render_seed_view_arguments)."""
    p.add_argument("--scenes", type=int, default=0, help="first render seed views of this many training scenes into --data "
                   "(shards already there are kept)")
    p.add_argument("--workers", type=int, default=1, help="processes rendering seed views")
    p.add_argument("--textures", help="a texture library (python -m gwm_engine.scenes.texture_library) for the rendered views")
    p.add_argument("--texture-share", type=float, default=SeedViewConfig.texture_share,
                   help="share of the scenes' textured materials that take a library image")


def render_seed_view_arguments(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Render what add_seed_view_arguments asked for into args.data; bad values end the command
    through p.error (exit 2)."""
    if args.scenes < 0 or args.workers < 1 or not 0 <= args.texture_share <= 1:
        p.error("--scenes must be at least 0, --workers at least 1 and --texture-share between 0 and 1")
    if args.textures is not None and not Path(args.textures).is_file():
        p.error(f"texture library not found: {args.textures}")
    if args.scenes:
        config = SeedViewConfig(textures=args.textures, texture_share=args.texture_share)
        write_seed_view_shards(args.data, args.scenes, per_shard=18, workers=args.workers, config=config)


def load_seed_views(paths: list[Path]) -> SeedViews:
    """Every view of the shard files, in one set."""
    parts = []
    for path in paths:
        with np.load(path) as z:
            parts.append(SeedViews(**{k: z[k] for k in SeedViews.__dataclass_fields__}))
    return SeedViews(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in SeedViews.__dataclass_fields__})


VALIDATION_SEEDS = 500  # held-out scene seeds from here up select models; those below score them


def held_out_seed_views(scenes_per_family: int, first_seed: int = 0,
                        config: SeedViewConfig = SeedViewConfig(views_per_scene=1, stylised=0.0),
                        families: tuple[str, ...] = ALL_FAMILIES) -> SeedViews:
    """One seed view of scene seeds first_seed.. of every family (never trained on), each view
    drawn by a generator of its own (family, seed), so any subset of them is reproducible."""
    assert first_seed + scenes_per_family <= HELD_OUT_SEEDS
    parts = []
    for family in families:
        for seed in range(first_seed, first_seed + scenes_per_family):
            rng = np.random.default_rng([ALL_FAMILIES.index(family), seed, 7])
            parts.append(render_seed_views(make_scene(family, seed), rng, config))
    return SeedViews(**{k: np.concatenate([getattr(p, k) for p in parts]) for k in SeedViews.__dataclass_fields__})


def validation_views(scenes_per_family: int) -> SeedViews:
    """Views for choosing among training runs: scene seeds VALIDATION_SEEDS and up."""
    return held_out_seed_views(scenes_per_family, VALIDATION_SEEDS)


def generation_mask(depth: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """(1, H, W) float32, 1 where known, for a view's true depth (1, H, W): the holes generation
    meets (world/generate.py) in a view of what the seed showed. New territory past one side of
    the view (a turn; mostly sideways), the background just behind nearer surfaces on one side or
    both (a step: a near edge uncovers what it hid), or both at once."""
    _, H, W = depth.shape
    known = torch.ones(1, H, W, dtype=torch.bool)
    r = rng.random()
    if r < 0.7:
        side = int(rng.choice(4, p=[0.4, 0.4, 0.1, 0.1]))  # left, right, top, bottom
        n = int(rng.uniform(0.15, 0.6) * (W if side < 2 else H))
        band = [(slice(None), slice(None), slice(0, n)), (slice(None), slice(None), slice(W - n, W)),
                (slice(None), slice(0, n)), (slice(None), slice(H - n, H))][side]
        known[band] = False
    if r > 0.4:
        reach = int(rng.integers(2, max(3, W // 8)))
        padded = torch.nn.functional.pad(depth, (reach, reach), value=float("inf"))
        for direction in [(-1,), (1,), (-1, 1)][int(rng.integers(3))]:
            # The nearest depth within `reach` pixels to that side of each pixel.
            near = torch.stack([padded[..., reach + direction * k: reach + direction * k + W] for k in range(1, reach + 1)]).amin(0)
            known &= ~(depth > 1.15 * near)
    if known.float().mean() > 0.98:  # a view with no near edges: new territory instead
        known[..., : W // 4] = False
    return known.float()
