"""`serve --max-fps`: a play stream gets at most that many frames a second, whatever the model
could do, and its actions coalesce meanwhile (the rate a slow machine would give)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient

MAX_FPS = 4


@pytest.fixture(scope="module")
def capped_daemon() -> Iterator[LocalDaemon]:
    with LocalDaemon(["--max-fps", str(MAX_FPS)]) as d:
        yield d


def test_frames_leave_no_faster_than_the_cap(capped_daemon: LocalDaemon, seed_png: bytes):
    with WorldClient(capped_daemon.address) as client:
        session = client.create_session(seed_png, width=64, height=64)

        def actions() -> Iterator[CameraAction]:
            end = time.monotonic() + 3.0
            while time.monotonic() < end:
                yield CameraAction(turn=(0.5, 0.0, 0.0))
                time.sleep(0.01)  # 100 actions a second, many more than the cap

        arrivals, last = [], None
        for frame in session.play(actions()):
            arrivals.append(time.monotonic())
            last = frame
        session.close()
    # Counted over the whole stream: a busy client may read two frames back to back.
    span = arrivals[-1] - arrivals[0]
    assert len(arrivals) >= 3 and (len(arrivals) - 1) / span <= MAX_FPS * 1.25, (len(arrivals), span)
    assert last.seq > len(arrivals), "actions sent between frames coalesced into the next one"


def test_a_bad_cap_is_refused_in_plain_words():
    with pytest.raises(RuntimeError, match="max_fps must be in 0..1000"):
        LocalDaemon(["--max-fps", "-1"], start_timeout_s=30)
