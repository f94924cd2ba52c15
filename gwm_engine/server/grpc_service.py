"""The gwm.v1 WorldService: gRPC handlers over the transport-neutral WorldOperations.

Each handler calls the operation of the same name (operations.py), which the engine link
calls too, and turns the engine's exceptions into gRPC statuses.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import AsyncIterator, Awaitable, Callable, TypeVar

import grpc

from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.server.operations import WorldOperations, status_of

log = logging.getLogger(__name__)
T = TypeVar("T")


def rpc(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
    """Turn the engine's exceptions into gRPC statuses; anything unexpected is INTERNAL and logged."""

    @functools.wraps(handler)
    async def wrapper(self, request, context: grpc.aio.ServicerContext):
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as e:  # noqa: BLE001 - every error must reach the client as a status
            code = status_of(e)
            if code is None:
                log.exception("%s failed", handler.__name__)
                await context.abort(grpc.StatusCode.INTERNAL, f"internal error in {handler.__name__}: {type(e).__name__}: {e}")
            await context.abort(code, str(e))

    return wrapper


class WorldServicer(pb_grpc.WorldServiceServicer):
    def __init__(self, operations: WorldOperations):
        self._ops = operations

    @rpc
    async def GetInfo(self, request: pb.GetInfoRequest, context) -> pb.GetInfoResponse:
        return await self._ops.get_info()

    @rpc
    async def CreateSession(self, request: pb.CreateSessionRequest, context) -> pb.CreateSessionResponse:
        return await self._ops.create_session(request)

    @rpc
    async def Step(self, request: pb.Action, context) -> pb.Frame:
        return await self._ops.step(request, time.perf_counter())

    @rpc
    async def Play(self, request_iterator: AsyncIterator[pb.Action], context: grpc.aio.ServicerContext) -> None:
        await self._ops.play(request_iterator, context.write)

    @rpc
    async def Fork(self, request: pb.ForkRequest, context) -> pb.ForkResponse:
        return await self._ops.fork(request)

    @rpc
    async def SaveWorld(self, request: pb.SaveWorldRequest, context) -> pb.SaveWorldResponse:
        return await self._ops.save_world(request)

    @rpc
    async def LoadWorld(self, request: pb.LoadWorldRequest, context) -> pb.LoadWorldResponse:
        return await self._ops.load_world(request)

    @rpc
    async def ExportGeometry(self, request: pb.ExportGeometryRequest, context) -> pb.ExportGeometryResponse:
        return await self._ops.export_geometry(request)

    @rpc
    async def CloseSession(self, request: pb.CloseSessionRequest, context) -> pb.CloseSessionResponse:
        return await self._ops.close_session(request)

    @rpc
    async def Reset(self, request: pb.ResetRequest, context) -> pb.Frame:
        return await self._ops.reset(request, time.perf_counter())
