"""What every gwm.v1 call does, independent of the transport that carried it.

The gRPC servicer (grpc_service.py) and the engine link (link_transport.py) both call these operations, so
the two transports share one set of sessions, one batcher and one set of semantics: the same
validation, the same latest-action-wins Play, the same frames. Operations take and return
gwm.v1 messages and raise the engine's exceptions; each transport turns those into its own
error replies with `status_of`.

Operations run on the event loop and only orchestrate; decoding, model work and encoding run
on the worker threads so the loop keeps answering health checks and other clients meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from typing import TypeVar

import grpc

import gwm_engine
from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import CameraAction
from gwm_engine.geometry.actions import MAX_MOVE_M, MAX_TURN_DEG
from gwm_engine.model import WorldModel
from gwm_engine.protocol import chunks
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.limits import MAX_WORLD_FILE_BYTES
from gwm_engine.protocol.version import PROTOCOL_VERSION, SUPPORTED_VERSIONS, ProtocolMismatch, check_protocol_version
from gwm_engine.server import message_conversion
from gwm_engine.server.action_mailbox import ActionMailbox
from gwm_engine.server.batcher import StepBatcher
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.malloc_tuning import release_freed_memory
from gwm_engine.server.sessions import FrameEncoding, SessionEntry, SessionManager, SessionNotFound, TooManySessions
from gwm_engine.world import MAX_PIXELS, MAX_SIDE, MIN_SIDE, SessionConfig, StepFrame, WorldSession
from gwm_engine.world.mesh import check_collision_faces, to_glb

log = logging.getLogger(__name__)
T = TypeVar("T")

# How long after a large call its memory is handed back to the OS (see _release_memory).
TRIM_DELAY_S = 0.2
# Room in one message for the fields around a file's bytes (tags, lengths, point_count).
_ENVELOPE_BYTES = 1024


class ShuttingDown(Exception):
    """The daemon is draining: no new sessions (UNAVAILABLE)."""


class TooLarge(Exception):
    """A reply over the message limit (RESOURCE_EXHAUSTED); the message names the chunked call."""


_STATUS = {
    InvalidInput: grpc.StatusCode.INVALID_ARGUMENT,
    SessionNotFound: grpc.StatusCode.NOT_FOUND,
    ProtocolMismatch: grpc.StatusCode.FAILED_PRECONDITION,
    TooManySessions: grpc.StatusCode.RESOURCE_EXHAUSTED,
    TooLarge: grpc.StatusCode.RESOURCE_EXHAUSTED,
    MemoryError: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ShuttingDown: grpc.StatusCode.UNAVAILABLE,
}


def status_of(error: BaseException) -> grpc.StatusCode | None:
    """The status code an engine exception is reported with; None for a bug (INTERNAL)."""
    for kind, code in _STATUS.items():
        if isinstance(error, kind):
            return code
    return None


def error_reply(error: BaseException, call: str) -> tuple[grpc.StatusCode, str]:
    """The status and plain-words message a failed call is answered with, on every transport.

    A bug is logged here, once, with its traceback, and the client is told only that the
    daemon failed: exception names and texts are internals (paths, tensor sizes, library
    messages) that the client can do nothing with."""
    code = status_of(error)
    if isinstance(error, MemoryError):  # its text is the allocator's ("DefaultCPUAllocator: ...")
        return grpc.StatusCode.RESOURCE_EXHAUSTED, f"{call}: the daemon has not enough memory for this request"
    if code is None:
        log.error("%s failed", call, exc_info=error)
        return grpc.StatusCode.INTERNAL, f"{call} failed inside the daemon; its log has the details"
    return code, str(error)


class WorldOperations:
    def __init__(
        self, config: ServerConfig, model: WorldModel, manager: SessionManager, batcher: StepBatcher, executor: Executor
    ):
        self._config = config
        self._model = model
        self._manager = manager
        self._batcher = batcher
        self._executor = executor
        self.draining = False
        self._trim_pending = False

    def start_draining(self) -> None:
        """From now on, new sessions (create, load, fork) are refused with UNAVAILABLE."""
        self.draining = True

    def _check_open(self) -> None:
        if self.draining:
            raise ShuttingDown("the daemon is shutting down and takes no new sessions; connect to another one")

    async def _release_memory(self) -> None:
        """Hand freed memory back to the OS after a call that held large buffers (see
        malloc_tuning): a moment later, once the transport freed the request (it holds it
        until the reply is out), and at most once per moment however many calls end in it."""
        if self._trim_pending:
            return
        self._trim_pending = True
        asyncio.get_running_loop().call_later(TRIM_DELAY_S, self._trim)

    def _trim(self) -> None:
        self._trim_pending = False
        with contextlib.suppress(RuntimeError):  # the executor is shut down: the daemon is stopping
            asyncio.get_running_loop().run_in_executor(self._executor, release_freed_memory)

    async def _off_loop(self, fn: Callable[..., T], *args) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def get_info(self) -> pb.GetInfoResponse:
        return pb.GetInfoResponse(
            model_name=self._model.name,
            model_version=self._model.version,
            server_version=gwm_engine.__version__,
            protocol_version=PROTOCOL_VERSION,
            supported_protocol_versions=SUPPORTED_VERSIONS,
            min_side_px=MIN_SIDE,
            max_side_px=MAX_SIDE,
            max_pixels=MAX_PIXELS,
            rgb_encodings=message_conversion.RGB_ENCODINGS,
            depth_encodings=message_conversion.DEPTH_ENCODINGS,
            backends=self._model.describe().backends,
            max_sessions=self._config.max_sessions,
            open_sessions=len(self._manager),
            idle_timeout_s=self._config.idle_timeout_s,
            max_message_bytes=self._config.max_message_bytes,
            max_move_m=MAX_MOVE_M,
            max_turn_deg=MAX_TURN_DEG,
            batch_wait_ms=self._batcher.wait_ms,  # 0 where batching is off, by setting or calibration
        )

    async def create_session(self, request: pb.CreateSessionRequest) -> pb.CreateSessionResponse:
        try:
            return await self._create_session_checked(request)
        finally:
            await self._release_memory()

    async def _create_session_checked(self, request: pb.CreateSessionRequest) -> pb.CreateSessionResponse:
        self._check_open()
        check_protocol_version(request.protocol_version)
        encoding = message_conversion.frame_encoding(
            request.rgb_encoding, request.depth_encoding, request.jpeg_quality, request.include_mask
        )
        # Cheap checks first: a 100000x100000 request is refused before any image is decoded.
        config = SessionConfig(
            width=request.width,
            height=request.height,
            fov_deg=request.fov_deg,
            stereo=request.stereo,
            ipd_m=request.ipd_m,
            walk=request.walk,
            generate=self._config.generate,
            ahead=self._config.ahead,
        ).validate()
        message_conversion.scale_hint(request)  # checked before the image is decoded, like the size
        with self._manager.reserve():
            session = await self._off_loop(self._create_session, request, config)
            with self._manager.adding(session, encoding) as entry:  # unregistered again if the rest fails
                first = await self._produce(entry.id, CameraAction(), 0, 0, time.perf_counter())
                return pb.CreateSessionResponse(session=message_conversion.session_info(entry), first_frame=first)

    def _create_session(self, request: pb.CreateSessionRequest, config: SessionConfig) -> WorldSession:
        image, depth = message_conversion.decode_seed(request)
        return WorldSession.create(image, depth, config, self._model, scale_hint=message_conversion.scale_hint(request))

    async def step(self, request: pb.Action, arrived: float) -> pb.Frame:
        """`arrived`: time.perf_counter() when the request arrived (the start of server_total)."""
        action = message_conversion.action_from_wire(request)
        return await self._produce(request.session_id, action, request.seq, request.client_time_us, arrived)

    async def play(self, requests: AsyncIterator[pb.Action], send: Callable[[pb.Frame], Awaitable[None]]) -> None:
        """Interactive play until `requests` ends: latest action wins (see action_mailbox.py).

        The next frame is produced only after `send` returned, so a client (or network) slower
        than the world gets fewer frames, each answering every action so far, never a queue.
        """
        requests = requests.__aiter__()
        try:
            first = await requests.__anext__()
        except StopAsyncIteration:
            return
        entry = self._manager.get(first.session_id)
        mailbox = ActionMailbox()
        reader = asyncio.create_task(self._read_actions(first, requests, entry.id, mailbox))
        try:
            with self._manager.streaming(entry):
                while (pending := await mailbox.take()) is not None:
                    started = time.perf_counter()
                    frame = await self._produce(entry.id, pending.action, pending.seq, pending.client_time_us, pending.arrived)
                    mailbox.check()  # a bad action read meanwhile ends the stream: its error is the last word
                    await send(frame)
                    if self._config.max_fps > 0:
                        # Actions arriving meanwhile coalesce in the mailbox, as for a slow model.
                        await asyncio.sleep(max(0.0, started + 1 / self._config.max_fps - time.perf_counter()))
        finally:
            reader.cancel()

    @staticmethod
    async def _read_actions(
        first: pb.Action, requests: AsyncIterator[pb.Action], session_id: str, mailbox: ActionMailbox
    ) -> None:
        """Feed a Play stream's actions into its mailbox; a bad one ends the stream."""
        message = first
        try:
            while True:
                if message.session_id not in ("", session_id):
                    raise InvalidInput(f"action seq {message.seq}: a Play stream serves one session; got another session_id")
                mailbox.put(message_conversion.action_from_wire(message), message.seq, message.client_time_us)
                try:
                    message = await requests.__anext__()
                except StopAsyncIteration:
                    break
        except Exception as e:  # noqa: BLE001 - handed to the producer, which raises it to the transport
            mailbox.finish(e)
        else:
            mailbox.finish()

    async def _produce(
        self, session_id: str, action: CameraAction, seq: int, client_time_us: int, arrived: float, reset: bool = False
    ) -> pb.Frame:
        """Step a session (batched with other sessions) and encode the frame, with server timings;
        with `reset`, from the start pose (under the session's lock, so no step comes between)."""

        async def step(entry: SessionEntry) -> tuple[SessionEntry, StepFrame, float]:
            started = time.perf_counter()
            if reset:
                entry.session.reset()
            return entry, await self._batcher.step(entry.session, action), started

        entry, frame, started = await self._manager.run(session_id, step)
        stepped = time.perf_counter()
        message = await self._off_loop(message_conversion.frame_to_wire, frame, entry.encoding, seq, client_time_us)
        message.timings_ms["server_wait"] = (started - arrived) * 1e3
        message.timings_ms["server_step"] = (stepped - started) * 1e3
        message.timings_ms["server_total"] = (time.perf_counter() - arrived) * 1e3
        return message

    async def reset(self, request: pb.ResetRequest, arrived: float) -> pb.Frame:
        """Back to the start pose; the frame there (the seed's view)."""
        return await self._produce(request.session_id, CameraAction(), request.seq, request.client_time_us, arrived, reset=True)

    async def fork(self, request: pb.ForkRequest) -> pb.ForkResponse:
        async def fork(entry: SessionEntry) -> tuple[WorldSession, SessionEntry]:
            return await self._off_loop(entry.session.fork), entry

        self._check_open()
        with self._manager.reserve():
            session, parent = await self._manager.run(request.session_id, fork)
            with self._manager.adding(session, parent.encoding) as child:
                return pb.ForkResponse(session=message_conversion.session_info(child))

    def _fits_one_message(self, size: int, what: str, unary: str, chunked: str) -> None:
        if size + _ENVELOPE_BYTES > self._config.max_message_bytes:
            raise TooLarge(
                f"the {what} is {size / 1e6:.1f} MB, over the {self._config.max_message_bytes / 2**20:.0f} MiB message limit "
                f"of {unary}; use {chunked}, which streams it in chunks (the Python SDK does)"
            )

    async def _save(self, session_id: str) -> bytes:
        async def save(entry: SessionEntry) -> bytes:
            return await self._off_loop(entry.session.save)

        return await self._manager.run(session_id, save)

    async def save_world(self, request: pb.SaveWorldRequest) -> pb.SaveWorldResponse:
        world = await self._save(request.session_id)
        self._fits_one_message(len(world), "world file", "SaveWorld", "SaveWorldChunks (link: save_world_chunks)")
        return pb.SaveWorldResponse(world=world)

    async def save_world_chunks(self, request: pb.SaveWorldRequest) -> AsyncIterator[pb.FileChunk]:
        for chunk in chunks.file_chunks(await self._save(request.session_id)):
            yield chunk

    async def load_world(self, request: pb.LoadWorldRequest) -> pb.LoadWorldResponse:
        try:
            self._check_open()
            check_protocol_version(request.protocol_version)
            encoding = message_conversion.frame_encoding(
                request.rgb_encoding, request.depth_encoding, request.jpeg_quality, request.include_mask
            )
            return await self._load(request.world, encoding)
        finally:
            await self._release_memory()

    async def load_world_chunks(self, requests: AsyncIterator[pb.LoadWorldChunk]) -> pb.LoadWorldResponse:
        """LoadWorld from chunks: the first carries the request's fields; done at total_bytes."""
        file = chunks.Reassembly("world file", MAX_WORLD_FILE_BYTES)
        try:
            encoding = None
            async for chunk in requests:
                if encoding is None:
                    self._check_open()
                    check_protocol_version(chunk.protocol_version)
                    encoding = message_conversion.frame_encoding(
                        chunk.rgb_encoding, chunk.depth_encoding, chunk.jpeg_quality, chunk.include_mask
                    )
                    self._manager.check_room()  # before the upload, not after a gigabyte of it
                if file.add(chunk.data, chunk.offset, chunk.total_bytes):
                    break
            if encoding is None:
                raise InvalidInput("LoadWorldChunks got no chunks; the first must carry protocol_version")
            return await self._load(file.file(), encoding)
        finally:
            del file
            await self._release_memory()

    async def _load(self, world: bytes | bytearray, encoding: FrameEncoding) -> pb.LoadWorldResponse:
        with self._manager.reserve():
            session = await self._off_loop(WorldSession.load, world, self._model)
            with self._manager.adding(session, encoding) as entry:
                return pb.LoadWorldResponse(session=message_conversion.session_info(entry))

    async def _export(self, request: pb.ExportGeometryRequest) -> pb.ExportGeometryResponse:
        """The file a request asks for (PLY, or GLB with its collision budget) and its counts."""
        glb = message_conversion.geometry_format(request.format) == pb.GEOMETRY_FORMAT_GLB
        faces = check_collision_faces(request.collision_faces)

        async def export(entry: SessionEntry) -> pb.ExportGeometryResponse:
            if glb:
                out = await self._off_loop(to_glb, entry.session.cache.layers, faces)
                return pb.ExportGeometryResponse(
                    glb=out.data,
                    format=pb.GEOMETRY_FORMAT_GLB,
                    point_count=out.vertex_count,
                    face_count=out.face_count,
                    collision_face_count=out.collision_face_count,
                )
            ply = await self._off_loop(entry.session.export_ply)
            return pb.ExportGeometryResponse(ply=ply, point_count=len(entry.session.cache), format=pb.GEOMETRY_FORMAT_PLY)

        return await self._manager.run(request.session_id, export)

    async def export_geometry(self, request: pb.ExportGeometryRequest) -> pb.ExportGeometryResponse:
        response = await self._export(request)
        what = "glTF file" if response.glb else "PLY file"
        chunked = "ExportGeometryChunks (link: export_geometry_chunks)"
        self._fits_one_message(len(response.ply or response.glb), what, "ExportGeometry", chunked)
        return response

    async def export_geometry_chunks(self, request: pb.ExportGeometryRequest) -> AsyncIterator[pb.FileChunk]:
        response = await self._export(request)
        for chunk in chunks.file_chunks(response.ply or response.glb, response.point_count):
            yield chunk

    async def close_session(self, request: pb.CloseSessionRequest) -> pb.CloseSessionResponse:
        self._manager.close(request.session_id)
        await self._release_memory()
        return pb.CloseSessionResponse()
