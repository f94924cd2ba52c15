"""Cross-session batching: concurrent steps of different sessions share one step_many call."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest

from gwm_engine.geometry import CameraAction
from gwm_engine.server import batcher as batcher_module
from gwm_engine.server.batcher import StepBatcher


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

