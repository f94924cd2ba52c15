"""`gwm-engine train` settings (light: the command line builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gwm_engine.errors import InvalidInput
from gwm_engine.settings import check, setting

if TYPE_CHECKING:
    from gwm_engine.training.data import DataConfig

NETWORKS = ("both", "depth", "completion")
PER_SHARD = 16  # trajectories per shard file of `gwm-engine data`


@dataclass
class TrainConfig:
    out: Path = setting(Path("runs/small"), "run directory: log, checkpoints, weights.pt", parse=Path)
    preset: str = setting("small", "network sizes: small (CPU default) or large (GPU)")
    steps: int = setting(4000, "optimiser steps", low=1)
    batch: int = setting(8, "trajectory frames per step, per process", low=1)
    lr: float = setting(2e-3, "peak learning rate (linear warm-up, then cosine decay to a tenth)", low=0)
    warmup: int = setting(100, "warm-up steps", low=1, cli=False)
    seed: int = setting(0, "seed of the weights and the data stream", low=0)
    data: Path | None = setting(None, "shard directory from `gwm-engine data`; default: render on the fly", parse=Path)
    workers: int = setting(1, "data loader processes per training process", low=0)
    checkpoint_every: int = setting(250, "steps between checkpoints", low=1, cli=False)
    resume: bool = setting(False, "continue from OUT/last.pt")
    networks: str = setting("both", "which to train: both networks, or one (the other frozen)", choices=NETWORKS)
    frozen_from: Path | None = setting(None, "with --networks depth|completion: the weights the other network keeps", parse=Path)
    init: Path | None = setting(None, "weights the trained networks start from (fine-tuning); default: fresh", parse=Path)
    own_fill: float = setting(0.0, "share of replays that fuse the completion network's own fills (the rest: truth or pull-push)",
                              low=0, high=1)
    device: str = setting("cpu", "where training runs: cpu, or cuda (an NVIDIA GPU; torchrun for several)",
                          choices=("cpu", "cuda"))
    precision: str = setting("fp32", "arithmetic of each step: fp32, or bf16 autocast for GPUs with bf16 tensor cores "
                             "(weights and optimiser stay float32)", choices=("fp32", "bf16"))
    data_config: DataConfig | None = setting(None, cli=False)  # None: DataConfig()

    def validate(self) -> TrainConfig:
        """Raise InvalidInput for settings training cannot run with; returns self."""
        from gwm_engine.model.learned import PRESETS

        if self.steps < 1 or self.batch < 1:
            raise InvalidInput("--steps and --batch must be at least 1")
        if self.preset not in PRESETS:
            raise InvalidInput(f"unknown --preset {self.preset!r}; choose from {', '.join(PRESETS)}")
        if self.networks not in NETWORKS:
            raise InvalidInput(f"unknown --networks {self.networks!r}; choose from {', '.join(NETWORKS)}")
        if self.frozen_from and self.networks == "both":
            raise InvalidInput("--frozen-from keeps one network fixed: use it with --networks depth or --networks completion")
        if self.data and not Path(self.data).is_dir():
            raise InvalidInput(f"--data {self.data} is not a directory of shards (write them with `gwm-engine data`)")
        if not 0 <= self.own_fill <= 1:
            raise InvalidInput("--own-fill is a share of replays: between 0 and 1")
        check(self)
        return self
