"""The daemon's lifecycle: start its transports (gRPC, the engine link), serve, and shut down gracefully.

SIGTERM or SIGINT: health turns NOT_SERVING and new sessions are refused (UNAVAILABLE) at once, the
daemon keeps answering for `drain_s` so health checkers notice, then stops accepting calls and
gives in-flight ones `shutdown_grace_s` to finish, on every transport. A second signal skips
the waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from concurrent.futures import Executor

from gwm_engine.model import WorldModel
from gwm_engine.server.batcher import StepBatcher, calibrate_batching, single_torch_thread_pool, step_threads
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.grpc_transport import GrpcTransport
from gwm_engine.server.link_transport import LinkServer
from gwm_engine.server.malloc_tuning import keep_freed_memory
from gwm_engine.server.operations import WorldOperations
from gwm_engine.server.sessions import SessionManager
from gwm_engine.server.transport import Endpoint, Transport

log = logging.getLogger(__name__)


async def serve(config: ServerConfig, model: WorldModel, on_ready: Callable[[list[Endpoint]], None] = print) -> None:
    """Serve gRPC and the engine link until SIGTERM/SIGINT; `on_ready` gets where they listen.

    Raises OSError if an address cannot be bound."""
    config.validate()
    keep_freed_memory()
    # Steps run on their own threads (see step_threads); the rest (decoding, encoding, files) on
    # `executor`, whose threads also run torch ops one thread each.
    steps = step_threads()
    executor = single_torch_thread_pool(config.workers, "gwm-worker")
    manager = SessionManager(config.max_sessions, config.idle_timeout_s)
    batching_on = config.batching == "on" and config.batch_wait_ms > 0  # "auto" starts off, until calibrated
    batcher = StepBatcher(steps, config.batch_wait_ms if batching_on else 0.0, config.max_batch, lambda: len(manager))
    # In the background, so the daemon is ready as soon as it listens (tests start many daemons).
    calibration = asyncio.create_task(_calibrate_batching(config, model, steps, batcher), name="batching-calibration")
    # One set of operations behind every transport: the same sessions, batcher and semantics.
    operations = WorldOperations(config, model, manager, batcher, executor)
    transports: list[Transport] = [GrpcTransport(config, operations), LinkServer(config, operations)]
    try:
        await _run(transports, config, manager, operations, on_ready)
    finally:
        calibration.cancel()
        await batcher.close()
        executor.shutdown(wait=False, cancel_futures=True)
        steps.shutdown(wait=False, cancel_futures=True)


# Sessions stepped together while calibrating batching: enough for a batch to show what it saves.
CALIBRATION_SESSIONS = 4


async def _calibrate_batching(config: ServerConfig, model: WorldModel, steps: Executor, batcher: StepBatcher) -> None:
    """With batching "auto": turn it on (config.batch_wait_ms) only if a calibration on `model`
    finds a batch of sessions faster than the same sessions stepped at once on the step threads,
    so more sessions never lower total throughput."""
    sessions = min(CALIBRATION_SESSIONS, config.max_batch, config.max_sessions)
    if config.batching != "auto" or config.batch_wait_ms == 0 or sessions < 2:
        return
    try:
        c = await asyncio.to_thread(calibrate_batching, model, steps, sessions, ahead=config.ahead)
    except Exception:  # any failure: batching stays off, serving goes on
        log.exception("batching calibration failed; cross-session batching stays off")
        return
    log.info(
        "cross-session batching %s: %d sessions' steps took %.1f ms batched, %.1f ms stepped at once",
        "on" if c.pays else "off", c.sessions, c.batched_ms, c.concurrent_ms,
    )
    if c.pays:
        batcher.wait_ms = config.batch_wait_ms


async def _run(
    transports: list[Transport],
    config: ServerConfig,
    manager: SessionManager,
    operations: WorldOperations,
    on_ready: Callable[[list[Endpoint]], None],
) -> None:
    endpoints: list[Endpoint] = []
    started: list[Transport] = []
    try:
        for transport in transports:
            endpoints += await transport.start()
            started.append(transport)
    except OSError:
        await asyncio.gather(*(t.stop(0) for t in started))
        raise
    evictor = asyncio.create_task(manager.evict_forever(), name="idle-eviction")
    signals = _SignalLatch()
    on_ready(endpoints)
    try:
        await signals.first.wait()
        log.info("shutting down: NOT_SERVING, draining for %.1f s", config.drain_s)
        operations.start_draining()  # new sessions are refused with UNAVAILABLE on every transport
        await asyncio.gather(*(t.drain() for t in transports))
        await signals.wait_second(config.drain_s)
        grace_s = 0 if signals.second.is_set() else config.shutdown_grace_s
        await asyncio.gather(*(t.stop(grace_s) for t in transports))
    finally:
        signals.remove()
        evictor.cancel()


class _SignalLatch:
    """Events for the first and second SIGTERM/SIGINT."""

    def __init__(self) -> None:
        self.first = asyncio.Event()
        self.second = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.add_signal_handler(sig, self._received)

    def _received(self) -> None:
        (self.second if self.first.is_set() else self.first).set()

    async def wait_second(self, timeout_s: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.second.wait(), timeout_s)

    def remove(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._loop.remove_signal_handler(sig)
