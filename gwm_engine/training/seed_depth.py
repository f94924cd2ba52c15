"""Training the seed-depth network on seed views (`data.write_seed_view_shards`): structure and
scale apart.

    python -m gwm_engine.training.seed_depth --data runs/views --scenes 1080 --workers 2 --init gwm-small.pt --out runs/depth

- structure: L1 between the predicted and the true log-depth after removing their mean
  difference (scale-invariant: a room and its doll's-house copy score the same), plus L1 on the
  gradients of that difference at two scales (edges and slopes in the right places);
- scale: L1 of the remaining mean log error, with the structure detached: only the scale head
  learns the metres;
- sky: binary cross-entropy of the sky logit against the renderer's sky mask.

Sky pixels are left out of the depth terms: their "depth" is the dome's. The completion network
and generator of the `--init` file are carried over unchanged into the saved weights.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from gwm_engine.evaluation.seed_depth import score_model
from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M, DepthNet, GroundPriorDepthNet
from gwm_engine.model.learned import LearnedModel, Preset, ray_channels
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.training.data import (
    SeedViews,
    add_seed_view_arguments,
    augment_colour,
    load_seed_views,
    render_seed_view_arguments,
    validation_views,
)
from gwm_engine.training.train import lr_at

WEIGHTS = {"structure": 1.0, "gradient": 0.5, "scale": 1.0, "sky": 0.2}
# The scale head starts from nothing and must learn shifts of several units of log-depth (a
# room's metres against a city's); at the U-Net's fine-tuning rate that took thousands of steps.
SCALE_HEAD_LR = 10.0  # times the base rate


@dataclass
class SeedDepthConfig:
    data: Path = Path("runs/views")
    out: Path = Path("runs/depth")
    init: Path | None = None  # weights file: its completion network, and the depth network to start from
    widths: tuple[int, ...] | None = None  # a depth U-Net of these widths, from scratch; None: the init's
    steps: int = 3000
    batch: int = 16
    lr: float = 5e-4
    warmup: int = 100
    seed: int = 0
    reload_every: int = 250  # steps between re-reading the shard list (data may still be written)
    validate_every: int = 250
    threads: int = 0  # torch threads; 0: torch's default
    bf16: bool = False  # bfloat16 autocast on the CPU: 2-3x faster steps where the CPU has bf16 units
    # Scene kinds drawn this many times as often as the others (the held-out table's worst kinds).
    oversample: dict[str, float] = field(default_factory=dict)


def _gradient(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """Mean |horizontal and vertical differences| of x (B, 1, h, w) where both pixels have w."""
    total, count = x.new_zeros(()), x.new_zeros(())
    for dim in (-1, -2):
        n = x.shape[dim] - 1
        pair = w.narrow(dim, 0, n) * w.narrow(dim, 1, n)
        total = total + (pair * x.diff(dim=dim).abs()).sum()
        count = count + pair.sum()
    return total / count.clamp_min(1.0)


def losses(net: DepthNet, rgb: torch.Tensor, rays: torch.Tensor, depth: torch.Tensor,
           sky: torch.Tensor) -> dict[str, torch.Tensor]:
    """rgb (B, 3, h, w), rays (B, 2, h, w), true depth (B, 1, h, w), sky mask (B, 1, h, w)."""
    structure, shift, sky_logit = net.parts(rgb, rays)
    w = (~sky).float()
    err = structure - torch.log(depth.clamp(MIN_DEPTH_M, MAX_DEPTH_M))  # (B, 1, h, w)
    level = (err * w).sum((2, 3), keepdim=True) / w.sum((2, 3), keepdim=True).clamp_min(1.0)  # (B, 1, 1, 1)
    aligned = err - level
    out = {
        "structure": (aligned.abs() * w).sum() / w.sum().clamp_min(1.0),
        "gradient": _gradient(aligned, w) + _gradient(F.avg_pool2d(aligned * w, 4) / F.avg_pool2d(w, 4).clamp_min(1e-3),
                                                      (F.avg_pool2d(w, 4) > 0.99).float()),
        "scale": (level.detach() + shift).abs().mean(),
        "sky": F.binary_cross_entropy_with_logits(sky_logit, sky.float()),
    }
    out["loss"] = sum(WEIGHTS[k] * v for k, v in out.items())
    return out


def batches(views: SeedViews, batch: int, rng: np.random.Generator, oversample: dict[str, float] | None = None):
    """Endless augmented batches: (rgb, rays, depth, sky), mirrored half the time."""
    n, size = len(views.fov_deg), views.rgb.shape[1]
    weight = np.array([oversample.get(str(f), 1.0) for f in views.family]) if oversample else None
    while True:
        idx = rng.choice(n, batch, replace=n < batch, p=None if weight is None else weight / weight.sum())
        rgb = torch.from_numpy(views.rgb[idx]).permute(0, 3, 1, 2).float() / 255
        rgb = torch.stack([augment_colour(rng, x)[0] for x in rgb])
        rgb = (rgb + 0.02 * torch.randn_like(rgb)).clamp(0, 1)  # sensor noise
        depth = torch.from_numpy(views.depth[idx].astype(np.float32))[:, None]
        sky = torch.from_numpy(views.sky[idx])[:, None]
        rays = torch.cat([ray_channels(1, size, size, float(f)) for f in views.fov_deg[idx]])
        if rng.random() < 0.5:  # the world has no handedness
            rgb, depth, sky = rgb.flip(-1), depth.flip(-1), sky.flip(-1)
        yield rgb, rays, depth, sky


def train_seed_depth(cfg: SeedDepthConfig, validation: SeedViews | None = None) -> Path:
    """Train; returns the weights file (cfg.out/weights.pt): the best depth network on
    `validation` (the mean of median-aligned and metric AbsRel: a world needs both its shape and
    its metres) with the init file's completion network."""
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    cfg.out.mkdir(parents=True, exist_ok=True)
    start = LearnedModel.load(cfg.init) if cfg.init else LearnedModel(Preset(depth_arch="ground-prior"))
    widths = tuple(cfg.widths or start.preset.depth_widths)
    net = DepthNet(widths)
    if widths == tuple(start.preset.depth_widths):  # else a new shape, trained from scratch
        if isinstance(start.depth_net, GroundPriorDepthNet):
            net.start_from(start.depth_net)
        else:
            net.load_state_dict(start.depth_net.state_dict())
    preset = Preset(**(asdict(start.preset) | {"depth_arch": DepthNet.arch, "depth_widths": widths}))
    head = list(net.scale.parameters())
    body = [p for p in net.parameters() if all(p is not h for h in head)]
    groups = [{"params": body, "factor": 1.0}, {"params": head, "factor": SCALE_HEAD_LR}]
    opt = torch.optim.AdamW(groups, lr=cfg.lr, weight_decay=1e-4)
    log = open(cfg.out / "log.jsonl", "a")
    best, weights = float("inf"), cfg.out / "weights.pt"
    t0 = time.perf_counter()
    views, stream = None, None
    for step in range(cfg.steps):
        if step % cfg.reload_every == 0:
            views = load_seed_views(sorted(cfg.data.glob("views-*[0-9].npz")))
            stream = batches(views, cfg.batch, rng, cfg.oversample)
        lr = lr_at(step, cfg)
        for g in opt.param_groups:
            g["lr"] = lr * g["factor"]
        net.train()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            out = losses(net, *next(stream))
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
        row = {k: round(v.item(), 5) for k, v in out.items()}
        row |= {"step": step + 1, "lr": lr, "views": len(views.fov_deg), "prior_weight": round(net.prior_weight.item(), 4),
                "s": round(time.perf_counter() - t0, 1)}
        if validation is not None and ((step + 1) % cfg.validate_every == 0 or step + 1 == cfg.steps):
            # Scored as `eval` scores it, on the depth a session gets (mirror average, far
            # guard): the raw output swings with every checkpoint where a pale wall flips to
            # sky, which the run-time path refuses, so choosing on it chose on one view.
            model = LearnedModel(preset, net, start.completion_net, generator_net=start.generator_net)  # (puts net in eval mode)
            with torch.no_grad():
                scored = score_model(model, {"validation": validation})["all"]
            row["val_aligned"], row["val_metric"] = scored["aligned_absrel"], scored["metric_absrel"]
            score = (row["val_aligned"] + row["val_metric"]) / 2
            if score < best:
                best = score
                model.save(weights, {"networks": "depth (structure-scale)", "init": str(cfg.init), "steps": step + 1,
                                     "val_aligned_absrel": row["val_aligned"], "val_metric_absrel": row["val_metric"],
                                     "config": json.loads(json.dumps(asdict(cfg), default=str))})
        log.write(json.dumps(row) + "\n")
        log.flush()
    if validation is None:
        LearnedModel(preset, net.eval(), start.completion_net, generator_net=start.generator_net).save(weights, {"steps": cfg.steps})
    return weights


