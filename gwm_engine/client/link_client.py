"""A small blocking engine-link client: the reference for plugin codecs, used by tests and benchmarks.

    with LinkClient("ws://127.0.0.1:50052/link") as link:
        created = link.call("create_session", protocol_version="1.1.0", seed_image=png, width=256, height=256, fov_deg=60)
        frame = link.call("step", session_id=created.session.session_id, move_forward_m=0.1)
        for frame in link.play(created.session.session_id, [{"turn_yaw_deg": 2.0}] * 10):
            ...

Replies come back as gwm.v1 messages (pb.Frame, pb.CreateSessionResponse, ...), the same
classes the gRPC SDK receives, so frames from both transports compare directly. Engines use
the gRPC SDK (WorldClient); this client exists to exercise and document the link.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import grpc
import msgpack
from websockets.sync.client import ClientConnection, connect

from gwm_engine.protocol import chunks, link_messages
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.limits import MAX_MESSAGE_BYTES, MAX_WORLD_FILE_BYTES
from gwm_engine.protocol.link_messages import LinkMessage
from gwm_engine.protocol.version import PROTOCOL_VERSION


class LinkCallError(Exception):
    """An `error` message: the gRPC status code it mirrors and the server's text."""

    def __init__(self, code: grpc.StatusCode, message: str, id: int):
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.id = id


_CODES = {code.value[0]: code for code in grpc.StatusCode}


def encode_request(message_type: str, message_id: int, fields: dict[str, Any]) -> bytes:
    """A request map: `type`, `id`, then only the given fields (the rest take proto defaults)."""
    return msgpack.packb({"type": message_type, "id": message_id, **fields}, use_bin_type=True)


class LinkClient:
    def __init__(
        self, url: str, token: str | None = None, hello: bool = True, timeout_s: float = 60.0, origin: str | None = None
    ):
        """Connect to `url` (ws://host:port/link) and, with `hello`, do the version handshake."""
        self.url = url
        self.timeout_s = timeout_s
        self._exit = contextlib.ExitStack()  # websockets wants connect() used as a context manager
        self._ws: ClientConnection = self._exit.enter_context(
            connect(
                url, compression=None, max_size=MAX_MESSAGE_BYTES + link_messages.FRAMING_BYTES, open_timeout=timeout_s, origin=origin
            )
        )
        self._ids = itertools.count(1)
        self._early: dict[int, list[LinkMessage]] = {}  # replies that came while waiting for another id
        self.server: dict | None = None
        if hello:
            try:
                self.server = self.call("hello", protocol_version=PROTOCOL_VERSION, **({"token": token} if token else {}))
            except BaseException:
                self.close()
                raise

    def __enter__(self) -> LinkClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._exit.close()

    def next_id(self) -> int:
        return next(self._ids)

    def send(self, message_type: str, message_id: int | None = None, **fields: Any) -> int:
        """Send a request; returns its id."""
        message_id = self.next_id() if message_id is None else message_id
        self._ws.send(encode_request(message_type, message_id, fields))
        return message_id

    def send_raw(self, data: bytes | str) -> None:
        self._ws.send(data)

    def receive(self, message_id: int | None = None) -> LinkMessage:
        """The next message (for `message_id`, if given); raises TimeoutError after timeout_s."""
        if message_id is not None and self._early.get(message_id):
            return self._early[message_id].pop(0)
        while True:
            message = link_messages.decode(self._ws.recv(timeout=self.timeout_s), link_messages.REPLIES)
            if message_id is None or message.id == message_id:
                return message
            self._early.setdefault(message.id, []).append(message)

    def call(self, message_type: str, **fields: Any) -> Any:
        """Send a request and wait for its reply's body; raises LinkCallError for an error reply."""
        return _body_or_raise(self.receive(self.send(message_type, **fields)))

    def download(self, message_type: str, **fields: Any) -> bytes:
        """A file from save_world_chunks or export_geometry_chunks: its chunks, reassembled."""
        stream = self.send(message_type, **fields)
        file = chunks.Reassembly(f"{message_type} file", MAX_WORLD_FILE_BYTES)
        while not file.done:
            chunk = _body_or_raise(self.receive(stream))
            file.add(chunk.data, chunk.offset, chunk.total_bytes)
        return bytes(file.file())

    def load_world_chunks(self, world: bytes, **fields: Any) -> pb.LoadWorldResponse:
        """load_world_chunks: `world` in chunks, the first with `fields` (protocol_version, encodings)."""
        upload = self.next_id()
        for offset, piece in chunks.pieces(world):
            first = {"protocol_version": PROTOCOL_VERSION, **fields} if offset == 0 else {}
            self.send("load_world_chunks", upload, data=piece, offset=offset, total_bytes=len(world), **first)
        return _body_or_raise(self.receive(upload))

    def play(self, session_id: str, actions: Iterable[dict[str, Any]], lockstep: bool = True) -> Iterator[pb.Frame]:
        """A play stream: with `lockstep`, each action is sent only after the previous frame came
        (one frame per action); without, all are sent at once and the server coalesces them."""
        stream = self.next_id()
        first = True
        for action in actions:
            self.send("play", stream, **({"session_id": session_id} if first else {}), **action)
            first = False
            if lockstep:
                yield _body_or_raise(self.receive(stream))
        if first:
            return
        self.send("play_end", stream)
        while (message := self.receive(stream)).type != "play_end":
            yield _body_or_raise(message)


def _body_or_raise(message: LinkMessage) -> Any:
    if message.type == "error":
        body = message.body
        raise LinkCallError(_CODES.get(body["code"], grpc.StatusCode.UNKNOWN), body["message"], message.id)
    return message.body
