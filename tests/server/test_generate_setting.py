"""`serve --generate`: sessions of that daemon are created with the surround already generated."""

from pathlib import Path

import pytest

from gwm_engine.client import LocalDaemon, WorldClient

PHOTO = (Path(__file__).parent.parent / "data" / "rocket.jpg").read_bytes()  # a real photo: see tests/data/README.md


def _turned_coverage(address: str) -> float:
    """Share of a 100-degree turn's frame that the world held (the rest is per-frame fill)."""
    with WorldClient(address) as client:
        session = client.create_session(PHOTO, width=96, height=72)
        try:
            return float(session.step(turn=(100.0, 0.0, 0.0)).mask.mean())
        finally:
            session.close()


@pytest.mark.daemon  # starts its own
def test_generate_setting_reaches_the_sessions(daemon):
    with LocalDaemon(["--generate"]) as generating:
        assert _turned_coverage(generating.address) > 0.7
    assert _turned_coverage(daemon.address) < 0.1


def _turn_held(address: str) -> list[float]:
    """Share of each frame of a turn (4 degrees a step) that the world held before the frame's own fill."""
    with WorldClient(address) as client:
        session = client.create_session(PHOTO, width=96, height=72)
        try:
            return [float(session.step(turn=(4.0, 0.0, 0.0)).mask.mean()) for _ in range(8)]
        finally:
            session.close()


@pytest.mark.daemon  # starts its own
def test_ahead_setting_reaches_the_sessions(daemon):
    with LocalDaemon(["--ahead", "deterministic"]) as ahead:
        generated = _turn_held(ahead.address)
    plain = _turn_held(daemon.address)
    # Each frame of a plain turn brings a strip the frame fills itself; generated ahead, the world already holds it.
    assert min(generated[3:]) > 0.97 and max(plain[3:]) < 0.95, (generated, plain)  # ahead from the 4th step on
