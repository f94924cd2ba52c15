"""The engine link: gwm.v1 over WebSocket + msgpack, served by the daemon beside gRPC.

For clients that cannot speak gRPC: Godot (no HTTP/2), Unity without native plugins, browsers.
It is a second transport over the same WorldOperations as the gRPC servicer, so both share
the sessions, the batcher and the semantics. proto/ENGINE_LINK.md is the spec; the messages
are in link_messages.py.

One connection carries many requests at once, matched by the `id` the client chooses: each
call and each play stream runs as its own task, so a slow create_session never holds up the
frames of a play stream on the same connection. A bad message fails only its own request
(or play stream); an oversized one closes only its own connection (websockets' max_size).

An `error` is always the last message with its id (proto/ENGINE_LINK.md, "Ids and errors"):
a bad play message ends its stream at once, a play after play_end ends the stream too, and a
message reusing the id of a call in flight or an open stream cancels what held the id. So the
checks that decide this run here, in the order messages arrive, not in the stream's task.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import Message
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

import gwm_engine
from gwm_engine.protocol import link_messages
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.link_messages import LinkError, LinkMessage
from gwm_engine.protocol.version import PROTOCOL_VERSION, SUPPORTED_VERSIONS, check_protocol_version
from gwm_engine.server import message_conversion, playground_http
from gwm_engine.server.auth import token_matches
from gwm_engine.server.config import ServerConfig
from gwm_engine.server.operations import WorldOperations, error_reply
from gwm_engine.server.playground_http import LINK_PATH
from gwm_engine.server.transport import Endpoint, Transport, format_address

log = logging.getLogger(__name__)

# Requests in flight plus open play streams on one connection. An engine needs a handful;
# the bound keeps one misbehaving client from piling up unbounded tasks.
MAX_OPEN_PER_CONNECTION = 32

_UNARY: dict[str, Callable[[WorldOperations, Any, float], Awaitable[Message]]] = {
    "get_info": lambda ops, body, arrived: ops.get_info(),
    "create_session": lambda ops, body, arrived: ops.create_session(body),
    "step": lambda ops, body, arrived: ops.step(body, arrived),
    "fork": lambda ops, body, arrived: ops.fork(body),
    "save_world": lambda ops, body, arrived: ops.save_world(body),
    "load_world": lambda ops, body, arrived: ops.load_world(body),
    "export_geometry": lambda ops, body, arrived: ops.export_geometry(body),
    "close_session": lambda ops, body, arrived: ops.close_session(body),
    "reset": lambda ops, body, arrived: ops.reset(body, arrived),
}
# Calls answered with a stream of replies (file chunks), all with the request's id.
_STREAMED: dict[str, Callable[[WorldOperations, Any], AsyncIterator[Message]]] = {
    "save_world_chunks": lambda ops, body: ops.save_world_chunks(body),
    "export_geometry_chunks": lambda ops, body: ops.export_geometry_chunks(body),
}


def max_link_message_bytes(config: ServerConfig) -> int:
    """The gRPC limit plus room for the link's field names: whatever fits gRPC fits here."""
    return config.max_message_bytes + link_messages.FRAMING_BYTES


