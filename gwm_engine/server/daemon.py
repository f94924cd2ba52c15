"""The daemon's lifecycle: build the grpc.aio server and the engine link, serve, and shut down gracefully.

SIGTERM or SIGINT: health turns NOT_SERVING at once (new sessions should go elsewhere), the
daemon keeps answering for `drain_s` so health checkers notice, then stops accepting calls and
gives in-flight ones `shutdown_grace_s` to finish, on both transports. A second signal skips
the waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gwm_engine.model import WorldModel
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.server.auth import TokenInterceptor
from gwm_engine.server.batcher import StepBatcher
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.grpc_service import WorldServicer
from gwm_engine.server.link_transport import LinkServer
from gwm_engine.server.malloc_tuning import keep_freed_memory
from gwm_engine.server.operations import WorldOperations
from gwm_engine.server.playground_http import LINK_PATH
from gwm_engine.server.sessions import SessionManager

log = logging.getLogger(__name__)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WorldService"].full_name  # "gwm.v1.WorldService"


def grpc_options(config: ServerConfig) -> list[tuple[str, int]]:
    """Message limits (see config.MAX_MESSAGE_BYTES), keepalive, an exclusive port."""
    return [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.keepalive_time_ms", int(config.keepalive_time_s * 1000)),
        ("grpc.keepalive_timeout_ms", int(config.keepalive_timeout_s * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        # Let clients ping us as often as every 5 s (the SDK pings every 20 s) without being
        # told "too many pings" and disconnected.
        ("grpc.http2.min_ping_interval_without_data_ms", 5000),
        ("grpc.http2.max_pings_without_data", 0),
        # gRPC sets SO_REUSEPORT by default, so a second daemon on a busy port would start and
        # silently split the connections with the first. Fail instead.
        ("grpc.so_reuseport", 0),
    ]


def format_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(frozen=True)
class Endpoints:
    """Where a started daemon listens (the real ports where 0 asked for free ones)."""

    grpc: str  # host:port of gwm.v1 over gRPC
    link: str  # ws://host:port/link, the engine link
    playground: str  # http://host:port/, the browser playground (on the link's port)


async def serve(config: ServerConfig, model: WorldModel, on_ready: Callable[[Endpoints], None] = print) -> None:
    """Serve gRPC and the engine link until SIGTERM/SIGINT; `on_ready` gets where they listen.

    Raises OSError if an address cannot be bound."""
    config.validate()
    keep_freed_memory()
    executor = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="gwm-worker")
    manager = SessionManager(config.max_sessions, config.idle_timeout_s)
    batcher = StepBatcher(executor, config.batch_wait_ms, config.max_batch, lambda: len(manager))
    interceptors = [TokenInterceptor(config.token)] if config.token else []
    server = grpc.aio.server(options=grpc_options(config), interceptors=interceptors)

    # One set of operations behind both transports: the same sessions, batcher and semantics.
    operations = WorldOperations(config, model, manager, batcher, executor)
    pb_grpc.add_WorldServiceServicer_to_server(WorldServicer(operations), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), server
    )

    address = format_address(config.host, config.port)
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:
        raise OSError(f"cannot listen on {address}: the port is in use or the host is not an address of this machine") from None
    link = LinkServer(config, operations)
    await link.start()
    await server.start()
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
    evictor = asyncio.create_task(manager.evict_forever(), name="idle-eviction")

    signals = _SignalLatch()
    link_address = format_address(config.host, link.port)
    on_ready(Endpoints(format_address(config.host, port), f"ws://{link_address}{LINK_PATH}", f"http://{link_address}/"))
    try:
        await signals.first.wait()
        log.info("shutting down: NOT_SERVING, draining for %.1f s", config.drain_s)
        await health_servicer.enter_graceful_shutdown()
        await signals.wait_second(config.drain_s)
        grace_s = 0 if signals.second.is_set() else config.shutdown_grace_s
        await asyncio.gather(server.stop(grace_s), link.stop(grace_s))
    finally:
        signals.remove()
        evictor.cancel()
        await batcher.close()
        executor.shutdown(wait=False, cancel_futures=True)


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
