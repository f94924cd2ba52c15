"""Files in chunks (FileChunk, LoadWorldChunk): splitting on the sending side, checked
reassembly on the receiving side. Shared by the daemon and the SDK, over gRPC and the link."""

from __future__ import annotations

from collections.abc import Iterator

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.limits import CHUNK_BYTES


def pieces(data: bytes, chunk_bytes: int = CHUNK_BYTES) -> Iterator[tuple[int, bytes]]:
    """(offset, bytes) pieces of `data` in order; at least one, so an empty file is one empty chunk."""
    view = memoryview(data)
    offset = 0
    while True:
        piece = bytes(view[offset : offset + chunk_bytes])
        yield offset, piece
        offset += len(piece)
        if offset >= len(data):
            return


def file_chunks(data: bytes, point_count: int = 0, chunk_bytes: int = CHUNK_BYTES) -> Iterator[pb.FileChunk]:
    for offset, piece in pieces(data, chunk_bytes):
        yield pb.FileChunk(data=piece, offset=offset, total_bytes=len(data), point_count=point_count)


class Reassembly:
    """Collects a file's chunks, checking that they come in order and add up to total_bytes.

    Nothing is reserved from the (untrusted) total_bytes: memory grows with what arrived."""

    def __init__(self, what: str, max_bytes: int):
        self._what = what
        self._max_bytes = max_bytes
        self._data = bytearray()
        self.total: int | None = None

    @property
    def done(self) -> bool:
        return self.total is not None and len(self._data) == self.total

    def add(self, data: bytes, offset: int, total_bytes: int) -> bool:
        """Append one chunk; True once the file is complete. InvalidInput for a chunk out of place."""
        if self.total is None:
            if total_bytes > self._max_bytes:
                raise InvalidInput(f"{self._what} of {total_bytes} bytes is over the limit of {self._max_bytes} bytes")
            self.total = total_bytes
        elif self.done:
            raise InvalidInput(f"{self._what}: a chunk came after the last one (the file was complete at {self.total} bytes)")
        elif total_bytes != self.total:
            raise InvalidInput(f"{self._what}: a chunk says total_bytes {total_bytes}, the first said {self.total}")
        if offset != len(self._data):
            raise InvalidInput(f"{self._what}: a chunk at offset {offset}, expected {len(self._data)}; send chunks in order")
        if offset + len(data) > self.total:
            raise InvalidInput(f"{self._what}: a chunk ends at {offset + len(data)}, past total_bytes {self.total}")
        self._data += data
        return self.done

    def file(self) -> bytearray:
        """The whole file (no copy); only once complete."""
        if not self.done:
            got = len(self._data)
            raise InvalidInput(f"{self._what} ended after {got} of {self.total if self.total is not None else '?'} bytes")
        return self._data
