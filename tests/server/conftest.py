"""Server test helpers; the daemon, client and seed fixtures are in tests/conftest.py."""

import queue
from collections.abc import Iterable, Iterator

import pytest
from streaming import StreamingClient

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient
from gwm_engine.client.link_client import LinkClient
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZE = 64  # small frames keep the whole server suite fast on 2 cores


def _lockstep(actions: Iterable[CameraAction], answered: "queue.Queue[int]") -> Iterator[CameraAction]:
    for action in actions:
        yield action
        answered.get(timeout=60)

@pytest.fixture
def link_session(seed_png: bytes) -> Iterator:
    """link_session(link, size) -> session id: a session made over `link`, closed after the test
    over a fresh connection (the test may have left `link` mid-stream)."""
    made: list[tuple[str, str]] = []

    def create(link: LinkClient, size: int = SIZE) -> str:
        created = link.call("create_session", protocol_version=PROTOCOL_VERSION, seed_image=seed_png, width=size, height=size, fov_deg=60.0)
        made.append((link.url, created.session.session_id))
        return created.session.session_id

    yield create
    for url, session_id in made:
        with LinkClient(url) as c:
            c.call("close_session", session_id=session_id)


@pytest.fixture
def lockstep():
    """lockstep(actions, answered): yield each action only after the frame answering the
    previous one was put on `answered`, so nothing is coalesced: one frame per action."""
    return _lockstep

class Bystander(StreamingClient):
    """A gRPC client turning slowly on its own session."""

    def __init__(self, address: str, seed: bytes):
        self._client = WorldClient(address)
        self._session = self._client.create_session(seed, width=SIZE, height=SIZE)
        self._start()

    def _play(self):
        return self._session.play(CameraAction(turn=(0.5, 0.0, 0.0)) for _ in self._ticks())

    def _end(self) -> None:
        self._session.close()
        self._client.close()


@pytest.fixture(scope="module")
def bystander(daemon: LocalDaemon, seed_png: bytes) -> Iterator[Bystander]:
    b = Bystander(daemon.address, seed_png)
    b.wait_for_frames()
    yield b
    b.close()