def parse_oversample(p: argparse.ArgumentParser, text: str) -> dict[str, float]:
    """"tabletop=2,figures=1.5" as {kind: factor}; anything else ends the command with p.error (exit 2)."""
    out = {}
    for part in filter(None, text.split(",")):
        kind, _, factor = part.partition("=")
        try:
            value = float(factor)
        except ValueError:
            value = -1.0
        if kind not in ALL_FAMILIES or not 0 < value < 1e6:
            p.error(f"--oversample wants KIND=FACTOR pairs with a positive FACTOR and KIND one of {', '.join(ALL_FAMILIES)}; got {part!r}")
        out[kind] = value
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, required=True, help="folder of seed-view shards")
    add_seed_view_arguments(p)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--init", type=Path)
    p.add_argument("--widths", type=lambda s: tuple(int(w) for w in s.split(",")),
                   help="train a depth U-Net of these comma-separated widths from scratch (default: the init's)")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    p.add_argument("--bf16", action="store_true", help="train under bfloat16 autocast (CPU)")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--warmup", type=int, default=100)
    p.add_argument("--validate-every", type=int, default=250)
    p.add_argument("--validation-scenes", type=int, default=4, help="per family, scene seeds 500 and up")
    p.add_argument("--oversample", default="", metavar="KIND=FACTOR,...",
                   help=f"draw these scene kinds FACTOR times as often (kinds: {', '.join(ALL_FAMILIES)})")
    args = p.parse_args()
    render_seed_view_arguments(p, args)
    oversample = parse_oversample(p, args.oversample)
    cfg = SeedDepthConfig(args.data, args.out, args.init, args.widths, args.steps, args.batch, args.lr, args.warmup,
                          args.seed, validate_every=args.validate_every, threads=args.threads, bf16=args.bf16,
                          oversample=oversample)
    train_seed_depth(cfg, validation_views(args.validation_scenes))


if __name__ == "__main__":
    main()
