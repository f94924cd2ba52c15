"""Server test helpers; the daemon, client and seed fixtures are in tests/conftest.py."""

import queue
import threading
from typing import Iterable, Iterator

import pytest

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient

SIZE = 64  # small frames keep the whole server suite fast on 2 cores


def _lockstep(actions: Iterable[CameraAction], answered: "queue.Queue[int]") -> Iterator[CameraAction]:
    for action in actions:
        yield action
        answered.get(timeout=60)

@pytest.fixture
def lockstep():
    """lockstep(actions, answered): yield each action only after the frame answering the
    previous one was put on `answered`, so nothing is coalesced: one frame per action."""
    return _lockstep

class Bystander:
    """Another client streaming frames on its own session in a background thread."""

    def __init__(self, address: str, seed: bytes):
        self._client = WorldClient(address)
        self._session = self._client.create_session(seed, width=SIZE, height=SIZE)
        self._stop = threading.Event()
        self.frames = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _actions(self) -> Iterator[CameraAction]:
        while not self._stop.wait(0.02):
            yield CameraAction(turn=(0.5, 0.0, 0.0))

    def _run(self) -> None:
        try:
            for _ in self._session.play(self._actions()):
                self.frames += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def wait_for_frames(self, more: int = 3, timeout_s: float = 30.0) -> None:
        """Assert the bystander keeps getting frames (and never got an error)."""
        target = self.frames + more
        for _ in range(int(timeout_s / 0.05)):
            assert self.error is None, f"the bystander failed: {self.error}"
            if self.frames >= target:
                return
            self._stop.wait(0.05)
        raise AssertionError(f"the bystander got no frames for {timeout_s} s")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._session.close()
        self._client.close()

@pytest.fixture(scope="module")
def bystander(daemon: LocalDaemon, seed_png: bytes) -> Iterator[Bystander]:
    b = Bystander(daemon.address, seed_png)
    b.wait_for_frames()
    yield b
    b.close()
