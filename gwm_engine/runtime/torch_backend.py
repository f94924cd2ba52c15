"""Torch eager: the reference every other backend is checked against.

Speed options, as measured on the small networks (the project's 2-core CPU, 128x128 and 128x224
working sizes): channels-last weights and inputs ran 1.2-1.4x as fast on the CPU, so they are on
there; bf16 autocast ran ~40x slower on that CPU (no native bf16 convolutions) and moved the
log-depth residual by 1.5e-3, over the 1e-3 parity tolerance, so it is off unless asked for. On
CUDA neither has been measured yet: both stay off by default.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from gwm_engine.runtime.base import ArrayLike, Backend, Network, NetworkSpec


@dataclass(frozen=True)
class TorchOptions:
    device: str = "cpu"  # "cpu" or "cuda"
    channels_last: bool | None = None  # None: where measured faster (the CPU)
    bf16: bool = False  # autocast to bfloat16; outside the fp32 parity tolerance

    @property
    def use_channels_last(self) -> bool:
        return self.device == "cpu" if self.channels_last is None else self.channels_last


class TorchNetwork(Network):
    def __init__(self, module: nn.Module, spec: NetworkSpec, options: TorchOptions):
        self.spec = spec
        self.options = options
        self.device = torch.device(options.device)
        self.format = torch.channels_last if options.use_channels_last else torch.contiguous_format
        # In place, not a copy: whoever owns the module (training) keeps seeing the weights run.
        self.module = module.to(self.device, memory_format=self.format).eval()

    def run(self, inputs: tuple[ArrayLike, ...]) -> tuple[torch.Tensor, ...]:
        xs = [(torch.from_numpy(x) if isinstance(x, np.ndarray) else x) for x in inputs]
        xs = [x.to(self.device, torch.float32).contiguous(memory_format=self.format) for x in xs]
        autocast = torch.autocast(self.device.type, dtype=torch.bfloat16) if self.options.bf16 else contextlib.nullcontext()
        with torch.no_grad(), autocast:
            out = self.module(*xs)
        out = out if isinstance(out, tuple) else (out,)
        return tuple(y.float().cpu().contiguous() for y in out)


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, options: TorchOptions = TorchOptions()):
        self.options = options

    @property
    def device(self) -> str:
        return self.options.device + ("/bf16" if self.options.bf16 else "")

    @property
    def tag(self) -> str:
        return f"torch-{self.options.device}"

    def load(self, module: nn.Module, spec: NetworkSpec) -> TorchNetwork:
        return TorchNetwork(module, spec, self.options)
