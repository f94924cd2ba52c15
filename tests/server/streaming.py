"""A client that keeps streaming in the background while a test misbehaves beside it."""

import threading
from collections.abc import Iterator


class StreamingClient:
    """Another client streaming frames on its own session in a background thread.

    Subclasses start their session, then call `_start`; `_play` yields one item per frame
    and `_end` closes the session. Tests assert it keeps getting frames while they misbehave.
    """

    name = "the bystander"

    def _start(self) -> None:
        self._stop = threading.Event()
        self.frames = 0
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _ticks(self) -> Iterator[None]:
        while not self._stop.wait(0.02):
            yield None

    def _run(self) -> None:
        try:
            for _ in self._play():
                self.frames += 1
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e

    def wait_for_frames(self, more: int = 3, timeout_s: float = 30.0) -> None:
        """Assert the client keeps getting frames (and never got an error)."""
        target = self.frames + more
        for _ in range(int(timeout_s / 0.05)):
            assert self.error is None, f"{self.name} failed: {self.error!r}"
            if self.frames >= target:
                return
            self._stop.wait(0.05)
        raise AssertionError(f"{self.name} got no frames for {timeout_s} s")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(30)
        self._end()
