"""Training the generator (`Preset.generator_widths`): the larger completion network that paints
what generation off the frame loop asks for (world/generate.py), on seed views with holes.

    python -m gwm_engine.training.generator --data runs/views --init gwm-small.pt --out runs/generator
    python -m gwm_engine.training.generator --data runs/views --scenes 2880 --workers 2 ...  # render views first

Examples are the seed views of every scene kind (`data.write_seed_view_shards`: textured and
stylised among them) with the holes generation meets cut into them (`data.generation_mask`):
new territory past one side (a turn), the background behind near edges (a step). They are
rendered at the working size, so the network is trained at exactly the resolution it runs at.
The network is the per-frame completion network widened (`CompletionNet.widened`: it starts out
computing exactly what that one does), on the same path (`learned.completed`: pull-push, then its
residual). Losses, on hole pixels:

- colour: L1 plus squared error (what PSNR scores), and L1 on image gradients;
- depth: L1 of log-depth;
- texture: a patch discriminator's hinge loss (spectrally normalised, conditioned on the mask),
  from `adversarial_from` of the run on: PSNR alone pays for a blur, the discriminator pays for
  detail that looks like the scene's.

The depth and completion networks of `--init` are carried over unchanged.
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

from gwm_engine.evaluation.generation import Examples, generation_examples, score_fills
from gwm_engine.model.completion import CompletionNet
from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.learned import LearnedModel, Preset, completed
from gwm_engine.training.data import (
    SeedViews,
    add_seed_view_arguments,
    augment_colour,
    generation_mask,
    load_seed_views,
    render_seed_view_arguments,
)
from gwm_engine.training.train import gradient_l1, lr_at

WEIGHTS = {"rgb": 1.0, "grad": 0.25, "depth": 0.5}


@dataclass
class GeneratorConfig:
    data: Path = Path("runs/views")
    out: Path = Path("runs/generator")
    init: Path | None = None  # weights file: its depth and completion networks; its generator, if any, to start from
    widths: tuple[int, ...] = (48, 96, 256, 512)  # 16x the small completion network's parameters, widened from it
    steps: int = 3000
    batch: int = 8
    lr: float = 3e-4
    warmup: int = 200
    adversarial: float = 0.05  # weight of the discriminator's term (0: none)
    adversarial_from: float = 0.25  # share of the run trained without it first
    ema: float = 0.998  # the saved network is this moving average of the trained one
    seed: int = 0
    reload_every: int = 250  # steps between re-reading the shard list (data may still be written)
    validate_every: int = 250
    threads: int = 0  # torch threads; 0: torch's default
    bf16: bool = False  # bfloat16 autocast: faster steps where the CPU or GPU has bf16 units
    device: str = "cpu"  # or "cuda"


class Discriminator(nn.Module):
    """rgb (B, 3, h, w) in [0, 1] and mask (B, 1, h, w) -> logits (B, 1, h / 8, w / 8): for each
    patch, real (> 0) or generated."""

    def __init__(self, width: int = 64):
        super().__init__()
        c = [4, width, 2 * width, 4 * width]
        self.convs = nn.ModuleList(spectral_norm(nn.Conv2d(a, b, 4, stride=2, padding=1)) for a, b in zip(c, c[1:]))
        self.head = spectral_norm(nn.Conv2d(c[-1], 1, 3, padding=1))

    def forward(self, rgb: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = torch.cat([(rgb - 0.5) * 2, mask], dim=1)
        for conv in self.convs:
            x = F.leaky_relu(conv(x), 0.2)
        return self.head(x)


def batches(views: SeedViews, batch: int, rng: np.random.Generator):
    """Endless augmented batches: (rgb, depth, mask), mirrored half the time."""
    n = len(views.fov_deg)
    while True:
        idx = rng.choice(n, batch, replace=n < batch)
        rgb = torch.from_numpy(views.rgb[idx]).permute(0, 3, 1, 2).float() / 255
        rgb = torch.stack([augment_colour(rng, x)[0] for x in rgb])
        depth = torch.from_numpy(views.depth[idx].astype(np.float32))[:, None].clamp(MIN_DEPTH_M, MAX_DEPTH_M)
        mask = torch.stack([generation_mask(d, rng) for d in depth])
        if rng.random() < 0.5:  # the world has no handedness
            rgb, depth, mask = rgb.flip(-1), depth.flip(-1), mask.flip(-1)
        yield rgb, depth, mask


def fill(net: nn.Module, preset: Preset, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor):
    """The generator's answer for a view (B, 3 | 1, h, w) with holes (mask 0), on the run-time path."""
    return completed(net, rgb * mask, depth * mask, mask, preset)