class LinkServer(Transport):
    """The WebSocket server on the link port (the link on /link, the playground on /)."""

    def __init__(self, config: ServerConfig, operations: WorldOperations):
        self._config = config
        self._operations = operations
        self._connections: set[_Connection] = set()
        self._server: Server | None = None
        self.port = 0

    async def start(self) -> list[Endpoint]:
        """Bind and serve; the link's and the playground's URLs. OSError if the port is taken."""
        try:
            self._server = await self._serve()
        except OSError as e:
            raise OSError(
                f"cannot listen on port {self._config.link_port} of {self._config.host} for the engine link (--link-port): "
                f"{e.strerror or e}"
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]
        address = format_address(self._config.host, self.port)
        return [Endpoint("link", f"ws://{address}{LINK_PATH}"), Endpoint("playground", f"http://{address}/")]

    async def _serve(self) -> Server:
        # Its own logger, kept to warnings: websockets logs every static file it serves as a
        # "rejected" handshake at INFO.
        quiet = logging.getLogger(f"{__name__}.websockets")
        quiet.setLevel(logging.WARNING)
        return await serve(
            self._handle,
            self._config.host,
            self._config.link_port,
            process_request=lambda connection, request: playground_http.handle_request(
                connection, request, self._config.host, self._config.token, self.port
            ),
            compression=None,  # frames are raw pixels and floats: deflate costs CPU and latency for little gain
            max_size=max_link_message_bytes(self._config),
            ping_interval=self._config.keepalive_time_s,  # finds engines that vanished, as gRPC keepalive does
            ping_timeout=self._config.keepalive_timeout_s,
            close_timeout=2.0,  # at shutdown, a client that does not answer the close is dropped
            write_limit=4 * 1024 * 1024,  # a whole frame fits the write buffer, so a send rarely waits
            logger=quiet,
        )

    async def drain(self) -> None:
        """Nothing to do: the link has no health signal, and it keeps answering until stop()."""

    async def stop(self, grace_s: float) -> None:
        """Accept nothing new, give running requests and streams `grace_s`, then close everything."""
        assert self._server is not None
        self._server.close(close_connections=False)
        for connection in self._connections:
            connection.draining = True
        tasks = [task for connection in self._connections for task in connection.all_tasks()]
        if tasks and grace_s > 0:
            await asyncio.wait(tasks, timeout=grace_s)
        await asyncio.gather(*(c.close() for c in list(self._connections)), return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, websocket: ServerConnection) -> None:
        connection = _Connection(websocket, self._operations, self._config)
        self._connections.add(connection)
        try:
            await connection.serve()
        finally:
            self._connections.discard(connection)


class _StreamEnded(Exception):
    """Raised inside a play stream the link ended; its error reply was sent already."""


class _PlayStream:
    """One play stream's incoming actions, as the async iterator WorldOperations.play reads."""

    _END = object()
    _ABORT = object()

    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self._queue: asyncio.Queue[Any] = asyncio.Queue()  # drained at once into the play mailbox
        self.ending = False  # play_end was read: answer what is pending, then send play_end
        self.aborted = False  # an error ended it: send nothing more

    def put(self, action: pb.Action) -> None:
        self._queue.put_nowait(action)

    def end(self) -> None:
        self.ending = True
        self._queue.put_nowait(self._END)

    def abort(self) -> None:
        self.aborted = True
        self._queue.put_nowait(self._ABORT)

    def __aiter__(self) -> _PlayStream:
        return self

    async def __anext__(self) -> pb.Action:
        item = await self._queue.get()
        if item is self._END:
            raise StopAsyncIteration
        if item is self._ABORT:
            raise _StreamEnded
        return item


