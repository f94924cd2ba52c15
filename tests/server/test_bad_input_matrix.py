"""Issue 23's bad-input matrix, over gRPC and the engine link, against one real daemon.

Every case must get its exact status and a message in plain words; afterwards the daemon's
log holds no ERROR and no traceback, no session is left open, and its memory is back where it
was: refused requests (a 60 MiB undecodable seed, a 20 MB world of the wrong protocol version)
must not keep what they brought.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import grpc
import msgpack
import numpy as np
import pytest

from gwm_engine.client import LocalDaemon, WorldClient
from gwm_engine.client.link_client import LinkCallError, LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc

pytestmark = pytest.mark.daemon

Code = grpc.StatusCode
SIZE = 64
MAX_SESSIONS = 3
# What a plain-words message never shows: numpy and object reprs, exception class names,
# tracebacks, grpcio's own wording for what it could not handle.
INTERNALS = re.compile(r"np\.|numpy\.|object at 0x|Traceback|\b[A-Z]\w*(Error|Exception)\b|Unexpected <class|DefaultCPUAllocator")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


@pytest.fixture(scope="module")
def matrix_daemon() -> Iterator[LocalDaemon]:
    with LocalDaemon(["--max-sessions", str(MAX_SESSIONS)]) as d:
        yield d


@pytest.fixture(scope="module")
def stub(matrix_daemon: LocalDaemon) -> Iterator[pb_grpc.WorldServiceStub]:
    channel = grpc.insecure_channel(matrix_daemon.address, options=[("grpc.max_send_message_length", 128 * 1024 * 1024)])
    yield pb_grpc.WorldServiceStub(channel)
    channel.close()


@pytest.fixture(scope="module")
def world_file(matrix_daemon: LocalDaemon, seed_png: bytes) -> bytes:
    with WorldClient(matrix_daemon.address) as client, client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        session.step(turn=(20.0, 0.0, 0.0))
        return session.save()


def repacked(world: bytes, **changes: Any) -> bytes:
    """A real world file with some fields changed; `config_*` names a field of its config map."""
    doc = msgpack.unpackb(world, raw=False)
    for key, value in changes.items():
        if key.startswith("config_"):
            doc["config"][key.removeprefix("config_")] = value
        else:
            doc[key] = value
    return msgpack.packb(doc, use_bin_type=True)


def create(seed: bytes, **fields: Any) -> pb.CreateSessionRequest:
    return pb.CreateSessionRequest(
        **{"protocol_version": "1.0.0", "seed_image": seed, "width": SIZE, "height": SIZE, "fov_deg": 60.0, **fields}
    )


def refused_over_grpc(call: Callable[[], Any]) -> tuple[Code, str]:
    """The status and message a call was refused with; OK if it was accepted (a failure)."""
    try:
        call()
    except grpc.RpcError as e:
        return e.code(), e.details() or ""
    return Code.OK, "accepted"


def loaded_and_closed(stub: pb_grpc.WorldServiceStub, request: pb.LoadWorldRequest) -> tuple[Code, str]:
    session_id = stub.LoadWorld(request).session.session_id
    stub.CloseSession(pb.CloseSessionRequest(session_id=session_id))
    return Code.OK, "loaded"


def refused_over_link(link: LinkClient, message_type: str, **fields: Any) -> tuple[Code, str]:
    try:
        link.call(message_type, **fields)
    except LinkCallError as e:
        return e.code, e.message
    return Code.OK, "accepted"


def cases(
    stub: pb_grpc.WorldServiceStub, address: str, link_url: str, seed_png: bytes, world: bytes
) -> Iterator[tuple[str, Code, Callable[[], tuple[Code, str]]]]:
    """(name, expected status, call returning the status and message it got)."""
    big_seed = os.urandom(60 * 1024 * 1024)
    big_world = os.urandom(20 * 1000 * 1000)
    long_version = "1" * 5000 + ".0.0"
    bad_worlds = {
        "width 64.0": repacked(world, config_width=64.0),
        "height 64.5": repacked(world, config_height=64.5),
        "ipd_m 'abc'": repacked(world, config_ipd_m="abc"),
        "stereo 'yes'": repacked(world, config_stereo="yes"),
        "steps -1": repacked(world, steps=-1),
        "steps 2**31": repacked(world, steps=2**31),
        "model 7": repacked(world, model=7),
    }
    for name, call in [
        ("60 MiB undecodable seed", lambda: stub.CreateSession(create(big_seed))),
        ("width 0 with a 60 MiB seed", lambda: stub.CreateSession(create(big_seed, width=0))),
        (
            "raw seed of the wrong length",
            lambda: stub.CreateSession(
                create(b"\0" * 100, seed_image_encoding=pb.RGB_ENCODING_RAW, seed_image_width=10, seed_image_height=10)
            ),
        ),
        ("version 5000 digits", lambda: stub.CreateSession(create(seed_png, protocol_version=long_version))),
        ("version with a newline", lambda: stub.CreateSession(create(seed_png, protocol_version="1.0.0\n"))),
        ("load: version 5000 digits", lambda: stub.LoadWorld(pb.LoadWorldRequest(protocol_version=long_version, world=world))),
    ]:
        yield f"grpc {name}", Code.INVALID_ARGUMENT, lambda call=call: refused_over_grpc(call)
    for name, call in [
        ("protocol 2.0.0 with a 60 MiB seed", lambda: stub.CreateSession(create(big_seed, protocol_version="2.0.0"))),
        (
            "20 MB world for protocol 2.0.0",
            lambda: stub.LoadWorld(pb.LoadWorldRequest(protocol_version="2.0.0", world=big_world)),
        ),
    ]:
        yield f"grpc {name}", Code.FAILED_PRECONDITION, lambda call=call: refused_over_grpc(call)
    for name, data in bad_worlds.items():
        request = pb.LoadWorldRequest(protocol_version="1.0.0", world=data)
        yield f"grpc world {name}", Code.INVALID_ARGUMENT, lambda r=request: refused_over_grpc(lambda: stub.LoadWorld(r))
    # A file's capacity is not trusted: one claiming 2**40 points loads at the config's own.
    huge = pb.LoadWorldRequest(protocol_version="1.0.0", world=repacked(world, capacity=2**40))
    yield "grpc world capacity 2**40 loads", Code.OK, lambda: loaded_and_closed(stub, huge)
    # Bytes that are no protobuf message: a field 1 of length 5 in a 3-byte body.
    channel = grpc.insecure_channel(address)
    for method in ("Step", "CreateSession", "LoadWorld", "SaveWorld"):
        raw = channel.unary_unary(f"/gwm.v1.WorldService/{method}")
        yield (
            f"grpc malformed protobuf {method}",
            Code.INVALID_ARGUMENT,
            lambda raw=raw: refused_over_grpc(lambda: raw(bytes.fromhex("0a05616263"))),
        )
    raw_play = channel.stream_stream("/gwm.v1.WorldService/Play")
    yield (
        "grpc malformed protobuf in Play",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_grpc(lambda: list(raw_play(iter([bytes.fromhex("0a05616263")])))),
    )
    raw_upload = channel.stream_unary("/gwm.v1.WorldService/LoadWorldChunks")
    yield (
        "grpc malformed protobuf in LoadWorldChunks",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_grpc(lambda: raw_upload(iter([bytes.fromhex("0a05616263")]))),
    )
    yield (
        "grpc chunks out of order",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_grpc(
            lambda: stub.LoadWorldChunks(
                iter(
                    [
                        pb.LoadWorldChunk(protocol_version="1.0.0", data=b"ab", offset=0, total_bytes=4),
                        pb.LoadWorldChunk(data=b"cd", offset=3, total_bytes=4),
                    ]
                )
            )
        ),
    )
    yield (
        "grpc chunked upload that stops early",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_grpc(
            lambda: stub.LoadWorldChunks(
                iter([pb.LoadWorldChunk(protocol_version="1.0.0", data=world[:100], offset=0, total_bytes=len(world))])
            )
        ),
    )
    yield (
        "grpc chunked bad world",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_grpc(
            lambda: stub.LoadWorldChunks(
                iter(
                    [
                        pb.LoadWorldChunk(
                            protocol_version="1.0.0",
                            data=bad_worlds["stereo 'yes'"],
                            offset=0,
                            total_bytes=len(bad_worlds["stereo 'yes'"]),
                        )
                    ]
                )
            )
        ),
    )

    link = LinkClient(link_url)
    unhandshaken = LinkClient(link_url, hello=False)
    yield (
        "link hello version 5000 digits",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_link(unhandshaken, "hello", protocol_version=long_version),
    )
    yield (
        "link hello version with a newline",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_link(unhandshaken, "hello", protocol_version="1.0.0\n"),
    )
    link_create = dict(protocol_version="1.0.0", width=SIZE, height=SIZE, fov_deg=60.0)
    yield (
        "link 60 MiB undecodable seed",
        Code.INVALID_ARGUMENT,
        lambda: refused_over_link(link, "create_session", seed_image=big_seed, **link_create),
    )
    yield (
        "link 20 MB world for protocol 2.0.0",
        Code.FAILED_PRECONDITION,
        lambda: refused_over_link(link, "load_world", protocol_version="2.0.0", world=big_world),
    )
    for name, data in bad_worlds.items():
        yield (
            f"link world {name}",
            Code.INVALID_ARGUMENT,
            lambda data=data: refused_over_link(link, "load_world", protocol_version="1.0.0", world=data),
        )
    yield "link chunks out of order", Code.INVALID_ARGUMENT, lambda: link_upload_refused(link, [(b"ab", 0, 4), (b"cd", 3, 4)])
    yield (
        "link chunked bad world",
        Code.INVALID_ARGUMENT,
        lambda: link_upload_refused(link, [(bad_worlds["steps -1"], 0, len(bad_worlds["steps -1"]))]),
    )


def link_upload_refused(link: LinkClient, pieces: list[tuple[bytes, int, int]]) -> tuple[Code, str]:
    upload = link.next_id()
    for data, offset, total in pieces:
        first = {"protocol_version": "1.0.0"} if offset == 0 else {}
        link.send("load_world_chunks", upload, data=data, offset=offset, total_bytes=total, **first)
    reply = link.receive(upload)
    assert reply.type == "error", reply
    return Code(next(c for c in Code if c.value[0] == reply.body["code"])), reply.body["message"]


def run_matrix(matrix_daemon: LocalDaemon, stub, seed_png: bytes, world: bytes) -> list[str]:
    problems = []
    for name, expected, call in cases(stub, matrix_daemon.address, matrix_daemon.link_url, seed_png, world):
        code, message = call()
        if code != expected:
            problems.append(f"{name}: {code.name} (expected {expected.name}): {message}")
        elif INTERNALS.search(message) or not message:
            problems.append(f"{name}: message shows internals: {message!r}")
    return problems


def open_sessions(stub) -> int:
    return stub.GetInfo(pb.GetInfoRequest()).open_sessions


def test_the_matrix(matrix_daemon: LocalDaemon, stub, seed_png: bytes, world_file: bytes):
    """Every case gets its status in plain words, twice; the second round leaves memory where
    the first (which warms the allocator's arenas and the decoders) did."""
    assert run_matrix(matrix_daemon, stub, seed_png, world_file) == []
    baseline = rss_mb(matrix_daemon.process.pid)
    assert run_matrix(matrix_daemon, stub, seed_png, world_file) == []
    time.sleep(0.5)
    after = rss_mb(matrix_daemon.process.pid)
    assert after <= baseline * 1.05, f"RSS went from {baseline:.0f} to {after:.0f} MB"
    assert open_sessions(stub) == 0
    # No failed load took a slot: all MAX_SESSIONS can still be created.
    with WorldClient(matrix_daemon.address) as client:
        sessions = [client.create_session(seed_png, width=SIZE, height=SIZE) for _ in range(MAX_SESSIONS)]
        for session in sessions:
            session.close()
    log = matrix_daemon.log()
    assert " ERROR " not in log and "Traceback" not in log, log[-3000:]


_SLOW_READER = textwrap.dedent(
    """
    import sys, time, grpc
    from gwm_engine.protocol._proto import world_pb2 as pb, world_pb2_grpc as pb_grpc
    address, session_id = sys.argv[1:]
    def actions():
        for seq in range(1, 10**6):
            yield pb.Action(session_id=session_id, seq=seq, turn_yaw_deg=1.0)
    responses = pb_grpc.WorldServiceStub(grpc.insecure_channel(address)).Play(actions())
    next(responses)
    print("reading no more", flush=True)
    time.sleep(600)
    """
)


def test_a_killed_slow_reader_is_not_an_error(matrix_daemon: LocalDaemon, stub, seed_png: bytes):
    with WorldClient(matrix_daemon.address) as client, client.create_session(seed_png, width=256, height=256) as session:
        reader = subprocess.Popen(
            [sys.executable, "-c", _SLOW_READER, matrix_daemon.address, session.id], stdout=subprocess.PIPE, text=True
        )
        try:
            assert reader.stdout.readline().strip() == "reading no more"
            time.sleep(3)  # frames pile up in the transport's buffers, then the server's write waits
        finally:
            reader.kill()
            reader.wait()
        # The stream is gone: the session takes a new one and steps.
        deadline = time.monotonic() + 20
        while True:
            try:
                frames = list(session.play([]))  # an empty stream opens and closes
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        assert frames == []
        assert session.step(turn=(1.0, 0.0, 0.0)).index > 1
    time.sleep(1)
    log = matrix_daemon.log()
    assert " ERROR " not in log and "Traceback" not in log and "ExecuteBatchError" not in log, log[-3000:]


def test_new_sessions_are_unavailable_while_draining(seed_png: bytes):
    with LocalDaemon() as d:
        channel = grpc.insecure_channel(d.address)
        stub = pb_grpc.WorldServiceStub(channel)
        stub.GetInfo(pb.GetInfoRequest())  # connected before the drain starts
        link = LinkClient(d.link_url)
        d.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        while "shutting down" not in d.log():
            assert time.monotonic() < deadline, d.log()
            time.sleep(0.02)
        code, message = refused_over_grpc(lambda: stub.CreateSession(create(seed_png), timeout=5))
        assert code == Code.UNAVAILABLE and "shutting down" in message, message
        code, message = refused_over_link(
            link, "create_session", protocol_version="1.0.0", seed_image=seed_png, width=SIZE, height=SIZE, fov_deg=60.0
        )
        assert code == Code.UNAVAILABLE, message
        link.close()
        channel.close()
        assert d.process.wait(30) == 0


def test_every_playground_path_wants_the_token():
    with LocalDaemon(["--token", "s3cret"]) as d:
        base = d.link_url.replace("ws://", "http://").removesuffix("/link")
        paths = ["/", "/index.html", "/app.js", "/msgpack.js", "/style.css", "/sample.png", "/sample_depth.f16"]
        for path in paths:
            with pytest.raises(urllib.error.HTTPError) as info:
                urllib.request.urlopen(base + path, timeout=10)
            assert info.value.code == 401, path
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(base + "/?token=guess", timeout=10)
        assert info.value.code == 401
        # The page with ?token= sets the cookie the page's own requests then carry.
        with urllib.request.urlopen(base + "/?token=s3cret", timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read().lower()
            cookie = page.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        for path in paths:
            request = urllib.request.Request(base + path, headers={"Cookie": cookie.split(";")[0]})
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 200 and response.read(), path
        with urllib.request.urlopen(base + "/sample_depth.f16?token=s3cret", timeout=10) as response:
            depth = np.frombuffer(response.read(), dtype="<f2")
            assert depth.size > 0 and np.all(depth > 0)


def established_from(port: int) -> int:
    """TCP connections in ESTABLISHED state whose local port is `port` (from /proc/net)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    count += 1
    return count


_FROZEN = textwrap.dedent(
    """
    import sys, time, grpc
    from gwm_engine.protocol._proto import world_pb2 as pb, world_pb2_grpc as pb_grpc
    stub = pb_grpc.WorldServiceStub(grpc.insecure_channel(sys.argv[1]))
    stub.GetInfo(pb.GetInfoRequest())
    print("connected", flush=True)
    time.sleep(600)
    """
)


@pytest.mark.skipif(not os.path.exists("/proc/net/tcp"), reason="reads the connection table of Linux's /proc")
def test_a_frozen_client_is_dropped_after_keepalive_time_and_timeout(matrix_daemon: LocalDaemon):
    """20 s without a ping answer, then 10 s for it: the daemon drops the connection by ~30 s."""
    port = int(matrix_daemon.address.rsplit(":", 1)[1])
    before = established_from(port)
    frozen = subprocess.Popen([sys.executable, "-c", _FROZEN, matrix_daemon.address], stdout=subprocess.PIPE, text=True)
    try:
        assert frozen.stdout.readline().strip() == "connected"
        assert established_from(port) == before + 1
        frozen.send_signal(signal.SIGSTOP)  # its kernel still answers TCP; only gRPC's pings go unanswered
        stopped = time.monotonic()
        while established_from(port) > before:
            assert time.monotonic() - stopped < 45, "the frozen client's connection outlived keepalive (20 + 10 s)"
            time.sleep(0.5)
    finally:
        frozen.kill()
        frozen.wait()
