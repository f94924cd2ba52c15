"""The gwm.v1 WorldService: gRPC handlers over the transport-neutral WorldOperations.

Each handler calls the operation of the same name (operations.py), which the engine link
calls too, and turns the engine's exceptions into gRPC statuses. The handlers are registered
by `method_handlers` rather than the generated `add_WorldServiceServicer_to_server`, so that
request bytes which are not the expected protobuf message get INVALID_ARGUMENT in plain words
instead of grpcio's UNKNOWN "Unexpected <class 'DecodeError'>" (and its logged traceback).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.server.operations import WorldOperations, error_reply

log = logging.getLogger(__name__)
T = TypeVar("T")

SERVICE = pb.DESCRIPTOR.services_by_name["WorldService"]


class Undecodable:
    """What the request deserializer returns for bytes that are not the expected message."""

    def __init__(self, message_name: str):
        self.message = f"the request is not a valid gwm.v1.{message_name} message: its protobuf bytes could not be parsed"


class ClientGone(Exception):
    """A stream's client stopped reading (it closed, crashed or froze): normal, not an error."""


def _lenient(message_class: type[Message]) -> Callable[[bytes], Message | Undecodable]:
    def deserialize(data: bytes) -> Message | Undecodable:
        try:
            return message_class.FromString(data)
        except Exception:  # noqa: BLE001 - any bytes that do not parse; a deserializer must not raise
            return Undecodable(message_class.__name__)

    return deserialize


def method_handlers(servicer: WorldServicer) -> dict[str, grpc.RpcMethodHandler]:
    """The WorldService's handlers by method name, with lenient request deserializers."""
    kinds = {
        (False, False): grpc.unary_unary_rpc_method_handler,
        (False, True): grpc.unary_stream_rpc_method_handler,
        (True, False): grpc.stream_unary_rpc_method_handler,
        (True, True): grpc.stream_stream_rpc_method_handler,
    }
    handlers = {}
    for method in SERVICE.methods:
        make = kinds[(method.client_streaming, method.server_streaming)]
        handlers[method.name] = make(
            getattr(servicer, method.name),
            request_deserializer=_lenient(getattr(pb, method.input_type.name)),
            response_serializer=getattr(pb, method.output_type.name).SerializeToString,
        )
    return handlers


def add_to_server(servicer: WorldServicer, server: grpc.aio.Server) -> None:
    handlers = method_handlers(servicer)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE.full_name, handlers),))


async def _decoded(requests: AsyncIterator[Any]) -> AsyncIterator[Message]:
    async for request in requests:
        if isinstance(request, Undecodable):
            raise InvalidInput(request.message)
        yield request


def _forget_frames(error: BaseException) -> None:
    """Drop the locals of the frames an error's traceback holds (and its causes').

    Those frames hold the request, which may be a 60 MiB seed or a world file. Exceptions
    easily sit in reference cycles (a task holding its exception, whose traceback holds the
    frame holding the task), which only the cycle collector frees, maybe much later: without
    this, every refused large request kept its memory for a while."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        traceback.clear_frames(current.__traceback__)
        current = current.__cause__ or current.__context__


def rpc(handler: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T | None]]:
    """Turn the engine's exceptions into gRPC statuses with plain messages (operations.error_reply)."""
    name = handler.__name__

    @functools.wraps(handler)
    async def wrapper(self: WorldServicer, request: Any, context: grpc.aio.ServicerContext) -> T | None:
        if isinstance(request, Undecodable):
            return _fail(context, grpc.StatusCode.INVALID_ARGUMENT, request.message)
        if hasattr(request, "__aiter__"):  # a request stream
            request = _decoded(request)
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except ClientGone as e:
            log.debug("%s: the client went away (%s)", name, e)
            return None
        except Exception as e:  # noqa: BLE001 - every error must reach the client as a status
            code, message = error_reply(e, name)
            _forget_frames(e)
            return _fail(context, code, message)

    return wrapper


def _fail(context: grpc.aio.ServicerContext, code: grpc.StatusCode, message: str) -> None:
    """End the call with this status. Not context.abort(): grpc keeps the AbortError it raises
    on the call's state, in a reference cycle with the frames that hold the request, so every
    refused request's bytes (a 60 MiB seed) stayed until the cycle collector ran."""
    context.set_code(code)
    context.set_details(message)


class WorldServicer(pb_grpc.WorldServiceServicer):
    def __init__(self, operations: WorldOperations, stalled_s: float):
        """`stalled_s`: a stream whose client takes longer than this to accept one message has
        a client that is gone or frozen (the keepalive time plus its timeout)."""
        self._ops = operations
        self._stalled_s = stalled_s

    async def _write(self, context: grpc.aio.ServicerContext, message: Message) -> None:
        try:
            await asyncio.wait_for(context.write(message), self._stalled_s)
        except asyncio.TimeoutError:
            raise ClientGone(f"it read nothing for {self._stalled_s:.0f} s") from None
        except Exception as e:  # noqa: BLE001 - grpc's internal ExecuteBatchError and kin: the call is over
            raise ClientGone(type(e).__name__) from None

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
        await self._ops.play(request_iterator, functools.partial(self._write, context))

    @rpc
    async def Fork(self, request: pb.ForkRequest, context) -> pb.ForkResponse:
        return await self._ops.fork(request)

    @rpc
    async def SaveWorld(self, request: pb.SaveWorldRequest, context) -> pb.SaveWorldResponse:
        return await self._ops.save_world(request)

    @rpc
    async def SaveWorldChunks(self, request: pb.SaveWorldRequest, context: grpc.aio.ServicerContext) -> None:
        async for chunk in self._ops.save_world_chunks(request):
            await self._write(context, chunk)

    @rpc
    async def LoadWorld(self, request: pb.LoadWorldRequest, context) -> pb.LoadWorldResponse:
        return await self._ops.load_world(request)

    @rpc
    async def LoadWorldChunks(self, request_iterator: AsyncIterator[pb.LoadWorldChunk], context) -> pb.LoadWorldResponse:
        return await self._ops.load_world_chunks(request_iterator)

    @rpc
    async def ExportGeometry(self, request: pb.ExportGeometryRequest, context) -> pb.ExportGeometryResponse:
        return await self._ops.export_geometry(request)

    @rpc
    async def ExportGeometryChunks(self, request: pb.ExportGeometryRequest, context: grpc.aio.ServicerContext) -> None:
        async for chunk in self._ops.export_geometry_chunks(request):
            await self._write(context, chunk)

    @rpc
    async def CloseSession(self, request: pb.CloseSessionRequest, context) -> pb.CloseSessionResponse:
        return await self._ops.close_session(request)

    @rpc
    async def Reset(self, request: pb.ResetRequest, context) -> pb.Frame:
        return await self._ops.reset(request, time.perf_counter())
