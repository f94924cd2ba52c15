"""Cross-session batching: the steps of concurrent sessions go through the model together.

A step request waits at most `wait_ms` for other sessions' steps, then all of them run as one
`step_many` call (one batched model pass) in a worker thread. The wait ends early once every
open session has a step waiting: each session steps one at a time (its lock), so nobody else
can join, and a lone session never pays the wait. One batch runs at a time; requests that
arrive meanwhile gather for the next one, so every waiting session is in every batch (fair).
(Letting two batches overlap was tried: no gain, and unfair; benchmarks/RESULTS.md.) With
`wait_ms` 0 batching is off and every step runs on its own thread.

Whether batching pays depends on the model and the machine: one batched pass saves per-call
overhead (a GPU, a network's fixed cost), but steps the batch's sessions one after another in
one thread, where alone they would run at once, one a core. `calibrate_batching` measures both
on the served model at start, so the daemon picks the way that gives the most throughput.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

import gwm_engine
from gwm_engine.geometry import CameraAction
from gwm_engine.media import decode_image, load_depth
from gwm_engine.model import WorldModel
from gwm_engine.world import SessionConfig, StepFrame, WorldSession, step_many

log = logging.getLogger(__name__)

_ASSETS = Path(gwm_engine.__file__).parent / "assets"
# Batching must beat stepping alone by this much to be turned on: a batch also pays its wait,
# and a calibration of a few rounds on a busy machine is only so precise.
BATCHING_MARGIN = 0.05


def step_threads() -> ThreadPoolExecutor:
    """The threads steps run on: one a core, each running torch ops on itself alone.

    Torch's CPU ops run on OpenMP, whose helper threads spin between ops; a step is hundreds of
    small ops and compiled loops that run on one thread anyway, so a step with the whole pool
    is slower than with one thread (and keeps every core busy spinning), and two steps that
    each had a pool would fight over the cores. One torch thread a step, as many steps at once
    as cores, gives a lone session its fastest step and many sessions all the cores
    (benchmarks/RESULTS.md, "gRPC daemon"). The model's onnxruntime network keeps its own
    threads (they sleep between runs)."""
    return single_torch_thread_pool(torch.get_num_threads(), "gwm-step")


def single_torch_thread_pool(workers: int, name: str) -> ThreadPoolExecutor:
    """A thread pool whose threads run torch ops on themselves alone: no OpenMP helper pools of
    their own (see step_threads)."""
    threads = torch.get_num_threads()
    pool = ThreadPoolExecutor(workers, name)
    # torch.set_num_threads sets the calling thread's count and also the default of threads that
    # start later: so all of the pool's threads start now (each waits for the others), then the
    # default is put back.
    started = threading.Barrier(workers)

    def start(_: int) -> None:
        # Torch sets a thread's count from the default on the thread's first parallel op (or
        # this query), which would undo a count set before it.
        torch.get_num_threads()
        torch.set_num_threads(1)
        started.wait()

    list(pool.map(start, range(workers)))
    torch.set_num_threads(threads)
    return pool


@dataclass(frozen=True)
class BatchingCalibration:
    """One round = one step of each of `sessions` sessions, timed each way; the fastest round of
    each (the one least disturbed by whatever else the machine runs)."""

    sessions: int
    batched_ms: float  # all in one step_many call (one model pass), as the batcher runs them
    concurrent_ms: float  # each on its own step thread, as many at once as there are, as with batching off

    @property
    def pays(self) -> bool:
        return self.batched_ms * (1 + BATCHING_MARGIN) <= self.concurrent_ms


def calibrate_batching(
    model: WorldModel, executor: Executor, sessions: int = 4, rounds: int = 8, size: tuple[int, int] = (256, 256),
    ahead: str = "off",
) -> BatchingCalibration:
    """Step `sessions` real sessions of `model` (seeded with the bundled sample view, generating
    `ahead` as the daemon's do) on `executor` (the daemon's step threads) batched and
    concurrently, in turn, after one warm-up round of each."""
    image = decode_image((_ASSETS / "sample.png").read_bytes())
    depth = load_depth(_ASSETS / "sample_depth.npy")
    # Made on the executor too: torch ops on any other thread would give it OpenMP helpers.
    worlds = [executor.submit(WorldSession.create, image, depth, SessionConfig(*size, ahead=ahead), model).result()
              for _ in range(sessions)]
    # Forward and turning: every step uncovers ground the model must fill, as a player's does.
    action = CameraAction(move=(0.0, 0.0, 0.05), turn=(4.0, 0.0, 0.0))

    def batched() -> None:
        for result in executor.submit(step_many, [(w, action) for w in worlds]).result():
            if isinstance(result, Exception):
                raise result

    def concurrent() -> None:
        list(executor.map(lambda w: w.step(action), worlds))

    def timed(fn: Callable[[], None]) -> float:
        t = time.perf_counter()
        fn()
        return (time.perf_counter() - t) * 1e3

    ways = (batched, concurrent)
    times: list[list[float]] = [[] for _ in ways]
    for i in range(rounds + 1):  # round 0 warms them up (first-call allocations, thread pools)
        for way, ms in zip(ways, times):
            t = timed(way)
            if i > 0:
                ms.append(t)
    for w in worlds:
        w.close()
    return BatchingCalibration(sessions, *(min(ms) for ms in times))


@dataclass
class _Request:
    session: WorldSession
    action: CameraAction
    result: asyncio.Future


class StepBatcher:
    def __init__(self, executor: Executor, wait_ms: float, max_batch: int, open_sessions: Callable[[], int]):
        self._executor = executor
        self._wait_s = wait_ms / 1000.0
        self._max_batch = max_batch
        self._open_sessions = open_sessions
        self._pending: list[_Request] = []
        self._arrived = asyncio.Event()
        self._worker: asyncio.Task | None = None

    @property
    def enabled(self) -> bool:
        return self._wait_s > 0

    @property
    def wait_ms(self) -> float:
        """The wait in force; 0 when batching is off."""
        return self._wait_s * 1000.0

    @wait_ms.setter
    def wait_ms(self, value: float) -> None:
        """Takes effect from the next step on (a calibration decides while the daemon serves)."""
        self._wait_s = value / 1000.0

    async def step(self, session: WorldSession, action: CameraAction) -> StepFrame:
        """One step of `session`; the caller must hold the session's lock."""
        loop = asyncio.get_running_loop()
        if not self.enabled:
            return await loop.run_in_executor(self._executor, session.step, action)
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="step-batcher")
        request = _Request(session, action, loop.create_future())
        self._pending.append(request)
        self._arrived.set()
        return await request.result

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            # Waiting on an Event (not a queue) means a timeout can never lose a request.
            deadline = loop.time() + self._wait_s
            while len(self._pending) < min(self._max_batch, self._open_sessions()):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except asyncio.TimeoutError:  # an alias of TimeoutError from 3.11
                    break
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            await self._run_batch(loop, batch)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Request]) -> None:
        pairs = [(r.session, r.action) for r in batch]
        try:
            results = await loop.run_in_executor(self._executor, step_many, pairs)
        except Exception as e:  # step_many returns per-session errors; raising at all is a bug
            log.exception("batched step failed as a whole")
            results = [e] * len(batch)
        for request, result in zip(batch, results):
            if request.result.done():  # the caller went away
                continue
            if isinstance(result, BaseException):
                request.result.set_exception(result)
            else:
                request.result.set_result(result)
