"""The SDK and the wire contract stand without the daemon: importing them loads nothing of gwm_engine.server."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("package", ["gwm_engine.client", "gwm_engine.client.link_client", "gwm_engine.protocol.link_messages"])
def test_importing_loads_nothing_from_the_server(package):
    # A fresh interpreter: this test process has imported the server already.
    check = f"import sys, {package}; print(sorted(m for m in sys.modules if m.startswith('gwm_engine.server')))"
    loaded = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, check=True).stdout
    assert loaded.strip() == "[]", f"{package} imports {loaded.strip()}"
