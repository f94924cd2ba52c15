"""Bad input over the wire: each gets a clear status while another client keeps being served."""

import subprocess
import sys
import textwrap

import grpc
import numpy as np
import pytest

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient, WorldError
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc

SIZE = 64
Code = grpc.StatusCode


@pytest.fixture(autouse=True)
def still_serving(bystander):
    """Every test here must leave the other client streaming without an error."""
    yield
    bystander.wait_for_frames()


@pytest.fixture
def session(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as s:
        yield s


def raw_stub(address: str, max_send_bytes: int = 4 * 1024 * 1024):
    """A bare gRPC stub (no SDK checks), e.g. allowed to send more than the server accepts."""
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", max_send_bytes)])
    return channel, pb_grpc.WorldServiceStub(channel)


def create_request(seed: bytes, **fields) -> pb.CreateSessionRequest:
    base = dict(protocol_version="1.0.0", seed_image=seed, width=SIZE, height=SIZE, fov_deg=60.0)
    return pb.CreateSessionRequest(**{**base, **fields})


def expect(code: grpc.StatusCode, call, *args, match: str = "", **kwargs) -> WorldError:
    with pytest.raises(WorldError) as info:
        call(*args, **kwargs)
    assert info.value.code == code, info.value
    assert match.lower() in info.value.details.lower(), info.value.details
    return info.value


def test_non_image_bytes(client):
    expect(Code.INVALID_ARGUMENT, client.create_session, b"this is not an image", width=SIZE, height=SIZE, match="image")
    expect(Code.INVALID_ARGUMENT, client.create_session, b"", width=SIZE, height=SIZE, match="empty")


def test_raw_seed_with_the_wrong_byte_count(client):
    with pytest.raises(grpc.RpcError) as info:
        _, stub = raw_stub(client.address)
        stub.CreateSession(create_request(b"\0" * 100, seed_image_encoding=pb.RGB_ENCODING_RAW, seed_image_width=10, seed_image_height=10))
    assert info.value.code() == Code.INVALID_ARGUMENT and "300 bytes" in info.value.details()


def test_seed_depth_of_the_wrong_size(client, noise_image):
    expect(Code.INVALID_ARGUMENT, client.create_session, noise_image, depth=np.ones((10, 10), np.float32), match="depth")


@pytest.mark.parametrize("width,height", [(0, 0), (100000, 100000), (SIZE, 0), (4000, 16)])
def test_impossible_sizes(client, seed_png, width, height):
    expect(Code.INVALID_ARGUMENT, client.create_session, seed_png, width=width, height=height, match="size")


@pytest.mark.parametrize("fov_deg", [0.0, float("nan"), 200.0])
def test_impossible_fov(client, seed_png, fov_deg):
    expect(Code.INVALID_ARGUMENT, client.create_session, seed_png, width=SIZE, height=SIZE, fov_deg=fov_deg, match="fov")


def test_unknown_encodings(client, seed_png):
    _, stub = raw_stub(client.address)
    for fields in (dict(rgb_encoding=7), dict(depth_encoding=9), dict(jpeg_quality=101)):
        with pytest.raises(grpc.RpcError) as info:
            stub.CreateSession(create_request(seed_png, **fields))
        assert info.value.code() == Code.INVALID_ARGUMENT, fields


@pytest.mark.parametrize(
    "move,turn",
    [
        ((float("nan"), 0.0, 0.0), (0.0, 0.0, 0.0)),
        ((0.0, float("inf"), 0.0), (0.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (0.0, float("-inf"), 0.0)),
        ((0.0, 0.0, 1e9), (0.0, 0.0, 0.0)),
        ((0.0, 0.0, 0.0), (1e6, 0.0, 0.0)),
    ],
)
def test_non_finite_or_huge_actions(session, move, turn):
    expect(Code.INVALID_ARGUMENT, session.step, move=move, turn=turn, match="action seq")
    session.step(move=(0.0, 0.0, 0.05))  # the session is still fine


@pytest.mark.parametrize(
    "pose",
    [np.full((4, 4), np.nan), np.eye(4) * 2, np.diag([1.0, 1.0, -1.0, 1.0]), np.eye(4) + np.eye(4, k=3) * 1e9],
    ids=["nan", "scaled", "mirrored", "far-away"],
)
def test_bad_absolute_poses(session, pose):
    expect(Code.INVALID_ARGUMENT, session.set_pose, pose, match="pose")
    session.set_pose(np.eye(4))


def test_a_pose_without_16_values(client, session):
    _, stub = raw_stub(client.address)
    with pytest.raises(grpc.RpcError) as info:
        stub.Step(pb.Action(session_id=session.id, seq=1, pose=[1.0] * 15))
    assert info.value.code() == Code.INVALID_ARGUMENT and "16 values" in info.value.details()


def test_a_bad_action_mid_stream_ends_only_that_stream(session):
    actions = [CameraAction(move=(0.0, 0.0, 0.01))] * 3 + [CameraAction(move=(float("nan"), 0.0, 0.0))]
    error = expect(Code.INVALID_ARGUMENT, lambda: list(session.play(actions)), match="action seq")
    assert "finite" in error.details
    assert session.step(move=(0.0, 0.0, 0.01)).pose[2, 3] < 0


def test_a_stream_cannot_switch_sessions(client, session, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as other:
        _, stub = raw_stub(client.address)
        requests = iter([pb.Action(session_id=session.id, seq=1), pb.Action(session_id=other.id, seq=2)])
        with pytest.raises(grpc.RpcError) as info:
            list(stub.Play(requests))
        assert info.value.code() == Code.INVALID_ARGUMENT and "one session" in info.value.details()


def test_unknown_and_closed_session_ids(client, seed_png):
    closed = client.create_session(seed_png, width=SIZE, height=SIZE)
    closed.close()
    channel, stub = raw_stub(client.address)
    for session_id in ("no-such-session", "", closed.id, "x" * 10000):
        for call, request in [
            (stub.Step, pb.Action(session_id=session_id)),
            (stub.Fork, pb.ForkRequest(session_id=session_id)),
            (stub.SaveWorld, pb.SaveWorldRequest(session_id=session_id)),
            (stub.ExportGeometry, pb.ExportGeometryRequest(session_id=session_id)),
            (stub.CloseSession, pb.CloseSessionRequest(session_id=session_id)),
            (lambda r: list(stub.Play(iter([r]))), pb.Action(session_id=session_id)),
        ]:
            with pytest.raises(grpc.RpcError) as info:
                call(request)
            expected = Code.INVALID_ARGUMENT if session_id == "" else Code.NOT_FOUND  # no id at all: a client bug
            assert info.value.code() == expected, (call, session_id[:20])
            assert len(info.value.details()) < 200
    channel.close()


def test_a_corrupt_world_file(client):
    for data in (b"", b"\x93\x01\x02", b"not msgpack at all \xff\xfe"):
        expect(Code.INVALID_ARGUMENT, client.load_world, data, match="world file")


def test_oversize_messages_are_refused(client):
    """The server refuses a request over its 64 MiB limit before decoding it."""
    channel, stub = raw_stub(client.address, max_send_bytes=128 * 1024 * 1024)
    with pytest.raises(grpc.RpcError) as info:
        stub.CreateSession(create_request(b"\0" * (65 * 1024 * 1024)))
    assert info.value.code() == Code.RESOURCE_EXHAUSTED
    channel.close()


@pytest.mark.parametrize("version,code", [
    ("2.0.0", Code.FAILED_PRECONDITION), ("0.9.1", Code.FAILED_PRECONDITION), ("one", Code.INVALID_ARGUMENT), ("", Code.INVALID_ARGUMENT),
])
def test_protocol_versions(client, seed_png, version, code):
    _, stub = raw_stub(client.address)
    for call, request in [
        (stub.CreateSession, create_request(seed_png, protocol_version=version)),
        (stub.LoadWorld, pb.LoadWorldRequest(protocol_version=version, world=b"")),
    ]:
        with pytest.raises(grpc.RpcError) as info:
            call(request)
        assert info.value.code() == code
        if code == Code.FAILED_PRECONDITION:
            assert "1.x" in info.value.details()  # names what the server does speak


_DISCONNECTING_CLIENT = textwrap.dedent(
    """
    import sys, grpc
    from gwm_engine.protocol._proto import world_pb2 as pb, world_pb2_grpc as pb_grpc
    address, session_id = sys.argv[1:]
    def actions():
        seq = 0
        while True:
            seq += 1
            yield pb.Action(session_id=session_id, seq=seq, move_forward_m=0.001)
    for frame in pb_grpc.WorldServiceStub(grpc.insecure_channel(address)).Play(actions()):
        print(frame.seq, flush=True)
    """
)


def test_a_client_killed_mid_stream_leaves_the_session_usable(client, session):
    process = subprocess.Popen(
        [sys.executable, "-c", _DISCONNECTING_CLIENT, client.address, session.id], stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(3):
            assert process.stdout.readline(), "the streaming client got no frames"
    finally:
        process.kill()  # the connection drops mid-stream, without a goodbye
        process.wait()
    frame = session.step(move=(0.0, 0.0, 0.01))
    assert frame.index > 3


@pytest.mark.daemon  # starts its own
def test_more_sessions_than_the_limit(seed_png):
    with LocalDaemon(["--max-sessions", "2"]) as daemon, WorldClient(daemon.address) as client:
        first = client.create_session(seed_png, width=SIZE, height=SIZE)
        second = client.create_session(seed_png, width=SIZE, height=SIZE)
        expect(Code.RESOURCE_EXHAUSTED, client.create_session, seed_png, width=SIZE, height=SIZE, match="maximum of 2")
        expect(Code.RESOURCE_EXHAUSTED, first.fork)
        expect(Code.RESOURCE_EXHAUSTED, client.load_world, first.save())
        first.step(turn=(5.0, 0.0, 0.0))  # the sessions already open keep working
        second.close()
        client.create_session(seed_png, width=SIZE, height=SIZE)  # a freed slot can be reused
