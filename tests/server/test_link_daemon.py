"""The engine link against the real daemon: handshake, every call, play streams, sessions shared
with gRPC, the token, browser origins, and the web side of the link port."""

import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import grpc
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from gwm_engine.client import LocalDaemon, WorldClient, WorldError
from gwm_engine.client.link_client import LinkCallError, LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.version import PROTOCOL_VERSION
from gwm_engine.server.link_transport import MAX_OPEN_PER_CONNECTION

SIZE = 64
Code = grpc.StatusCode


@pytest.fixture
def link(daemon: LocalDaemon) -> Iterator[LinkClient]:
    with LinkClient(daemon.link_url) as c:
        yield c


def create(link: LinkClient, seed: bytes, **fields) -> pb.CreateSessionResponse:
    base = dict(protocol_version=PROTOCOL_VERSION, seed_image=seed, width=SIZE, height=SIZE, fov_deg=60.0)
    return link.call("create_session", **{**base, **fields})


@pytest.fixture
def session_id(link: LinkClient, seed_png: bytes) -> Iterator[str]:
    created = create(link, seed_png)
    yield created.session.session_id
    try:
        link.call("close_session", session_id=created.session.session_id)
    except LinkCallError:
        pass  # the test closed it


def expect(code: grpc.StatusCode, call, *args, match: str = "", **kwargs) -> LinkCallError:
    with pytest.raises(LinkCallError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    assert match.lower() in info.value.message.lower(), info.value.message
    return info.value


def test_hello_reports_the_versions_and_the_message_limit(link, daemon):
    assert link.server["protocol_version"] == PROTOCOL_VERSION
    assert link.server["supported_protocol_versions"] == ["1.x"]
    with WorldClient(daemon.address) as client:
        assert link.server["max_message_bytes"] > int(client.info()["max_message_bytes"])


def test_another_major_version_is_failed_precondition_and_hello_can_be_retried(daemon):
    with LinkClient(daemon.link_url, hello=False) as link:
        expect(Code.FAILED_PRECONDITION, link.call, "get_info", match="hello")
        expect(Code.FAILED_PRECONDITION, link.call, "hello", protocol_version="2.0.0", match="1.x")
        expect(Code.INVALID_ARGUMENT, link.call, "hello", protocol_version="one", match="semver")
        expect(Code.INVALID_ARGUMENT, link.call, "hello", match="semver")
        assert link.call("hello", protocol_version="1.7.2")["protocol_version"] == PROTOCOL_VERSION
        assert link.call("get_info").model_name


def test_every_call(link, seed_png):
    info = link.call("get_info")
    assert info.protocol_version == PROTOCOL_VERSION and pb.RGB_ENCODING_JPEG in info.rgb_encodings
    created = create(link, seed_png, include_mask=True)
    sid = created.session.session_id
    first = created.first_frame
    assert (first.width, first.height, len(first.rgb), len(first.depth), len(first.mask)) == (
        SIZE,
        SIZE,
        SIZE * SIZE * 3,
        SIZE * SIZE * 4,
        SIZE * SIZE,
    )
    frame = link.call("step", session_id=sid, seq=5, client_time_us=123, move_forward_m=0.2)
    assert (frame.seq, frame.client_time_us, frame.index) == (5, 123, first.index + 1)
    assert frame.pose[11] == pytest.approx(-0.2)  # forward is the camera's -z
    assert {"server_total", "server_step", "server_wait", "server_encode"} <= set(frame.timings_ms)

    forked = link.call("fork", session_id=sid).session
    assert forked.session_id != sid and list(forked.pose) == list(frame.pose)
    world = link.call("save_world", session_id=sid).world
    loaded = link.call("load_world", protocol_version=PROTOCOL_VERSION, world=world).session
    assert list(loaded.pose) == list(frame.pose) and loaded.steps == frame.index
    again = [link.call("step", session_id=s, turn_yaw_deg=10.0) for s in (sid, forked.session_id, loaded.session_id)]
    assert again[0].rgb == again[1].rgb == again[2].rgb, "a fork and a reload continue the same world"
    geometry = link.call("export_geometry", session_id=sid)
    assert geometry.point_count > 1000 and geometry.ply.startswith(b"ply\n")

    for s in (sid, forked.session_id, loaded.session_id):
        assert link.call("close_session", session_id=s) == pb.CloseSessionResponse()
    expect(Code.NOT_FOUND, link.call, "step", session_id=sid, match="not found")
    expect(Code.NOT_FOUND, link.call, "close_session", session_id=sid)


def test_lockstep_play_answers_every_action(link, session_id):
    actions = [{"seq": i, "client_time_us": 1000 + i, "turn_yaw_deg": 2.0} for i in range(1, 21)]
    frames = list(link.play(session_id, actions))
    assert [f.seq for f in frames] == list(range(1, 21))
    assert [f.client_time_us for f in frames] == [1000 + i for i in range(1, 21)]


def test_actions_sent_at_once_are_coalesced_into_fewer_frames(link, session_id):
    frames = list(link.play(session_id, [{"seq": i, "move_forward_m": 0.05} for i in range(1, 41)], lockstep=False))
    assert 1 <= len(frames) < 40
    assert frames[-1].seq == 40
    assert frames[-1].pose[11] == pytest.approx(-2.0), "the last frame answers every action sent"


def test_an_absolute_pose_replaces_what_was_pending(link, session_id):
    pose = np.eye(4)
    pose[:3, 3] = (0.5, 0.25, -1.0)
    actions = [{"seq": 1, "move_right_m": 3.0}, {"seq": 2, "pose": pose.reshape(16).tolist()}, {"seq": 3, "move_up_m": 0.5}]
    frames = list(link.play(session_id, actions, lockstep=False))
    assert frames[-1].seq == 3
    assert np.allclose(np.array(frames[-1].pose).reshape(4, 4)[:3, 3], (0.5, 0.75, -1.0))


def test_a_bad_action_ends_only_its_stream(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=1, turn_yaw_deg=1.0)
    assert link.receive(stream).type == "play"
    link.send("play", stream, seq=2, move_forward_m=float("nan"))
    error = link.receive(stream)
    assert error.type == "error" and error.body["code_name"] == "INVALID_ARGUMENT" and "seq 2" in error.body["message"]
    assert link.call("step", session_id=session_id, seq=3).seq == 3, "the session stays usable"
    expect(Code.INVALID_ARGUMENT, link.call, "play_end", match="no open play stream")


def test_a_play_stream_needs_a_session(link):
    expect(Code.NOT_FOUND, lambda: list(link.play("no-such-session", [{"seq": 1}])), match="not found")
    expect(Code.INVALID_ARGUMENT, lambda: list(link.play("", [{"seq": 1}])), match="must carry session_id")


def test_ids_in_use_and_the_per_connection_limit(link, session_id):
    streams = [link.next_id() for _ in range(MAX_OPEN_PER_CONNECTION)]
    for stream in streams:
        link.send("play", stream, session_id=session_id, turn_yaw_deg=0.5)
    for stream in streams:
        assert link.receive(stream).type == "play"
    expect(Code.RESOURCE_EXHAUSTED, link.call, "get_info", match=f"at most {MAX_OPEN_PER_CONNECTION}")
    reused = link.receive(link.send("get_info", streams[0]))
    assert reused.type == "error" and "in use" in reused.body["message"]  # and it cancelled that stream
    for stream in streams[1:]:
        link.send("play_end", stream)
    for stream in streams[1:]:
        while link.receive(stream).type != "play_end":
            pass
    assert link.call("get_info").model_name


def test_sessions_are_shared_with_grpc(link, daemon, seed_png):
    with WorldClient(daemon.address) as client:
        session = client.create_session(seed_png, width=SIZE, height=SIZE)
        frame = link.call("step", session_id=session.id, seq=7, move_forward_m=0.1)
        assert frame.index == session.frame.index + 1
        assert session.step(move=(0, 0, 0.1)).index == frame.index + 1
        link.call("close_session", session_id=session.id)
        with pytest.raises(WorldError) as info:
            session.step()
        assert info.value.code == Code.NOT_FOUND


@pytest.fixture(scope="module")
def token_daemon() -> Iterator[LocalDaemon]:
    d = LocalDaemon(["--token", "s3cret"])
    yield d
    d.stop()


def test_a_token_daemon_wants_the_token_in_hello_or_the_url(token_daemon):
    with LinkClient(token_daemon.link_url, hello=False) as link:
        expect(Code.UNAUTHENTICATED, link.call, "get_info", match="token")
        expect(Code.UNAUTHENTICATED, link.call, "hello", protocol_version=PROTOCOL_VERSION, match="missing token")
        expect(Code.UNAUTHENTICATED, link.call, "hello", protocol_version=PROTOCOL_VERSION, token="guess", match="wrong token")
        link.call("hello", protocol_version=PROTOCOL_VERSION, token="s3cret")
        assert link.call("get_info").model_name
    with LinkClient(f"{token_daemon.link_url}?token=s3cret") as link:
        assert link.call("get_info").model_name
    with LinkClient(token_daemon.link_url, token="s3cret") as link:
        assert link.call("get_info").model_name


def test_browsers_may_connect_only_from_pages_the_daemon_served(daemon):
    host = daemon.link_url.split("/")[2]
    with LinkClient(daemon.link_url, origin=f"http://{host}") as link:
        assert link.call("get_info").model_name
    for origin in ("http://evil.example", f"https://{host}", "null"):
        with pytest.raises(InvalidStatus) as info:
            LinkClient(daemon.link_url, origin=origin)
        assert info.value.response.status_code == 403


def http_get(url: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers.get("Content-Type", "")


def test_the_link_port_serves_the_playground_and_the_sample(daemon):
    base = daemon.link_url.replace("ws://", "http://").removesuffix("/link")
    status, body, content_type = http_get(f"{base}/")
    assert status == 200 and b"gwm-engine playground" in body and content_type.startswith("text/html")
    for path, kind in (("/app.js", "text/javascript"), ("/msgpack.js", "text/javascript"), ("/style.css", "text/css")):
        status, body, content_type = http_get(base + path)
        assert status == 200 and body and content_type.startswith(kind), path
    status, png, _ = http_get(f"{base}/sample.png")
    assert status == 200 and png.startswith(b"\x89PNG")
    status, depth, _ = http_get(f"{base}/sample_depth.f16")
    assert status == 200 and len(depth) == 512 * 384 * 2
    assert http_get(f"{base}/../pyproject.toml")[0] == 404
    assert http_get(f"{base}/link")[0] == 426  # the link itself wants a WebSocket upgrade


@pytest.mark.daemon  # starts its own
def test_sigterm_lets_a_call_finish_then_closes_the_link(seed_png):
    daemon = LocalDaemon()
    try:
        with LinkClient(daemon.link_url) as link:
            created = create(link, seed_png)
            stream = link.next_id()
            link.send("play", stream, session_id=created.session.session_id, seq=1, turn_yaw_deg=1.0)
            assert link.receive(stream).type == "play"
            daemon.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            # While draining the link still answers; then open streams get the grace period
            # and the connection is closed as "going away".
            assert link.call("step", session_id=created.session.session_id, seq=2).seq == 2
            with pytest.raises(ConnectionClosed) as info:
                while True:
                    link.receive()
            assert info.value.rcvd is not None and info.value.rcvd.code == 1001
        assert daemon.process.wait(30) == 0
    finally:
        daemon.stop()
