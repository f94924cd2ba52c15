"""onnxruntime: the CPU provider everywhere, CUDA and TensorRT where their libraries and a GPU are.

`onnxruntime.get_available_providers()` lists what the package was built with, not what works
here: onnxruntime-gpu lists TensorRT and CUDA on a machine without either. So the providers are
tried in order when the first network loads, with onnxruntime's own logging silenced (a missing
library otherwise prints a screenful per session), and the chain that worked is kept for the
rest. Falling back from a provider the user asked for is one warning; from one "auto" merely
hoped for, an info line.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn

from gwm_engine.errors import InvalidInput
from gwm_engine.runtime.base import ArrayLike, Backend, Network, NetworkSpec
from gwm_engine.runtime.onnx_files import cache_dir, cached_onnx

log = logging.getLogger(__name__)

TENSORRT, CUDA, CPU = "TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"
_ERRORS_ONLY, _FATAL_ONLY = 3, 4  # onnxruntime severities: 0 verbose .. 4 fatal

ort.set_default_logger_severity(_ERRORS_ONLY)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """A provider whose libraries are missing logs at ERROR severity before we can fall back."""
    ort.set_default_logger_severity(_FATAL_ONLY)
    try:
        yield
    finally:
        ort.set_default_logger_severity(_ERRORS_ONLY)


def _tensor(x: ArrayLike) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().to("cpu", torch.float32).numpy()
    return np.ascontiguousarray(x, dtype=np.float32)


class OnnxNetwork(Network):
    def __init__(self, session: ort.InferenceSession, spec: NetworkSpec):
        self.session = session
        self.spec = spec
        self._outputs = [t.name for t in spec.outputs]

    def run(self, inputs: tuple[ArrayLike, ...]) -> tuple[torch.Tensor, ...]:
        feed = {t.name: _tensor(x) for t, x in zip(self.spec.inputs, inputs)}
        return tuple(torch.from_numpy(y) for y in self.session.run(self._outputs, feed))


class OnnxBackend(Backend):
    """`providers`: the preference order, e.g. (TENSORRT, CUDA, CPU); CPU is always appended.
    `requested`: the user named the first provider (so not getting it is worth a warning).
    `threads`: the CPU provider's threads; 0 is onnxruntime's default, one per physical core."""

    name = "onnx"

    def __init__(self, providers: Sequence[str] = (CPU,), requested: bool = False, cache: Path | None = None, fp16: bool = True,
                 threads: int = 0):
        self.preferred = [*dict.fromkeys([*providers, CPU])]
        self.requested = requested
        self.cache = cache or cache_dir()
        self.threads = threads
        self.fp16 = fp16  # TensorRT only, and only on GPUs with fast fp16 (the provider checks)
        self._chain: list[str] | None = None  # the providers that worked, once the first network loaded

    @property
    def device(self) -> str:
        return (self._chain or self.preferred)[0]

    @property
    def tag(self) -> str:
        return "onnx-" + {TENSORRT: "tensorrt", CUDA: "cuda", CPU: "cpu"}[self.device]

    def load(self, module: nn.Module, spec: NetworkSpec) -> OnnxNetwork:
        return OnnxNetwork(self.open_file(cached_onnx(module, spec, self.cache)), spec)

    def open_file(self, path: Path) -> ort.InferenceSession:
        """A session for the ONNX file at `path` on the provider chain that works here (found
        with the first file opened)."""
        if self._chain is None:
            session, self._chain = self._first_session(path)
            return session
        return self._session(path, self._chain)

    def _session(self, path: Path, chain: list[str]) -> ort.InferenceSession:
        options = ort.SessionOptions()
        options.log_severity_level = _ERRORS_ONLY
        options.intra_op_num_threads = self.threads
        # By default its idle threads spin after each run, taking the cores from torch's splat
        # and fusion that come next in the step: measured, the whole step 2x slower on 2 cores.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        providers = [(p, self._options(p)) for p in chain]
        # enable_fallback=0: onnxruntime's own fallback prints a banner to stdout; ours is quiet.
        return ort.InferenceSession(str(path), options, providers=providers, enable_fallback=0)

    def _options(self, provider: str) -> dict:
        if provider != TENSORRT:
            return {}
        engines = self.cache / "tensorrt"
        engines.mkdir(parents=True, exist_ok=True)
        # No explicit shape profile: the provider widens its profile to the shapes it meets and
        # caches each engine, so an unusual frame size costs one rebuild instead of an error.
        return {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(engines), "trt_timing_cache_enable": True,
                "trt_timing_cache_path": str(engines), "trt_fp16_enable": self.fp16}

    def _first_session(self, path: Path) -> tuple[ort.InferenceSession, list[str]]:
        """A session on the first chain whose head provider really runs, trying each in turn."""
        built = set(ort.get_available_providers())
        wanted = self.preferred[0]
        for i, provider in enumerate(self.preferred):
            if provider not in built:
                continue
            chain = self.preferred[i:]
            try:
                with _quiet():
                    session = self._session(path, chain)
            except Exception as e:  # noqa: BLE001 - any failure means "not this provider"
                log.debug("onnxruntime %s failed: %s", provider, e)
                continue
            if session.get_providers()[0] != provider:  # dropped without an error (CUDA with its libraries missing)
                continue
            if provider != wanted:
                say = log.warning if self.requested else log.info
                say("onnxruntime %s is not usable here (its libraries or a GPU are missing); running on %s", wanted, provider)
            return session, chain
        raise RuntimeError(f"onnxruntime could not run {path} on any of {self.preferred}")


def backend_for_file(reuse: object, backend: str, device: str, flag: str) -> OnnxBackend:
    """The onnxruntime backend to run a user's ONNX file on (`flag`, e.g. "--depth-model"): `reuse`
    where it is one (the model's own), else one for `backend` / `device` (`torch` still means
    onnxruntime: the file is ONNX)."""
    from gwm_engine.runtime.selection import open_backend

    if isinstance(reuse, OnnxBackend):
        return reuse
    onnx = open_backend("onnx" if backend == "torch" else backend, device)
    if not isinstance(onnx, OnnxBackend):
        raise InvalidInput(f"{flag} runs on onnxruntime, which is not installed (pip install onnxruntime-gpu)")
    return onnx


def open_user_file(path: Path, what: str, backend: OnnxBackend | None = None) -> tuple[ort.InferenceSession, OnnxBackend]:
    """A session for a user's ONNX file (`what`: "depth model", "inpainting model") on `backend`
    (default: onnxruntime on the CPU), and that backend; InvalidInput in plain words for a missing
    or unreadable file."""
    if not path.is_file():
        raise InvalidInput(f"{what} not found: {path}")
    backend = backend or OnnxBackend()
    try:
        return backend.open_file(path), backend
    except Exception as e:  # noqa: BLE001 - whatever onnxruntime says, the file is the user's input
        reason = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise InvalidInput(f"cannot read {what} {path} as an ONNX network: {reason}") from None
