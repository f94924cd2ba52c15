"""`gwm-engine train`: both networks, one loop, one machine or many (torchrun).

    gwm-engine train --out runs/small                            # this machine (gwm-engine train -h: every option)
    torchrun --nproc-per-node 8 -m gwm_engine.cli train ...      # 8 processes; add --nnodes for more machines

Under torchrun each process trains on its own data stream (seeded by rank) and DistributedData-
Parallel averages gradients (NCCL on CUDA, gloo on CPU). Checkpoints hold networks, optimiser,
step and RNG state, so `--resume` continues a run bit for bit on the same hardware.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import platform
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from tqdm import tqdm

from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.learned import PRESETS, LearnedModel, Preset, completed, seed_depth
from gwm_engine.training.config import TrainConfig
from gwm_engine.training.data import DataConfig, TrajectoryDataset


def gradient_l1(pred: torch.Tensor, target: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """L1 between image gradients: keeps edges sharp where plain L1 would accept a blur."""
    loss = 0.0
    for dim in (-1, -2):
        n = pred.shape[dim] - 1
        dp, dt = pred.diff(dim=dim), target.diff(dim=dim)
        w = torch.minimum(weight.narrow(dim, 0, n), weight.narrow(dim, 1, n))
        loss = loss + (w * (dp - dt).abs()).sum() / (w.sum() * pred.shape[1] + 1e-6)
    return loss


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


class Schedule(Protocol):
    lr: float
    warmup: int
    steps: int


def lr_at(step: int, cfg: Schedule) -> float:
    """Linear warm-up, then cosine decay to a tenth (every training loop's schedule)."""
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


@dataclass
class Run:
    """What a training process holds: its place among the processes, the model, what is being
    trained and how, and how far it has come."""

    cfg: TrainConfig
    rank: int
    world: int
    device: torch.device
    model: LearnedModel
    losses: Losses
    trained: nn.Module  # the parameters the optimiser moves: both networks or one
    net: nn.Module  # losses, wrapped for DistributedDataParallel when there are many processes
    opt: torch.optim.Optimizer
    step: int = 0
    wall_s: float = 0.0  # training time before this process started (resumed runs)

    @property
    def checkpoint(self) -> Path:
        return self.cfg.out / "last.pt"


def train(cfg: TrainConfig) -> Path:
    """Train, checkpointing to cfg.out/last.pt; returns the final weights file (cfg.out/weights.pt)."""
    run = setup(cfg)
    cfg = run.cfg
    if cfg.resume:
        resume(run)
    run.net = nn.parallel.DistributedDataParallel(run.losses) if run.world > 1 else run.losses
    bar = tqdm(total=cfg.steps, initial=run.step, disable=run.rank != 0, unit="step", dynamic_ncols=True)
    log = open(cfg.out / "log.jsonl", "a") if run.rank == 0 else None
    t0 = time.perf_counter() - run.wall_s
    for batch in _loader(run):
        if run.step >= cfg.steps:
            break
        out = train_step(run, batch)
        bar.update(1)
        if log:
            row = {k: round(v.item(), 5) for k, v in out.items()} | {"step": run.step, "lr": lr_at(run.step - 1, cfg)}
            bar.set_postfix({k: row[k] for k in ("loss", "fill_rgb", "seed_depth") if k in row})
            log.write(json.dumps(row) + "\n")
            if run.step % cfg.checkpoint_every == 0 or run.step == cfg.steps:
                log.flush()
                save_checkpoint(run, time.perf_counter() - t0)
    bar.close()
    weights = cfg.out / "weights.pt"
    if log:
        log.close()
        save_weights(run, weights, time.perf_counter() - t0)
    if run.world > 1:
        dist.barrier()
    return weights


def setup(cfg: TrainConfig) -> Run:
    """This process's device and seed, the model (networks fresh, from --init, or kept from
    --frozen-from) and the optimiser over what is trained."""
    if cfg.data_config is None:
        cfg = dataclasses.replace(cfg, data_config=DataConfig())
    rank, world = _distributed()
    device = torch.device(cfg.device)
    if device.type == "cuda" and world > 1:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
        torch.cuda.set_device(device)
    torch.manual_seed(cfg.seed + rank)
    cfg.out.mkdir(parents=True, exist_ok=True)
    trained_names = ("depth_net", "completion_net") if cfg.networks == "both" else (f"{cfg.networks}_net",)
    # The depth network keeps the architecture of the file it comes from (weights made before
    # the structure/scale split hold a ground-prior network); fresh ones get the preset's.
    depth_from = cfg.init if "depth_net" in trained_names else cfg.frozen_from
    preset = PRESETS[cfg.preset]
    if depth_from:
        preset = dataclasses.replace(preset, depth_arch=LearnedModel.load(depth_from).preset.depth_arch)
    model = LearnedModel(preset)
    for path, names in ((cfg.frozen_from, {"depth_net", "completion_net"} - set(trained_names)), (cfg.init, trained_names)):
        if path:
            start = LearnedModel.load(path)
            for name in names:
                getattr(model, name).load_state_dict(getattr(start, name).state_dict())
    losses = Losses(model, cfg.networks).to(device).train()
    trained = {"both": losses, "depth": losses.depth_net, "completion": losses.completion_net}[cfg.networks]
    opt = torch.optim.AdamW(trained.parameters(), lr=cfg.lr, weight_decay=1e-4)
    return Run(cfg, rank, world, device, model, losses, trained, losses, opt)


def resume(run: Run) -> None:
    """Networks, optimiser, step, training time and RNG state from the last checkpoint, if any."""
    if not run.checkpoint.exists():
        return
    state = torch.load(run.checkpoint, map_location=run.device, weights_only=False)
    run.losses.load_state_dict(state["nets"])
    run.opt.load_state_dict(state["opt"])
    run.step, run.wall_s = state["step"], state["wall_s"]
    torch.set_rng_state(state["rng"].cpu())  # map_location moved it to the device


def _loader(run: Run) -> torch.utils.data.DataLoader:
    cfg = run.cfg
    # Resuming skips ahead in the data stream by reseeding it with the step.
    own_fill = OwnFill(run.losses.completion_net, run.model.preset, snapshot=cfg.workers > 0) if cfg.own_fill > 0 else None
    dataset = TrajectoryDataset(cfg.data, cfg.data_config, base_seed=cfg.seed * 1_000_003 + run.step, rank=run.rank,
                                world_size=run.world, own_fill=own_fill, own_fill_share=cfg.own_fill)
    return torch.utils.data.DataLoader(dataset, batch_size=cfg.batch, num_workers=cfg.workers, persistent_workers=cfg.workers > 0)


def train_step(run: Run, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """One optimiser step on `batch`; returns the losses it scored."""
    batch = {k: v.to(run.device, non_blocking=True) for k, v in batch.items()}
    for g in run.opt.param_groups:
        g["lr"] = lr_at(run.step, run.cfg)
    with torch.autocast(run.device.type, torch.bfloat16, enabled=run.cfg.precision == "bf16"):
        out = run.net(batch)
    run.opt.zero_grad(set_to_none=True)
    out["loss"].backward()
    torch.nn.utils.clip_grad_norm_(run.trained.parameters(), 1.0)
    run.opt.step()
    run.step += 1
    return out


def save_checkpoint(run: Run, wall_s: float) -> None:
    """Written aside and renamed, so a run killed mid-write still resumes from the last one."""
    state = {"nets": run.losses.state_dict(), "opt": run.opt.state_dict(), "step": run.step,
             "wall_s": wall_s, "rng": torch.get_rng_state(), "config": repr(run.cfg)}
    tmp = run.checkpoint.with_suffix(".tmp")
    torch.save(state, tmp)
    tmp.replace(run.checkpoint)


def save_weights(run: Run, path: Path, wall_s: float) -> None:
    cfg = run.cfg
    meta = {"preset": run.model.preset.name, "networks": cfg.networks,
            "frozen_from": str(cfg.frozen_from) if cfg.frozen_from else None, "init": str(cfg.init) if cfg.init else None,
            "steps": run.step, "batch": cfg.batch * run.world, "processes": run.world,
            "wall_s": round(wall_s, 1), "device": _device_name(run.device),
            "data": str(cfg.data) if cfg.data else "rendered on the fly", "seed": cfg.seed,
            "config": json.loads(json.dumps(asdict(cfg), default=str))}
    run.model.save(path, meta)


def _device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads"
