"""The session manager: unguessable ids, a session limit, per-session ordering, idle eviction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from gwm_engine.errors import InvalidInput
from gwm_engine.world import WorldSession

log = logging.getLogger(__name__)
T = TypeVar("T")


class SessionNotFound(Exception):
    """Unknown, closed or evicted session id (NOT_FOUND)."""


class TooManySessions(Exception):
    """The server holds its maximum number of sessions (RESOURCE_EXHAUSTED)."""


@dataclass(frozen=True)
class FrameEncoding:
    """How one session's frames go on the wire (pb enum values, never UNSPECIFIED)."""

    rgb: int
    depth: int
    jpeg_quality: int
    include_mask: bool


@dataclass
class SessionEntry:
    id: str
    session: WorldSession
    encoding: FrameEncoding
    # Sessions are not thread-safe: every call that touches one holds its lock, which also
    # keeps a session's requests in arrival order.
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_active: float = field(default_factory=time.monotonic)
    streams: int = 0  # open Play streams; a session being played is never idle
    closed: bool = False


def _short(session_id: str) -> str:
    return session_id if len(session_id) <= 24 else session_id[:24] + "..."


class SessionManager:
    def __init__(self, max_sessions: int, idle_timeout_s: float, clock: Callable[[], float] = time.monotonic):
        self.max_sessions = max_sessions
        self.idle_timeout_s = idle_timeout_s
        self._clock = clock
        self._sessions: dict[str, SessionEntry] = {}
        self._reserved = 0  # slots taken by sessions still being created

    def __len__(self) -> int:
        return len(self._sessions)

    def check_room(self) -> None:
        """TooManySessions unless a session could be added now."""
        if len(self._sessions) + self._reserved >= self.max_sessions:
            raise TooManySessions(f"the server already holds its maximum of {self.max_sessions} sessions; close one first")

    @contextlib.contextmanager
    def reserve(self) -> Iterator[None]:
        """Hold a slot while a session is built, so concurrent creates cannot overshoot the limit."""
        self.check_room()
        self._reserved += 1
        try:
            yield
        finally:
            self._reserved -= 1

    def add(self, session: WorldSession, encoding: FrameEncoding) -> SessionEntry:
        """Register a session built under `reserve()`."""
        entry = SessionEntry(secrets.token_urlsafe(18), session, encoding, last_active=self._clock())
        self._sessions[entry.id] = entry
        return entry

    @contextlib.contextmanager
    def adding(self, session: WorldSession, encoding: FrameEncoding) -> Iterator[SessionEntry]:
        """Register a session built under `reserve()` for the with-block, which finishes the call
        (first frame, reply); if it fails, or its client goes away, the session is unregistered
        again: a call that returns no session id must leave no session behind."""
        entry = self.add(session, encoding)
        try:
            yield entry
        except BaseException:
            if self._sessions.get(entry.id) is entry:
                self.close(entry.id)
            raise

    def get(self, session_id: str) -> SessionEntry:
        entry = self._sessions.get(session_id)
        if entry is None:
            if not session_id:  # a client bug, not a session that went away
                raise InvalidInput("session_id is required: send the id that create_session, fork or load_world returned")
            raise SessionNotFound(f"session {_short(session_id)!r} not found (unknown, closed or idle-evicted)")
        return entry

    async def run(self, session_id: str, work: Callable[[SessionEntry], Awaitable[T]]) -> T:
        """Run `work(entry)` holding the session's lock.

        The work is shielded: if the caller is cancelled (its client disconnected), it still
        runs to the end before the lock is released, so a model call still running in a thread
        can never overlap the session's next call.
        """
        entry = self.get(session_id)
        task = asyncio.ensure_future(self._locked(entry, work))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # nobody may await it
        return await asyncio.shield(task)

    async def _locked(self, entry: SessionEntry, work: Callable[[SessionEntry], Awaitable[T]]) -> T:
        async with entry.lock:
            if entry.closed:
                raise SessionNotFound(f"session {_short(entry.id)!r} was closed")
            entry.last_active = self._clock()
            try:
                return await work(entry)
            finally:
                entry.last_active = self._clock()

    @contextlib.contextmanager
    def streaming(self, entry: SessionEntry) -> Iterator[None]:
        """Mark a session as played (never idle) while a Play stream is open on it."""
        entry.streams += 1
        try:
            yield
        finally:
            entry.streams -= 1
            entry.last_active = self._clock()

    def close(self, session_id: str) -> None:
        """Forget a session; a call already running on it finishes, later ones get NOT_FOUND."""
        entry = self.get(session_id)
        del self._sessions[session_id]
        entry.closed = True
        entry.session.close()

    def evict_idle(self) -> list[str]:
        """Close sessions without an open stream, a running call or a request for idle_timeout_s."""
        now = self._clock()
        idle = [
            e.id
            for e in self._sessions.values()
            if e.streams == 0 and not e.lock.locked() and now - e.last_active > self.idle_timeout_s
        ]
        for session_id in idle:
            self.close(session_id)
        return idle

    async def evict_forever(self) -> None:
        """Background task: evict idle sessions, checking a few times per timeout."""
        while True:
            await asyncio.sleep(min(self.idle_timeout_s / 4, 10.0))
            if evicted := self.evict_idle():
                log.info("closed %d session(s) idle for over %.0f s", len(evicted), self.idle_timeout_s)
