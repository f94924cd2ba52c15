import io
import time
from collections.abc import Iterator

import numpy as np
import pytest
import torch
from PIL import Image

from gwm_engine.client import LocalDaemon, WorldClient

torch.set_num_threads(2)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `daemon` every test that uses a fixture starting one (daemon, token_daemon, ... and
    whatever depends on them), so `pytest -m "not daemon"` is the fast suite. Tests that start
    their own daemon inline carry the mark themselves."""
    for item in items:
        if any(name.endswith("daemon") for name in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.daemon)


@pytest.fixture(scope="session")
def model():
    from gwm_engine.model import load_model

    return load_model()


@pytest.fixture(scope="session")
def noise_image() -> np.ndarray:
    """A 240x320 image with structure at several scales (not a flat colour)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:240, 0:320] / 40.0
    base = np.stack([np.sin(x * 1.3 + y), np.cos(y * 0.7 - x * 0.4), np.sin(x * y * 0.2)], axis=-1)
    img = 127 + 90 * base + rng.normal(0, 15, (240, 320, 3))
    return img.clip(0, 255).astype(np.uint8)


@pytest.fixture(scope="session")
def daemon() -> Iterator[LocalDaemon]:
    """The real daemon, started as a subprocess (`gwm-engine serve` on free loopback ports)."""
    d = LocalDaemon()
    yield d
    assert d.stop() == 0


@pytest.fixture(autouse=True)
def _sessions_are_closed(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every test that opens sessions on the shared daemon closes them: the daemon holds at most
    `max_sessions`, and a leak fails some later, unrelated test with RESOURCE_EXHAUSTED."""
    if "daemon" not in request.fixturenames:
        yield
        return
    daemon: LocalDaemon = request.getfixturevalue("daemon")
    with WorldClient(daemon.address) as c:
        before = c.info()["open_sessions"]
        yield
        deadline = time.monotonic() + 5.0  # a Play stream's session closes when its stream ends
        while (after := c.info()["open_sessions"]) > before and time.monotonic() < deadline:
            time.sleep(0.05)
    assert after <= before, f"{request.node.nodeid} left {after - before} session(s) open on the shared daemon"


@pytest.fixture
def client(daemon: LocalDaemon) -> Iterator[WorldClient]:
    with WorldClient(daemon.address) as c:
        yield c


@pytest.fixture(scope="session")
def seed_png(noise_image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(noise_image).save(buf, format="PNG")
    return buf.getvalue()
