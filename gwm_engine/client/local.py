"""Run a daemon on this machine as a child process (notebooks, scripts, tests).

    with LocalDaemon(["--max-sessions", "4"]) as daemon, WorldClient(daemon.address) as client:
        ...

It runs `python -m gwm_engine.cli serve --port 0 --link-port 0 ...`, reads the endpoints from
the ready line the daemon prints (gwm_engine.protocol.ready_line) and waits for its health
service to report SERVING.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from gwm_engine.protocol.ready_line import parse_ready_line


class LocalDaemon:
    def __init__(self, args: Sequence[str] = (), start_timeout_s: float = 60.0):
        """`args`: extra `serve` options; the ports default to 0 (the OS picks free ones)."""
        self._log = tempfile.NamedTemporaryFile(prefix="gwm-daemon-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gwm_engine.cli", "serve", "--port", "0", "--link-port", "0", *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self.endpoints = self._wait_ready(start_timeout_s)  # "grpc", "link", "playground" -> address
            self.address = self.endpoints["grpc"]
            self.link_url = self.endpoints["link"]
        except BaseException:
            self.kill()  # the error message already carries the log
            raise

    def __enter__(self) -> LocalDaemon:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log(self) -> str:
        """Everything the daemon printed so far."""
        return self.log_path.read_text(errors="replace")

    def _wait_ready(self, timeout_s: float) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while (endpoints := parse_ready_line(self.log())) is None:
            if self.process.poll() is not None:
                raise RuntimeError(f"the daemon exited with {self.process.returncode}:\n{self.log()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the daemon did not start in {timeout_s} s:\n{self.log()}")
            time.sleep(0.05)
        address = endpoints["grpc"]
        with grpc.insecure_channel(address) as channel:
            response = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=max(1.0, deadline - time.monotonic()), wait_for_ready=True
            )
        if response.status != health_pb2.HealthCheckResponse.SERVING:
            raise RuntimeError(f"the daemon at {address} reports {response.status} instead of SERVING")
        return endpoints

    def stop(self, timeout_s: float = 20.0) -> int:
        """SIGTERM (graceful: drain, then stop) and wait; kills it if it hangs. Returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        self._discard_log()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._discard_log()

    def _discard_log(self) -> None:
        self._log.close()
        self.log_path.unlink(missing_ok=True)
