"""The spec's own examples against the real daemon: every `link-example` block of
proto/ENGINE_LINK.md is replayed on a fresh link connection and must get exactly the answers the
spec shows; the PLY header, the keepalive figures and the message limits it states are checked
against the daemon too."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from gwm_engine.client import LocalDaemon
from gwm_engine.client.link_client import LinkCallError, LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.server.config import ServerConfig

SPEC = Path(__file__).resolve().parents[2] / "proto" / "ENGINE_LINK.md"
CHECK_ID = 4000  # not used by any example


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", SPEC.read_text(), flags=re.S)


EXAMPLES = blocks("link-example")


def test_the_spec_has_examples_of_every_rule():
    text = "".join(EXAMPLES)
    assert len(EXAMPLES) >= 5
    for needed in ('"turn_roll_deg"', '"play_end"', "FAILED_PRECONDITION", "is in use", "session_id is required", "NaN"):
        assert needed in text, needed


def matches(expected: Any, actual: Any, where: str) -> None:
    if isinstance(expected, dict):
        for key, value in expected.items():
            got = actual[key] if isinstance(actual, dict) else getattr(actual, key)
            matches(value, got, f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(expected) == len(actual), f"{where}: {list(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            matches(e, a, f"{where}[{i}]")
    elif isinstance(expected, float | int) and not isinstance(expected, bool):
        assert math.isclose(actual, expected, abs_tol=1e-6), f"{where}: expected {expected}, got {actual}"
    else:
        assert actual == expected, f"{where}: expected {expected!r}, got {actual!r}"


def check(expected: dict, message) -> None:
    assert (message.type, message.id) == (expected["type"], expected["id"]), f"expected {expected}, got {message}"
    fields = {k: v for k, v in expected.items() if k not in ("type", "id")}
    matches(fields, message.body, f"{message.type}#{message.id}")


@pytest.fixture
def link(daemon: LocalDaemon) -> Iterator[LinkClient]:
    with LinkClient(daemon.link_url) as c:
        yield c


@pytest.fixture
def closing(link: LinkClient) -> Iterator[list[str]]:
    """Session ids to close after the test, unless the example closed them itself."""
    ids: list[str] = []
    yield ids
    for session_id in ids:
        try:
            link.call("close_session", session_id=session_id)
        except LinkCallError as e:
            assert e.code == grpc.StatusCode.NOT_FOUND, e


@pytest.mark.parametrize("example", EXAMPLES, ids=[f"block{i + 1}" for i in range(len(EXAMPLES))])
def test_each_example_gets_the_answers_the_spec_shows(link, example, seed_png, closing):
    session = ""
    ids: set[int] = set()
    for line in example.splitlines():
        if not line.strip():
            continue
        arrow, text = line[:2], line[3:]
        message = json.loads(text)
        ids.add(message["id"])
        if arrow == "->":
            fields = {k: v for k, v in message.items() if k not in ("type", "id")}
            for key, value in fields.items():
                if value == "$SEED_PNG":
                    fields[key] = seed_png
                elif value == "$SESSION":
                    fields[key] = session
            link.send(message["type"], message["id"], **fields)
            continue
        received = link.receive(message["id"])
        if arrow == "<~":
            while received.type == "play" and (message["type"] != "play" or received.body.seq != message["seq"]):
                received = link.receive(message["id"])
        else:
            assert arrow == "<-", line
        check(message, received)
        if received.type == "create_session":
            session = received.body.session.session_id
            closing.append(session)
    # Nothing more comes with the block's ids: a step of the session waits for anything the
    # session still had running, so a stray frame would come before its reply.
    if session:
        assert link.receive(link.send("step", CHECK_ID, session_id=session)).type == "step"
    link.timeout_s = 0.3
    for message_id in ids:
        with pytest.raises(TimeoutError):
            link.receive(message_id)


def test_the_ply_header_is_exactly_the_spec_s(link, link_session):
    (header,) = blocks("ply-header")
    reply: pb.ExportGeometryResponse = link.call("export_geometry", session_id=link_session(link, 32))
    expected = header.replace("element vertex N", f"element vertex {reply.point_count}").encode()
    assert reply.ply[: len(expected)] == expected
    assert len(reply.ply) == len(expected) + 15 * reply.point_count


def test_the_keepalive_and_limit_figures_are_the_daemon_s():
    text = " ".join(SPEC.read_text().split())
    config = ServerConfig()
    pings = (f"pings every {config.keepalive_time_s:g} s and drops connections that do not answer "
             f"within {config.keepalive_timeout_s:g} s")
    assert pings in text
    assert f"must poll at least every {config.keepalive_timeout_s:g} s" in text
    assert f"({config.max_message_bytes} = 64 MiB by default" in text
