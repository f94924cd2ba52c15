"""`gwm-engine train`: both networks, one loop, one machine or many (torchrun).

    gwm-engine train --out runs/small --steps 3000               # this machine
    torchrun --nproc-per-node 8 -m gwm_engine.cli train ...      # 8 processes; add --nnodes for more machines

Under torchrun each process trains on its own data stream (seeded by rank) and DistributedData-
Parallel averages gradients (NCCL on CUDA, gloo on CPU). Checkpoints hold networks, optimiser,
step and RNG state, so `--resume` continues a run bit for bit on the same hardware.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.learned import PRESETS, LearnedModel, Preset, completed, seed_depth
from gwm_engine.training.data import DataConfig, TrajectoryDataset


@dataclass
class TrainConfig:
    out: Path = Path("runs/small")
    preset: str = "small"
    steps: int = 3000
    batch: int = 8  # per process
    lr: float = 2e-3
    warmup: int = 100
    seed: int = 0
    data: Path | None = None  # shard directory (`gwm-engine data`); None renders on the fly
    workers: int = 1  # data loader processes per training process
    checkpoint_every: int = 250
    resume: bool = False
    networks: str = "both"  # which to train from scratch: both, depth or completion
    frozen_from: Path | None = None  # with one network trained: the weights file the other comes from
    init: Path | None = None  # the weights file the trained networks start from (fine-tuning); None: fresh
    own_fill: float = 0.0  # share of replays that fuse the completion network's own fills
    device: str = "cpu"
    data_config: DataConfig = field(default_factory=DataConfig)


def gradient_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """L1 between image gradients: keeps edges sharp where plain L1 would accept a blur."""
    loss = 0.0
    for dim in (-1, -2):
        n = pred.shape[dim] - 1
        dp, dt = pred.diff(dim=dim), target.diff(dim=dim)
        w = torch.minimum(weight.narrow(dim, 0, n), weight.narrow(dim, 1, n))
        loss = loss + (w * (dp - dt).abs()).sum() / (w.sum() * pred.shape[1] + 1e-6)
    return loss


NETWORKS = ("both", "depth", "completion")


class Losses(nn.Module):
    """The networks being trained behind one module, so DistributedDataParallel wraps them
    together. `networks` picks which: "both", or one of them alone (the other is not run).

    Both run through the inference path (`completed`, `seed_depth`): down to the working size,
    through the network, back up into the frame, and they are scored there, at full resolution.
    Completion is scored on hole pixels only: known pixels are the cache's at run time.
    """

    def __init__(self, model: LearnedModel, networks: str = "both"):
        super().__init__()
        self.depth_net, self.completion_net = model.depth_net, model.completion_net
        self.preset, self.networks = model.preset, networks

    def forward(self, b: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        log_target = torch.log(b["target_depth"].clamp(MIN_DEPTH_M, MAX_DEPTH_M))
        if self.networks in ("both", "completion"):
            hole = 1 - b["mask"]
            rgb, depth = completed(self.completion_net, b["rgb"], b["depth"], b["mask"], self.preset)
            n = hole.sum() + 1e-6
            err = rgb - b["target_rgb"]
            # L1 for sharp fills, plus squared error: what PSNR scores.
            out["fill_rgb"] = (hole * (err.abs() + 4 * err**2)).sum() / (3 * n)
            out["fill_grad"] = gradient_l1(rgb, b["target_rgb"], hole)
            out["fill_depth"] = (hole * (torch.log(depth) - log_target).abs()).sum() / n
        if self.networks in ("both", "depth"):
            seed_rgb = (b["target_rgb"] + 0.02 * torch.randn_like(b["target_rgb"])).clamp(0, 1)  # sensor noise
            depth_net = lambda rgb, rays: (self.depth_net(rgb, rays),)  # noqa: E731 - the backend's calling convention
            log_seed = torch.log(seed_depth(depth_net, seed_rgb, b["fov_deg"].tolist(), self.preset))
            ones = torch.ones_like(log_seed)
            out["seed_depth"] = (log_seed - log_target).abs().mean()
            out["seed_grad"] = gradient_l1(log_seed, log_target, ones) + gradient_l1(
                F.avg_pool2d(log_seed, 4), F.avg_pool2d(log_target, 4), ones[..., ::4, ::4])
        weights = {"fill_rgb": 1.0, "fill_grad": 0.25, "fill_depth": 0.5, "seed_depth": 1.0, "seed_grad": 0.5}
        out["loss"] = sum(weights[k] * v for k, v in out.items())
        return out


class OwnFill:
    """The completion network being trained, as the completer a replay fuses (no gradients).
    Loader workers get a copy on the CPU as it is when they start; without workers the replay
    uses the live network, wherever it is."""

    def __init__(self, net: nn.Module, preset: Preset, snapshot: bool):
        self.net = copy.deepcopy(net).cpu() if snapshot else net
        self.preset = preset

    def __call__(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        device = next(self.net.parameters()).device
        with torch.no_grad():
            out = completed(self.net, rgb.to(device), depth.to(device), mask.to(device), self.preset)
        return out[0].cpu(), out[1].cpu()


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    t = (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup)
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + np.cos(np.pi * min(1.0, t))))


def _distributed() -> tuple[int, int]:
    if "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) == 1:
        return 0, 1
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return dist.get_rank(), dist.get_world_size()


def train(cfg: TrainConfig) -> Path:
    """Train, checkpointing to cfg.out/last.pt; returns the final weights file (cfg.out/weights.pt)."""
    rank, world = _distributed()
    device = torch.device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    torch.manual_seed(cfg.seed + rank)
    cfg.out.mkdir(parents=True, exist_ok=True)
    model = LearnedModel(PRESETS[cfg.preset])
    trained_names = ("depth_net", "completion_net") if cfg.networks == "both" else (f"{cfg.networks}_net",)
    for path, names in ((cfg.frozen_from, {"depth_net", "completion_net"} - set(trained_names)), (cfg.init, trained_names)):
        if path:
            start = LearnedModel.load(path)
            for name in names:
                getattr(model, name).load_state_dict(getattr(start, name).state_dict())
    losses = Losses(model, cfg.networks).to(device).train()
    trained = {"both": losses, "depth": losses.depth_net, "completion": losses.completion_net}[cfg.networks]
    opt = torch.optim.AdamW(trained.parameters(), lr=cfg.lr, weight_decay=1e-4)
    step, wall = 0, 0.0
    ckpt = cfg.out / "last.pt"
    if cfg.resume and ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        losses.load_state_dict(state["nets"])
        opt.load_state_dict(state["opt"])
        step, wall = state["step"], state["wall_s"]
        torch.set_rng_state(state["rng"])
    net = nn.parallel.DistributedDataParallel(losses) if world > 1 else losses

    # Resuming skips ahead in the data stream by reseeding it with the step.
    own_fill = OwnFill(losses.completion_net, model.preset, snapshot=cfg.workers > 0) if cfg.own_fill > 0 else None
    dataset = TrajectoryDataset(cfg.data, cfg.data_config, base_seed=cfg.seed * 1_000_003 + step, rank=rank, world_size=world,
                                own_fill=own_fill, own_fill_share=cfg.own_fill)
    loader = torch.utils.data.DataLoader(dataset, batch_size=cfg.batch, num_workers=cfg.workers, persistent_workers=cfg.workers > 0)
    bar = tqdm(total=cfg.steps, initial=step, disable=rank != 0, unit="step", dynamic_ncols=True)
    log = open(cfg.out / "log.jsonl", "a") if rank == 0 else None
    t0 = time.perf_counter() - wall
    for batch in loader:
        if step >= cfg.steps:
            break
        batch = {k: v.to(device, non_blocking=True) for k, v in batch.items()}
        for g in opt.param_groups:
            g["lr"] = lr_at(step, cfg)
        out = net(batch)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(trained.parameters(), 1.0)
        opt.step()
        step += 1
        bar.update(1)
        if rank == 0:
            row = {k: round(v.item(), 5) for k, v in out.items()} | {"step": step, "lr": lr_at(step - 1, cfg)}
            bar.set_postfix({k: row[k] for k in ("loss", "fill_rgb", "seed_depth") if k in row})
            log.write(json.dumps(row) + "\n")
            if step % cfg.checkpoint_every == 0 or step == cfg.steps:
                log.flush()
                state = {"nets": losses.state_dict(), "opt": opt.state_dict(), "step": step,
                         "wall_s": time.perf_counter() - t0, "rng": torch.get_rng_state(), "config": repr(cfg)}
                torch.save(state, ckpt.with_suffix(".tmp"))
                ckpt.with_suffix(".tmp").replace(ckpt)
    bar.close()
    weights = cfg.out / "weights.pt"
    if rank == 0:
        log.close()
        meta = {"preset": model.preset.name, "networks": cfg.networks,
                "frozen_from": str(cfg.frozen_from) if cfg.frozen_from else None, "init": str(cfg.init) if cfg.init else None, "steps": step, "batch": cfg.batch * world, "processes": world,
                "wall_s": round(time.perf_counter() - t0, 1), "device": _device_name(device),
                "data": str(cfg.data) if cfg.data else "rendered on the fly", "seed": cfg.seed,
                "config": json.loads(json.dumps(asdict(cfg), default=str))}
        model.save(weights, meta)
    if world > 1:
        dist.barrier()
    return weights


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
