"""Session ids, the session limit, per-session ordering and idle eviction (fake clock)."""

import asyncio

import numpy as np
import pytest

from gwm_engine.model import load_model
from gwm_engine.server.sessions import FrameEncoding, SessionManager, SessionNotFound, TooManySessions
from gwm_engine.world import SessionConfig, WorldSession

ENCODING = FrameEncoding(rgb=1, depth=1, jpeg_quality=90, include_mask=False)
# A small real world (the classical model: no network), forked for every session the manager holds.
WORLD = WorldSession.create(np.full((32, 32, 3), 128, np.uint8), np.full((32, 32), 2.0, np.float32),
                            SessionConfig(32, 32), load_model("classical"))


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make_manager(max_sessions=4, idle_timeout_s=10.0):
    clock = Clock()
    return SessionManager(max_sessions, idle_timeout_s, clock), clock


def add(manager):
    with manager.reserve():
        return manager.add(WORLD.fork(), ENCODING)


def test_ids_are_unique_and_unguessable():
    manager, _ = make_manager(max_sessions=100)
    ids = {add(manager).id for _ in range(50)}
    assert len(ids) == 50 and all(len(i) >= 24 for i in ids)


def test_the_limit_counts_sessions_being_created():
    manager, _ = make_manager(max_sessions=2)
    add(manager)
    with manager.reserve():
        with pytest.raises(TooManySessions, match="maximum of 2"):
            with manager.reserve():
                pass
    add(manager)
    with pytest.raises(TooManySessions):
        add(manager)


def test_closed_sessions_are_not_found():
    manager, _ = make_manager()
    entry = add(manager)
    manager.close(entry.id)
    with pytest.raises(SessionNotFound):
        manager.get(entry.id)
    with pytest.raises(SessionNotFound):
        manager.close(entry.id)


def test_idle_sessions_are_evicted_unless_streaming():
    manager, clock = make_manager(idle_timeout_s=10.0)
    idle, streaming, recent = add(manager), add(manager), add(manager)
    with manager.streaming(streaming):
        clock.now = 8.0
        asyncio.run(manager.run(recent.id, _noop))
        clock.now = 15.0
        assert manager.evict_idle() == [idle.id]
    assert len(manager) == 2 and idle.closed


def test_calls_on_one_session_run_one_at_a_time_in_order():
    manager, _ = make_manager()
    entry = add(manager)
    log = []

    async def work(tag):
        async def body(_):
            log.append(f"start {tag}")
            await asyncio.sleep(0.01)
            log.append(f"end {tag}")

        await manager.run(entry.id, body)

    async def scenario():
        await asyncio.gather(work(1), work(2), work(3))

    asyncio.run(scenario())
    assert log == ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]


def test_a_cancelled_caller_does_not_release_the_session_early():
    manager, _ = make_manager()
    entry = add(manager)
    log = []

    async def slow(_):
        log.append("slow start")
        await asyncio.sleep(0.05)
        log.append("slow end")

    async def fast(_):
        log.append("fast")

    async def scenario():
        caller = asyncio.create_task(manager.run(entry.id, slow))
        await asyncio.sleep(0.01)
        caller.cancel()  # e.g. the client disconnected while its frame was being made
        await manager.run(entry.id, fast)

    asyncio.run(scenario())
    assert log == ["slow start", "slow end", "fast"]


async def _noop(_):
    return None
