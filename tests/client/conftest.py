"""SDK tests run against the real daemon, started as a subprocess."""

import io
from typing import Iterator

import numpy as np
import pytest
from PIL import Image

from gwm_engine.client import LocalDaemon, WorldClient


@pytest.fixture(scope="session")
def sdk_daemon() -> Iterator[LocalDaemon]:
    d = LocalDaemon()
    yield d
    assert d.stop() == 0


@pytest.fixture
def client(sdk_daemon: LocalDaemon) -> Iterator[WorldClient]:
    with WorldClient(sdk_daemon.address) as c:
        yield c


@pytest.fixture(scope="session")
def seed_png(noise_image: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(noise_image).save(buf, format="PNG")
    return buf.getvalue()
