"""The one exception the SDK raises for anything the server refused."""

from __future__ import annotations

import grpc


class WorldError(Exception):
    """A call failed; `code` is the gRPC status (e.g. INVALID_ARGUMENT), `details` the server's reason."""

    def __init__(self, code: grpc.StatusCode, details: str):
        super().__init__(f"{code.name}: {details}")
        self.code = code
        self.details = details

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> WorldError:
        return cls(error.code(), error.details() or "")
