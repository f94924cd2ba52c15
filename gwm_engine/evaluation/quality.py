"""`gwm-engine eval` / benchmarks/quality.py: world-model quality on held-out rendered scenes.

Every model walks the same held-out trajectories (scene seeds below HELD_OUT_SEEDS, never
trained on) in one run, seeded with the exact depth of the first frame so completion is judged
on its own; seed depth is judged separately, on the first frame of every trajectory. Compared:
the learned model, the same generating ahead of the camera (its frames filled without the
network; ahead, the generator where the networks run on a GPU, the per-frame network on a CPU,
as a session does), the classical filler (#2) and no completion at all (holes stay black).

Hole metrics pool every hole pixel of every frame (a frame with three hole pixels does not
weigh as much as one with thirty thousand): a hole is what the frame filled itself. Hole
texture is the high-frequency energy of the fill over the truth's on the same pixels (the
holes' inner pixels, whose Laplacian reads the fill alone): 1 for a fill as detailed as the
truth, near 0 for a blur, which PSNR would rather reward. Unseen
metrics pool what the seed does not show, however it was made (the frame's fill, or an earlier
one, or generation ahead): the same pixels for every row. Depth is scored where the truth is at most
DEPTH_CAP_M away (the KITTI convention): the renderer's sky sits on a 500 m dome, and no
estimate from one image can be held to that.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
import torch

from gwm_engine.evaluation.config import QualityConfig
from gwm_engine.evaluation.generation import format_generation_table, generation_examples, score_fills
from gwm_engine.evaluation.metrics import depth_errors, high_frequency, inner, ssim_map
from gwm_engine.evaluation.seed_depth import SeedDepthEvalConfig, eval_views, format_table, score_model
from gwm_engine.geometry.actions import CameraAction
from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.media import to_rgb8
from gwm_engine.model import WorldModel, load_model
from gwm_engine.scenes import FAMILIES, make_scene, make_trajectory
from gwm_engine.world.session import SessionConfig, WorldSession

DEPTH_CAP_M = 80.0
KINDS = ("walk", "look", "strafe")  # the completion trajectories; loops score revisits


class NoCompletion(WorldModel):
    """Leaves holes black (at a far depth, so what it fuses stays out of the way)."""

    name, version = "none", "-"

    def estimate_depth(self, rgb, fov_deg):
        raise NotImplementedError("no completion has no seed depth")

    def complete(self, rgb, depth, mask):
        return torch.zeros_like(rgb), torch.full_like(depth, 500.0)


class Pool:
    """Sums and counts per (model, metric), so means pool over pixels of many frames."""

    def __init__(self) -> None:
        self.sum: dict[tuple[str, str], float] = defaultdict(float)
        self.count: dict[tuple[str, str], int] = defaultdict(int)

    def add(self, model: str, metric: str, values: np.ndarray) -> None:
        self.sum[model, metric] += float(np.sum(values))
        self.count[model, metric] += int(np.size(values))

    def mean(self, model: str, metric: str) -> float:
        n = self.count.get((model, metric), 0)
        return self.sum[model, metric] / n if n else float("nan")


def _walk(scene, kind: str, seed: int, fov: float, cfg: QualityConfig):
    traj = make_trajectory(scene, kind, cfg.steps, seed)
    poses = np.stack([traj.start, *traj.poses])
    rgb, depth = scene.render(poses, Intrinsics.from_fov(*cfg.size, fov))
    return poses, to_rgb8(rgb), depth.numpy()


def _session(model: WorldModel, rgb8, depth, poses, fov, cfg: QualityConfig, settings: dict):
    """Frames of `model` along `poses`, seeded with the exact depth of the first, with the
    SessionConfig `settings` of its row (generation)."""
    session = WorldSession.create(rgb8[0], depth[0], SessionConfig(*cfg.size, fov_deg=fov, **settings), model)
    seed_from_world = np.linalg.inv(poses[0])
    for pose in poses[1:]:
        yield session.step(CameraAction(pose=seed_from_world @ pose))


def _unseen(rgb8, depth, poses, fov, cfg: QualityConfig, model: WorldModel) -> list[np.ndarray]:
    """Per pose after the first, (H, W) bool: what the seed alone does not show there."""
    seed = WorldSession.create(rgb8[0], depth[0], SessionConfig(*cfg.size, fov_deg=fov), model).cache
    K = Intrinsics.from_fov(*cfg.size, fov)
    seed_from_world = np.linalg.inv(poses[0])
    return [~seed.render(torch.from_numpy(seed_from_world @ p).float(), K, step=-1).mask[0].numpy() for p in poses[1:]]


def run_quality(cfg: QualityConfig | None = None) -> dict:
    cfg = (cfg or QualityConfig()).validate()
    models: dict[str, WorldModel] = {
        "learned": load_model(cfg.weights, cfg.backend, cfg.device, cfg.depth_model, cfg.depth_kind, cfg.inpaint_model),
        "classical": load_model("classical"),
        "none": NoCompletion(),
    }
    # Rows that generate: the inpainting network runs only in generation; "learned ahead" is the
    # learned model generating ahead of the camera (deterministic: the background mode's work at
    # fixed steps), its frames filled without the network.
    generate = {"generate": True} if cfg.inpaint_model is not None else {}
    settings = {"learned": generate, "learned ahead": {**generate, "ahead": "deterministic"}, "classical": {}, "none": {}}
    models = {name: models[name.split()[0]] for name in settings}
    pool = Pool()
    t0 = time.perf_counter()
    rng = np.random.default_rng(2026)
    for family in FAMILIES:
        for i in range(cfg.trajectories):
            scene = make_scene(family, seed=i)  # held out: training seeds start at HELD_OUT_SEEDS
            fov = float(rng.uniform(*cfg.fov_deg))
            poses, rgb8, depth = _walk(scene, KINDS[i % len(KINDS)], i, fov, cfg)
            near = depth[0] <= DEPTH_CAP_M
            unseen = _unseen(rgb8, depth, poses, fov, cfg, models["classical"])
            truth_hf = [high_frequency(x) for x in rgb8]  # the same for every row
            for name in ("learned", "classical"):
                est = models[name].estimate_depth(torch.from_numpy(rgb8[0]).permute(2, 0, 1)[None].float() / 255, fov)
                rel, hit = depth_errors(est[0, 0].numpy()[near], depth[0][near])
                pool.add(name, "seed_absrel", rel)
                pool.add(name, "seed_delta1", hit)
            for name, model in models.items():
                for k, frame in enumerate(_session(model, rgb8, depth, poses, fov, cfg, settings[name]), start=1):
                    err = (frame.rgb.astype(np.float64) - rgb8[k]) ** 2
                    smap = ssim_map(frame.rgb, rgb8[k])
                    hole = ~frame.mask
                    pool.add(name, "mse", err)
                    pool.add(name, "ssim", smap)
                    pool.add(name, "hole_mse", err[hole])
                    pool.add(name, "hole_ssim", smap[hole])
                    pool.add(name, "hole_fraction", hole)
                    fill = inner(hole)
                    pool.add(name, "hole_hf", high_frequency(frame.rgb)[fill])
                    pool.add(name, "hole_hf_true", truth_hf[k][fill])
                    pool.add(name, "unseen_mse", err[unseen[k - 1]])
                    gen = hole & (depth[k] <= DEPTH_CAP_M)
                    rel, hit = depth_errors(frame.depth[gen], depth[k][gen])
                    pool.add(name, "gen_absrel", rel)
                    pool.add(name, "gen_delta1", hit)
            # Revisit: out and back along a loop that ends exactly at the seed pose.
            poses, rgb8, depth = _walk(scene, "loop", i, fov, cfg)
            for name, model in models.items():
                *_, last = _session(model, rgb8, depth, poses, fov, cfg, settings[name])
                pool.add(name, "revisit_mse", (last.rgb.astype(np.float64) - rgb8[0]) ** 2)
    to_db = lambda mse: float(10 * np.log10(255.0**2 / mse)) if mse > 0 else float("inf")  # noqa: E731
    report = {"config": cfg, "wall_s": time.perf_counter() - t0, "models": {}}
    for name in models:
        report["models"][name] = {
            "psnr": to_db(pool.mean(name, "mse")),
            "ssim": pool.mean(name, "ssim"),
            "hole_psnr": to_db(pool.mean(name, "hole_mse")),
            "hole_ssim": pool.mean(name, "hole_ssim"),
            "hole_fraction": pool.mean(name, "hole_fraction"),
            "hole_texture": pool.sum[name, "hole_hf"] / max(pool.sum[name, "hole_hf_true"], 1e-9),
            "unseen_psnr": to_db(pool.mean(name, "unseen_mse")),
            "gen_absrel": pool.mean(name, "gen_absrel"),
            "gen_delta1": pool.mean(name, "gen_delta1"),
            "seed_absrel": pool.mean(name, "seed_absrel"),
            "seed_delta1": pool.mean(name, "seed_delta1"),
            "revisit_psnr": to_db(pool.mean(name, "revisit_mse")),
        }
    report["model_name"] = models["learned"].name
    if cfg.seed_scenes:
        views = eval_views(SeedDepthEvalConfig(cfg.seed_scenes, textures=cfg.textures))
        report["seed_kinds"] = {"learned": score_model(models["learned"], views)}
        if cfg.previous_weights:
            previous = load_model(cfg.previous_weights, backend=cfg.backend, device=cfg.device)
            report["seed_kinds"]["previous"] = score_model(previous, views)
    if cfg.generation_scenes:
        learned = models["learned"]
        fills = {"pull-push": learned.quick_fill, "per-frame network": learned.complete, "generator": learned.generate}
        report["generation"] = score_fills(fills, generation_examples(cfg.generation_scenes))
    report["wall_s"] = time.perf_counter() - t0
    return report


def format_report(report: dict) -> str:
    cfg: QualityConfig = report["config"]
    m = report["models"]
    cols = ("psnr", "ssim", "hole_psnr", "hole_ssim", "hole_texture", "unseen_psnr",
            "gen_absrel", "gen_delta1", "seed_absrel", "seed_delta1", "revisit_psnr")
    heads = ("PSNR dB", "SSIM", "hole PSNR", "hole SSIM", "hole texture", "unseen PSNR",
             "gen AbsRel", "gen d<1.25", "seed AbsRel", "seed d<1.25", "revisit dB")
    n = cfg.trajectories * len(FAMILIES)
    lines = [
        f"held-out rendered trajectories: {n} x {cfg.steps} steps (+ {n} loops), {cfg.size[0]}x{cfg.size[1]}, "
        f"{len(FAMILIES)} families, scene seeds 0..{cfg.trajectories - 1}; "
        f"holes {100 * m['classical']['hole_fraction']:.1f}% of pixels",
        "",
        "| model | " + " | ".join(heads) + " |",
        "| --- |" + " ---: |" * len(heads),
    ]
    for name, row in m.items():
        cells = []
        for c in cols:
            v = row[c]
            cells.append("-" if v != v else (f"{v:.2f}" if "psnr" in c else f"{v:.3f}"))
        label = f"{name} ({report['model_name']})" if name.startswith("learned") else name
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    gain = m["learned"]["hole_psnr"] - m["classical"]["hole_psnr"]
    checks = [
        (f"hole PSNR, learned - classical: {gain:+.2f} dB (target >= +2)", gain >= 2.0),
        (f"hole SSIM, learned / classical: {m['learned']['hole_ssim'] / m['classical']['hole_ssim']:.3f} (target > 1)",
         m["learned"]["hole_ssim"] > m["classical"]["hole_ssim"]),
        (f"hole texture, learned: {m['learned']['hole_texture']:.3f} of the truth's high-frequency energy "
         f"(target >= 0.6; classical {m['classical']['hole_texture']:.3f})", m["learned"]["hole_texture"] >= 0.6),
        (f"seed depth AbsRel, learned: {m['learned']['seed_absrel']:.3f} (target <= 0.15)", m["learned"]["seed_absrel"] <= 0.15),
        (f"revisit PSNR, learned: {m['learned']['revisit_psnr']:.2f} dB (target >= 35)", m["learned"]["revisit_psnr"] >= 35.0),
    ]
    lines += [""] + [f"{'PASS' if ok else 'MISS'}  {text}" for text, ok in checks]
    if "seed_kinds" in report:
        lines += ["", format_table(report["seed_kinds"], SeedDepthEvalConfig(cfg.seed_scenes))]
    if "generation" in report:
        lines += ["", format_generation_table(report["generation"], cfg.generation_scenes)]
    lines.append(f"({report['wall_s']:.0f} s)")
    return "\n".join(lines)