class _Connection:
    def __init__(self, websocket: ServerConnection, operations: WorldOperations, config: ServerConfig):
        self._ws = websocket
        self._operations = operations
        self._token = config.token
        self._max_bytes = max_link_message_bytes(config)
        self._greeted = False
        self.draining = False
        self.tasks: dict[int, asyncio.Task] = {}  # by id: calls in flight and play streams
        self._streams: dict[int, _PlayStream] = {}
        # Calls and streams an error ended, still finishing: their ids are free again.
        self._ended: set[asyncio.Task] = set()
        # load_world_chunks uploads by id: a _PlayStream of LoadWorldChunks rather than actions.
        self._uploads: dict[int, _PlayStream] = {}
        self._failed_uploads: set[int] = set()  # ids whose upload failed: their later chunks are dropped
        request, port = websocket.request, websocket.local_address[1] if websocket.local_address else 0
        # hello's token may instead come with the link URL (?token=) or the playground's cookie.
        self._request_token = (
            (playground_http.query_token(request) or playground_http.cookie_token(request, port)) if request else None
        )

    async def serve(self) -> None:
        try:
            async for data in self._ws:
                await self._receive(data, time.perf_counter())
        except ConnectionClosed:  # closed without a close frame, or by max_size (close code 1009)
            pass
        finally:
            tasks = self.all_tasks()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        await self._ws.close(1001, "the server is shutting down")

    def all_tasks(self) -> list[asyncio.Task]:
        return [*self.tasks.values(), *self._ended]

    def _end(self, message_id: int) -> None:
        """Whatever holds `message_id` ends without another word: its id is free at once."""
        stream = self._streams.pop(message_id, None) or self._uploads.pop(message_id, None)
        if stream is not None:
            stream.abort()
        task = self.tasks.pop(message_id, None)
        if task is not None and not task.done():
            if stream is None:
                task.cancel()  # a call in flight: its reply is never sent
            self._ended.add(task)
            task.add_done_callback(self._ended.discard)

    async def _receive(self, data: bytes | str, arrived: float) -> None:
        if isinstance(data, str):
            await self._send_error(
                link_messages.UNREADABLE_ID,
                LinkError(grpc.StatusCode.INVALID_ARGUMENT, "the engine link takes binary (msgpack) messages, got text"),
            )
            return
        try:
            message = link_messages.decode(data)
        except LinkError as e:
            self._end(e.id)  # a bad message with the id of an open stream ends that stream
            await self._send_error(e.id, e)
            return
        try:
            self._check_may_call(message)
            if message.type == "hello":
                await self._send(message.id, "hello", self._hello(message.body))
            elif message.type == "play":
                self._play(message)
            elif message.type == "play_end":
                self._play_end(message.id)
            elif message.type == "load_world_chunks":
                self._upload(message)
            elif message.type in _STREAMED:
                self._start(message.id, lambda: self._call_streamed(message))
            else:
                self._start(message.id, lambda: self._call(message, arrived))
        except Exception as e:  # noqa: BLE001 - reported to the client as an error message
            self._end(message.id)  # the error is the last word on this id
            await self._send_error(message.id, e)

    def _check_may_call(self, message: LinkMessage) -> None:
        if message.id == link_messages.UNREADABLE_ID:
            raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, f"id {link_messages.UNREADABLE_ID} is reserved; use ids from 1")
        if message.type == "hello":
            return
        if not self._greeted:
            if self._token:
                raise LinkError(grpc.StatusCode.UNAUTHENTICATED, "send hello with the token first")
            raise LinkError(grpc.StatusCode.FAILED_PRECONDITION, "send hello (the protocol version handshake) first")
        if self.draining and message.id not in self._streams:
            raise LinkError(grpc.StatusCode.UNAVAILABLE, "the server is shutting down")
        running = self.tasks.get(message.id)
        to_stream = (message.type in ("play", "play_end") and message.id in self._streams) or (
            message.type == "load_world_chunks" and message.id in self._uploads
        )
        if running is not None and not running.done() and not to_stream:
            what = "an open play stream" if message.id in self._streams else "a call in flight"
            raise LinkError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"id {message.id} is in use by {what}, which is now cancelled; "
                "reuse an id only after its reply (or play_end) came",
            )

    def _hello(self, body: dict) -> dict:
        if self._token:
            given = body["token"] or self._request_token
            if not given:
                raise LinkError(
                    grpc.StatusCode.UNAUTHENTICATED, "missing token: send it as hello's 'token' or the link URL's ?token="
                )
            if not token_matches(given, self._token):
                raise LinkError(grpc.StatusCode.UNAUTHENTICATED, "wrong token")
        check_protocol_version(body["protocol_version"])
        self._greeted = True
        return {
            "protocol_version": PROTOCOL_VERSION,
            "supported_protocol_versions": list(SUPPORTED_VERSIONS),
            "server_version": gwm_engine.__version__,
            "max_message_bytes": self._max_bytes,
        }

    def _start(self, message_id: int, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work()` as the task holding `message_id`; the coroutine is made only once the
        limit allows it, so a refused request leaves none behind unawaited."""
        if sum(not task.done() for task in self.all_tasks()) >= MAX_OPEN_PER_CONNECTION:
            raise LinkError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"at most {MAX_OPEN_PER_CONNECTION} calls and play streams may be open on one connection; wait for a reply",
            )
        task = asyncio.create_task(work())
        self.tasks[message_id] = task
        task.add_done_callback(lambda done: self.tasks.get(message_id) is done and self.tasks.pop(message_id))

    async def _call(self, message: LinkMessage, arrived: float) -> None:
        try:
            reply = await _UNARY[message.type](self._operations, message.body, arrived)
            await self._send(message.id, message.type, reply)
        except Exception as e:  # noqa: BLE001 - reported to the client as an error message
            await self._send_error(message.id, e)

    async def _call_streamed(self, message: LinkMessage) -> None:
        try:
            async for reply in _STREAMED[message.type](self._operations, message.body):
                await self._send(message.id, message.type, reply)
        except Exception as e:  # noqa: BLE001 - reported to the client as an error message
            await self._send_error(message.id, e)

    def _upload(self, message: LinkMessage) -> None:
        """One chunk of a load_world_chunks upload; the first with a free id opens it."""
        chunk: pb.LoadWorldChunk = message.body
        upload = self._uploads.get(message.id)
        if upload is None:
            if chunk.offset != 0 and message.id in self._failed_uploads:
                return  # the rest of an upload that was answered with an error already
            self._failed_uploads.discard(message.id)
            upload = _PlayStream("")
            self._start(message.id, lambda: self._run_upload(message.id, upload))
            self._uploads[message.id] = upload
        upload.put(chunk)

    async def _run_upload(self, upload_id: int, upload: _PlayStream) -> None:
        try:
            reply = await self._operations.load_world_chunks(upload)
        except _StreamEnded:
            self._failed_uploads.add(upload_id)
            return
        except Exception as e:  # noqa: BLE001 - reported to the client as an error message
            if self._uploads.get(upload_id) is upload:
                del self._uploads[upload_id]  # before the error goes out: it is the upload's last message
                self._failed_uploads.add(upload_id)
                await self._send_error(upload_id, e)
            return
        finally:
            if self._uploads.get(upload_id) is upload and upload.aborted:
                del self._uploads[upload_id]
        if self._uploads.pop(upload_id, None) is not upload:  # the link ended the upload meanwhile:
            # nobody learns the new session's id, so it must not stay
            await self._operations.close_session(pb.CloseSessionRequest(session_id=reply.session.session_id))
            return
        await self._send(upload_id, "load_world_chunks", reply)

    def _play(self, message: LinkMessage) -> None:
        """Checks every action as it is read, so a bad one ends its stream before any later
        message is looked at; the session itself is looked up by the stream (NOT_FOUND)."""
        action: pb.Action = message.body
        stream = self._streams.get(message.id)
        if stream is not None and stream.ending:
            raise LinkError(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"play seq {action.seq}: stream {message.id} got play_end already, so it ends here; open a new stream to go on",
            )
        if stream is None and not action.session_id:
            raise LinkError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"play seq {action.seq}: the first play of stream {message.id} must carry session_id (the stream is new: "
                "an error or play_end ended any earlier one with this id)",
            )
        if stream is not None and action.session_id not in ("", stream.session_id):
            raise LinkError(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"action seq {action.seq}: a play stream serves one session; got another session_id",
            )
        message_conversion.action_from_wire(action)  # InvalidInput naming the seq
        if stream is None:
            stream = _PlayStream(action.session_id)
            self._start(message.id, lambda: self._run_stream(message.id, stream))
            self._streams[message.id] = stream
        stream.put(action)

    def _play_end(self, message_id: int) -> None:
        stream = self._streams.get(message_id)
        if stream is None or stream.ending:
            raise LinkError(
                grpc.StatusCode.INVALID_ARGUMENT, f"no open play stream has id {message_id} (or play_end was sent already)"
            )
        stream.end()

    async def _run_stream(self, stream_id: int, stream: _PlayStream) -> None:
        async def send(frame: pb.Frame) -> None:
            if stream.aborted:  # a frame produced while the link ended the stream: the error was its last word
                raise _StreamEnded
            await self._send(stream_id, "play", frame)

        try:
            await self._operations.play(stream, send)
            if self._streams.get(stream_id) is stream:
                del self._streams[stream_id]  # before play_end goes out: a later play opens a new stream
                await self._send(stream_id, "play_end", {})
        except _StreamEnded:
            pass
        except Exception as e:  # noqa: BLE001 - reported to the client as an error message
            if self._streams.get(stream_id) is stream:
                del self._streams[stream_id]  # before the error goes out: it is the stream's last message
                await self._send_error(stream_id, e)
        finally:
            if self._streams.get(stream_id) is stream:
                del self._streams[stream_id]

    async def _send(self, message_id: int, message_type: str, body: Message | dict) -> None:
        """Send a reply; one over the size limit raises RESOURCE_EXHAUSTED (the caller's error reply)."""
        data = link_messages.encode(message_type, message_id, body)
        if len(data) > self._max_bytes:
            raise LinkError(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"the {message_type} reply is {len(data)} bytes, over the link's limit of {self._max_bytes}",
            )
        await self._send_bytes(data)

    async def _send_error(self, message_id: int, error: Exception) -> None:
        if isinstance(error, LinkError):
            code, text = error.code, str(error)
        else:  # a bug is logged there, and answered without internals
            code, text = error_reply(error, f"engine link call {message_id}")
        await self._send_bytes(link_messages.error_message(message_id, code, text))

    async def _send_bytes(self, data: bytes) -> None:
        try:
            await self._ws.send(data)
        except ConnectionClosed:  # the client went away; serve() cancels its remaining work
            pass