def losses(out_rgb: torch.Tensor, out_depth: torch.Tensor, rgb: torch.Tensor, depth: torch.Tensor,
           mask: torch.Tensor) -> dict[str, torch.Tensor]:
    hole = 1 - mask
    n = hole.sum().clamp_min(1.0)
    err = out_rgb - rgb
    return {
        "rgb": (hole * (err.abs() + 4 * err**2)).sum() / (3 * n),
        "grad": gradient_l1(out_rgb, rgb, hole),
        "depth": (hole * (torch.log(out_depth) - torch.log(depth)).abs()).sum() / n,
    }


def train_generator(cfg: GeneratorConfig, validation: Examples | None = None) -> Path:
    """Train; returns the weights file (cfg.out/weights.pt): the init file's networks with the
    generator (its moving average) as it ends. Every validation also saves step-N.pt."""
    torch.manual_seed(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    cfg.out.mkdir(parents=True, exist_ok=True)
    start = LearnedModel.load(cfg.init) if cfg.init else LearnedModel()
    preset = Preset(**(asdict(start.preset) | {"generator_widths": tuple(cfg.widths)}))
    device = torch.device(cfg.device)
    small = start.completion_net
    if start.generator_net is not None and tuple(start.preset.generator_widths) == tuple(cfg.widths):
        net = copy.deepcopy(start.generator_net)
    elif len(cfg.widths) == len(small.widths) and all(n >= o for n, o in zip(cfg.widths, small.widths)):
        # The per-frame network, widened: the generator starts where that one's training ended
        # (from nothing, 4000 CPU steps did not move it 0.05 dB past pull-push).
        net = small.widened(tuple(cfg.widths))
    else:  # a near-zero residual: it starts as pull-push (not exactly zero: gradients must reach the body)
        net = CompletionNet(cfg.widths)
        nn.init.normal_(net.unet.head.weight, std=1e-3)
        nn.init.zeros_(net.unet.head.bias)
    net.to(device)
    average = copy.deepcopy(net).eval().requires_grad_(False)
    disc = Discriminator().to(device)
    opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, betas=(0.9, 0.99), weight_decay=1e-4)
    opt_d = torch.optim.Adam(disc.parameters(), lr=cfg.lr / 2, betas=(0.5, 0.99))
    log = open(cfg.out / "log.jsonl", "a")
    adversarial_from = int(cfg.adversarial_from * cfg.steps)
    t0 = time.perf_counter()
    views, stream = None, None
    for step in range(cfg.steps):
        if step % cfg.reload_every == 0:
            views = load_seed_views(sorted(cfg.data.glob("views-*[0-9].npz")))
            stream = batches(views, cfg.batch, rng)
        lr = lr_at(step, cfg)
        for g in opt.param_groups:
            g["lr"] = lr
        rgb, depth, mask = (x.to(device) for x in next(stream))
        net.train()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
            out_rgb, out_depth = fill(net, preset, rgb, depth, mask)
        out_rgb, out_depth = out_rgb.float(), out_depth.float()
        out = losses(out_rgb, out_depth, rgb, depth, mask)
        loss = sum(WEIGHTS[k] * v for k, v in out.items())
        if cfg.adversarial and step >= adversarial_from:
            # The discriminator sees the view as the world would hold it: known pixels as they
            # were, the fill in the holes; it is scored on the patches the holes reach.
            fake = out_rgb * (1 - mask) + rgb * mask
            patch = (F.avg_pool2d(1 - mask, 8) > 0).float()  # (B, 1, h / 8, w / 8)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
                logits_real, logits_fake = disc(rgb, mask).float(), disc(fake.detach(), mask).float()
            out["d"] = F.relu(1 - logits_real).mean() + (F.relu(1 + logits_fake) * patch).sum() / patch.sum().clamp_min(1)
            opt_d.zero_grad(set_to_none=True)
            out["d"].backward()
            opt_d.step()
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16):
                logits = disc(fake, mask).float()
            out["adversarial"] = -(logits * patch).sum() / patch.sum().clamp_min(1)
            loss = loss + cfg.adversarial * out["adversarial"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        # A step whose loss or gradients overflowed (bf16) is skipped, not taken: one would
        # turn every weight into NaN.
        if torch.isfinite(torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)):
            opt.step()
        with torch.no_grad():
            for a, p in zip(average.parameters(), net.parameters()):
                a.lerp_(p, 1 - cfg.ema if step >= 100 else 1.0)  # (no average of the first steps' noise)
        row = {k: round(v.item(), 5) for k, v in out.items()} | {"loss": round(loss.item(), 5)}
        row |= {"step": step + 1, "lr": lr, "views": len(views.fov_deg), "s": round(time.perf_counter() - t0, 1)}
        last = step + 1 == cfg.steps
        if (step + 1) % cfg.validate_every == 0 or last:
            model = LearnedModel(preset, start.depth_net, start.completion_net, generator_net=copy.deepcopy(average).cpu())
            meta = {"networks": "generator", "init": str(cfg.init), "steps": step + 1,
                    "config": json.loads(json.dumps(asdict(cfg), default=str)),
                    "carried": getattr(start, "meta", {})}  # what the init file said of the networks kept
            if validation is not None:
                with torch.no_grad():
                    scored = score_fills({"generator": model.generate}, validation)["generator"]["all"]
                row |= {f"val_{k}": round(v, 4) for k, v in scored.items()}
                meta |= {f"val_{k}": v for k, v in scored.items()}
            model.save(cfg.out / f"step-{step + 1}.pt", meta)
            if last:
                model.save(cfg.out / "weights.pt", meta)
        log.write(json.dumps(row) + "\n")
        log.flush()
    return cfg.out / "weights.pt"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, required=True, help="folder of seed-view shards")
    add_seed_view_arguments(p)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--init", type=Path, help="weights file whose depth and completion networks are kept (default: fresh)")
    p.add_argument("--widths", type=lambda s: tuple(int(w) for w in s.split(",")), default=GeneratorConfig.widths,
                   help="the generator U-Net's widths, comma-separated")
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    p.add_argument("--bf16", action="store_true", help="train under bfloat16 autocast")
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--steps", type=int, default=GeneratorConfig.steps)
    p.add_argument("--batch", type=int, default=GeneratorConfig.batch)
    p.add_argument("--lr", type=float, default=GeneratorConfig.lr)
    p.add_argument("--adversarial", type=float, default=GeneratorConfig.adversarial, help="the discriminator's weight (0: none)")
    p.add_argument("--adversarial-from", type=float, default=GeneratorConfig.adversarial_from)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--validate-every", type=int, default=GeneratorConfig.validate_every)
    p.add_argument("--validation-scenes", type=int, default=2, help="per family, scene seeds 500 and up (0: none)")
    a = p.parse_args()
    render_seed_view_arguments(p, a)
    if not a.data.is_dir() or not list(a.data.glob("views-*[0-9].npz")):
        p.error(f"no seed-view shards in {a.data}")
    if a.init is not None and not a.init.is_file():
        p.error(f"weights file not found: {a.init}")
    if a.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: no CUDA GPU is available to torch here")
    validation = generation_examples(a.validation_scenes, first_seed=500) if a.validation_scenes else None
    cfg = GeneratorConfig(a.data, a.out, a.init, a.widths, a.steps, a.batch, a.lr, adversarial=a.adversarial,
                          adversarial_from=a.adversarial_from, seed=a.seed, validate_every=a.validate_every, threads=a.threads,
                          bf16=a.bf16, device=a.device)
    print(train_generator(cfg, validation))


if __name__ == "__main__":
    main()
