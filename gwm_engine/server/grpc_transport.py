"""gwm.v1 over gRPC: the grpc.aio server with the WorldService, health and reflection."""

from __future__ import annotations

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.server.auth import TokenInterceptor
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.grpc_service import WorldServicer, add_to_server
from gwm_engine.server.operations import WorldOperations
from gwm_engine.server.transport import Endpoint, Transport, format_address

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WorldService"].full_name  # "gwm.v1.WorldService"


def grpc_options(config: ServerConfig) -> list[tuple[str, int]]:
    """Message limits (see protocol.limits.MAX_MESSAGE_BYTES), keepalive, an exclusive port."""
    return [
        ("grpc.max_send_message_length", config.max_message_bytes),
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.keepalive_time_ms", int(config.keepalive_time_s * 1000)),
        ("grpc.keepalive_timeout_ms", int(config.keepalive_timeout_s * 1000)),
        # gRPC core (1.85) times its keepalive pings out after this generic ping timeout (60 s by
        # default), not keepalive_timeout_ms: without it a frozen client was dropped only after
        # 20 + 60 s (traced with GRPC_TRACE=http2_ping).
        ("grpc.http2.ping_timeout_ms", int(config.keepalive_timeout_s * 1000)),
        ("grpc.keepalive_permit_without_calls", 1),
        # Let clients ping us as often as every 5 s (the SDK pings every 20 s) without being
        # told "too many pings" and disconnected.
        ("grpc.http2.min_ping_interval_without_data_ms", 5000),
        ("grpc.http2.max_pings_without_data", 0),
        # gRPC sets SO_REUSEPORT by default, so a second daemon on a busy port would start and
        # silently split the connections with the first. Fail instead.
        ("grpc.so_reuseport", 0),
    ]


class GrpcTransport(Transport):
    def __init__(self, config: ServerConfig, operations: WorldOperations):
        self._config = config
        interceptors = [TokenInterceptor(config.token)] if config.token else []
        self._server = grpc.aio.server(options=grpc_options(config), interceptors=interceptors)
        stalled_s = config.keepalive_time_s + config.keepalive_timeout_s
        add_to_server(WorldServicer(operations, stalled_s), self._server)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._server)
        reflection.enable_server_reflection(
            (SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME), self._server
        )

    async def start(self) -> list[Endpoint]:
        address = format_address(self._config.host, self._config.port)
        try:
            port = self._server.add_insecure_port(address)
        except RuntimeError:
            raise OSError(
                f"cannot listen on {address}: the port is in use or the host is not an address of this machine"
            ) from None
        await self._server.start()
        await self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        await self._health.set(SERVICE_NAME, health_pb2.HealthCheckResponse.SERVING)
        return [Endpoint("grpc", format_address(self._config.host, port))]

    async def drain(self) -> None:
        """Health turns NOT_SERVING, so new sessions go elsewhere."""
        await self._health.enter_graceful_shutdown()

    async def stop(self, grace_s: float) -> None:
        await self._server.stop(grace_s)
