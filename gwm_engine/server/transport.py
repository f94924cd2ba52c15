"""The seam between the daemon and the ways clients reach it.

A transport serves WorldOperations to clients in its own wire form (gRPC, the engine link).
`daemon.serve` starts every transport it is given, prints where each listens, and stops them
together. To add one, implement this class in its own module and add it to the list in
`daemon.serve`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoint:
    """One address a started transport listens on."""

    name: str  # key in the daemon's ready line: "grpc", "link", "playground"
    address: str  # host:port for gRPC, a URL otherwise


class Transport(ABC):
    @abstractmethod
    async def start(self) -> list[Endpoint]:
        """Bind and serve; the endpoints with the real ports. OSError (plain words) if it cannot bind."""

    @abstractmethod
    async def drain(self) -> None:
        """Tell health checkers new work should go elsewhere; calls are still answered."""

    @abstractmethod
    async def stop(self, grace_s: float) -> None:
        """Accept nothing new, give calls in flight `grace_s` to finish, then close."""


def format_address(host: str, port: int) -> str:
    """host:port, with IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
