"""LocalDaemon finds every endpoint from the daemon's machine-readable ready line."""

import json
import urllib.request

from gwm_engine.client import LocalDaemon
from gwm_engine.protocol.ready_line import PREFIX


def test_every_endpoint_comes_from_the_ready_line(daemon: LocalDaemon):
    line = next(line for line in daemon.log().splitlines() if line.startswith(PREFIX))
    assert json.loads(line[len(PREFIX) :]) == daemon.endpoints
    assert set(daemon.endpoints) == {"grpc", "link", "playground"}
    assert daemon.address == daemon.endpoints["grpc"]
    assert daemon.link_url.startswith("ws://") and daemon.link_url.endswith("/link")
    assert f"serving gwm.v1 on {daemon.address}" in daemon.log()  # the human-readable lines stay
    with urllib.request.urlopen(daemon.endpoints["playground"], timeout=30) as page:
        assert page.status == 200 and b"<html" in page.read().lower()
