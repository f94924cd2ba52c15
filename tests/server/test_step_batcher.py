"""Cross-session batching: concurrent steps of different sessions share one step_many call, where a
calibration at start found that it pays."""

import asyncio
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from gwm_engine.client import LocalDaemon, WorldClient
from gwm_engine.geometry import CameraAction
from gwm_engine.server import batcher as batcher_module
from gwm_engine.server.batcher import (
    BATCHING_MARGIN,
    BatchingCalibration,
    StepBatcher,
    calibrate_batching,
    step_threads,
)


class FakeSession:
    def __init__(self, name):
        self.name = name

    def step(self, action):
        return ("alone", self.name)


@pytest.fixture
def calls(monkeypatch):
    calls = []

    def fake_step_many(pairs):
        calls.append([s.name for s, _ in pairs])
        return [ValueError("bad") if s.name == "bad" else ("batched", s.name) for s, _ in pairs]

    monkeypatch.setattr(batcher_module, "step_many", fake_step_many)
    return calls


def run_steps(names, wait_ms, open_sessions, max_batch=8):
    async def scenario():
        with ThreadPoolExecutor(2) as pool:
            batcher = StepBatcher(pool, wait_ms, max_batch, lambda: open_sessions)
            try:
                return await asyncio.gather(
                    *(batcher.step(FakeSession(n), CameraAction()) for n in names), return_exceptions=True
                )
            finally:
                await batcher.close()

    return asyncio.run(scenario())


def test_concurrent_steps_run_as_one_batch(calls):
    results = run_steps(["a", "b", "c"], wait_ms=50, open_sessions=3)
    assert calls == [["a", "b", "c"]]
    assert results == [("batched", "a"), ("batched", "b"), ("batched", "c")]


def test_an_error_in_one_session_stays_with_it(calls):
    results = run_steps(["a", "bad", "c"], wait_ms=50, open_sessions=3)
    assert results[0] == ("batched", "a") and results[2] == ("batched", "c")
    assert isinstance(results[1], ValueError)


def test_batches_are_capped(calls):
    run_steps(list("abcde"), wait_ms=50, open_sessions=5, max_batch=2)
    assert [len(c) for c in calls] == [2, 2, 1]


def test_a_lone_session_does_not_wait(calls):
    async def scenario():
        with ThreadPoolExecutor(1) as pool:
            batcher = StepBatcher(pool, 1000, 8, lambda: 1)  # a 1 s wait that must not be paid
            loop = asyncio.get_running_loop()
            start = loop.time()
            await batcher.step(FakeSession("a"), CameraAction())
            elapsed = loop.time() - start
            await batcher.close()
            return elapsed

    assert asyncio.run(scenario()) < 0.5


def test_zero_wait_disables_batching(calls):
    results = run_steps(["a", "b"], wait_ms=0, open_sessions=2)
    assert calls == [] and results == [("alone", "a"), ("alone", "b")]



# -- calibration: whether batching pays, measured on the real model ------------------------------


def test_calibration_times_real_steps_both_ways(model):
    with ThreadPoolExecutor(2) as pool:
        c = calibrate_batching(model, pool, sessions=2, rounds=1, size=(64, 64))
    assert c.sessions == 2
    # A round steps every session once; neither way can be free, nor slower than a step a second.
    assert all(0 < ms < 2000 * c.sessions for ms in (c.batched_ms, c.concurrent_ms))


def test_batching_pays_only_by_the_margin():
    assert BatchingCalibration(4, batched_ms=100.0, concurrent_ms=200.0).pays
    assert BatchingCalibration(4, batched_ms=100.0, concurrent_ms=100.0 * (1 + BATCHING_MARGIN)).pays
    assert not BatchingCalibration(4, batched_ms=100.0, concurrent_ms=100.0 * (1 + BATCHING_MARGIN) - 1).pays
    assert not BatchingCalibration(4, batched_ms=200.0, concurrent_ms=100.0).pays


@pytest.mark.daemon
@pytest.mark.parametrize("weights", [None, "classical"])
def test_the_daemon_batches_only_where_its_calibration_found_it_pays(weights):
    """batching auto: the daemon calibrates the served model as it starts serving (off until
    then) and GetInfo reports the wait it chose: the configured one where batching paid, else 0."""
    args = ["--max-sessions", "2", "--batch-wait-ms", "3"] + (["--weights", weights] if weights else [])
    line = r"batching (on|off): 2 sessions' steps took ([\d.]+) ms batched, ([\d.]+) ms stepped at once"
    with LocalDaemon(args) as daemon, WorldClient(daemon.address) as client:
        deadline = time.monotonic() + 240
        while not (found := re.search(line, daemon.log())) and time.monotonic() < deadline:
            time.sleep(0.2)
        wait_ms = client.info()["batch_wait_ms"]
    assert found, daemon.log()
    c = BatchingCalibration(2, float(found[2]), float(found[3]))
    assert (found[1] == "on") == c.pays
    assert wait_ms == (3.0 if c.pays else 0.0)


@pytest.mark.daemon
@pytest.mark.parametrize("batching, wait_ms", [("on", 3.0), ("off", 0.0)])
def test_batching_on_or_off_skips_the_calibration(batching, wait_ms):
    with LocalDaemon(["--batching", batching, "--batch-wait-ms", "3"]) as daemon, WorldClient(daemon.address) as client:
        assert client.info()["batch_wait_ms"] == wait_ms
        assert "stepped at once" not in daemon.log()


def test_steps_run_one_a_core_on_one_torch_thread_each():
    cores = torch.get_num_threads()
    steps = step_threads()
    try:
        # As many steps at once as cores: each thread holds until all have started.
        started = threading.Barrier(cores, timeout=10)

        def where() -> tuple[str, int]:
            started.wait()
            return threading.current_thread().name, torch.get_num_threads()

        found = [f.result() for f in [steps.submit(where) for _ in range(cores)]]
        assert len({name for name, _ in found}) == cores
        assert all(name.startswith("gwm-step") and count == 1 for name, count in found)
        # Threads started later (the daemon's other workers) keep torch's default.
        with ThreadPoolExecutor(1) as other:
            assert other.submit(torch.get_num_threads).result() == cores
    finally:
        steps.shutdown()
