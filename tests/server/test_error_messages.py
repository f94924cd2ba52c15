"""Messages a person can act on: the whole bad-input matrix, over gRPC, over the engine link and
on the command line, answered in plain words, never with library internals (`np.float64(...)`,
`<_io.BytesIO object at 0x...>`, or a bare exception class name such as `ExtraData`)."""

from __future__ import annotations

import builtins
import io
import pickle
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import msgpack
import numpy as np
import pytest
from PIL import Image, UnidentifiedImageError

from gwm_engine.client import LocalDaemon
from gwm_engine.client.link_client import LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZE = 32
NAN, INF = float("nan"), float("inf")
EXCEPTION_NAMES = sorted(
    {name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)}
    | {name for name in dir(msgpack.exceptions) if name[0].isupper()}
    | {UnidentifiedImageError.__name__, Image.DecompressionBombError.__name__, pickle.UnpicklingError.__name__}
)
INTERNALS = re.compile(r"np\.|object at 0x|\b(" + "|".join(map(re.escape, EXCEPTION_NAMES)) + r")\b")


def assert_plain(message: str, what: str) -> None:
    assert message.strip(), f"{what}: an empty message"
    found = INTERNALS.search(message)
    assert found is None, f"{what}: {message!r} shows library internals ({found.group(0)!r})"


@pytest.fixture(scope="module")
def stub(daemon: LocalDaemon) -> Iterator[pb_grpc.WorldServiceStub]:
    with grpc.insecure_channel(daemon.address) as channel:
        yield pb_grpc.WorldServiceStub(channel)


@pytest.fixture(scope="module")
def session_id(stub, seed_png) -> str:
    reply = stub.CreateSession(create(seed_png), timeout=60)
    return reply.session.session_id


@pytest.fixture(scope="module")
def world(stub, session_id) -> bytes:
    return stub.SaveWorld(pb.SaveWorldRequest(session_id=session_id), timeout=60).world


def create(seed: bytes, **fields) -> pb.CreateSessionRequest:
    return pb.CreateSessionRequest(**{**dict(protocol_version=PROTOCOL_VERSION, seed_image=seed, width=SIZE, height=SIZE,
                                             fov_deg=60.0), **fields})


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def pose(**changes: float) -> list[float]:
    values = np.eye(4).ravel()
    for index, value in changes.items():
        values[int(index[1:])] = value
    return values.tolist()


CREATE_CASES = {
    "text for an image": dict(seed_image=b"this is not an image"),
    "empty image": dict(seed_image=b""),
    "random bytes": dict(seed_image=bytes(range(256)) * 4),
    "raw without size": dict(seed_image=b"\x00" * 12, seed_image_encoding=pb.RGB_ENCODING_RAW),
    "raw of the wrong size": dict(seed_image=b"\x00" * 13, seed_image_encoding=pb.RGB_ENCODING_RAW, seed_image_width=2,
                                  seed_image_height=2),
    "zero width": dict(width=0),
    "huge size": dict(width=100000, height=100000),
    "NaN fov": dict(fov_deg=NAN),
    "fov 200": dict(fov_deg=200.0),
    "jpeg quality 101": dict(rgb_encoding=pb.RGB_ENCODING_JPEG, jpeg_quality=101),
    "unknown rgb encoding": dict(rgb_encoding=99),
    "unknown depth encoding": dict(depth_encoding=99),
    "depth of the wrong size": dict(seed_depth=np.ones(7, np.float32).tobytes()),
    "NaN depth": dict(seed_depth=np.full((240, 320), NAN, np.float32).tobytes()),
    "protocol not semver": dict(protocol_version="one"),
    "protocol 2.0.0": dict(protocol_version="2.0.0"),
    "no protocol": dict(protocol_version=""),
}

ACTION_CASES = {
    "NaN move": dict(move_forward_m=NAN),
    "inf turn": dict(turn_pitch_deg=-INF),
    "huge move": dict(move_right_m=1e9),
    "huge turn": dict(turn_roll_deg=1e4),
    "pose of 15": dict(pose=[1.0] * 15),
    "NaN pose": dict(pose=pose(i3=NAN)),
    "skewed pose": dict(pose=pose(i1=0.5)),
    "mirror pose": dict(pose=pose(i10=-1.0)),
    "bad last row": dict(pose=pose(i12=1.0)),
    "far pose": dict(pose=pose(i3=1e9)),
}


def world_cases(world: bytes) -> dict[str, bytes]:
    return {
        "garbage": b"hello, world",
        "extra bytes": world + b"\x01",
        "cut short": world[: len(world) // 2],
        "bad first byte": b"\xc1" + world[1:],
        "a map without the format": msgpack.packb({"a": 1}),
        "a list": msgpack.packb([1, 2, 3]),
        "a pickle": pickle.dumps({"format": "gwm-world"}),
        "wrong version": msgpack.packb({"format": "gwm-world", "version": 99}),
        "empty": b"",
    }


def grpc_message(call, request) -> str:
    with pytest.raises(grpc.RpcError) as info:
        result = call(request, timeout=60)
        if hasattr(result, "__iter__") and not isinstance(result, pb.Frame):
            list(result)
    assert info.value.code() in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
                                 grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED), info.value
    return info.value.details()


@pytest.mark.parametrize("case", list(CREATE_CASES))
def test_create_session_errors_are_plain(stub, seed_png, case):
    assert_plain(grpc_message(stub.CreateSession, create(seed_png, **CREATE_CASES[case])), case)


@pytest.mark.parametrize("case", list(ACTION_CASES))
def test_action_errors_are_plain_and_name_the_field(stub, session_id, case):
    message = grpc_message(stub.Step, pb.Action(session_id=session_id, seq=41, **ACTION_CASES[case]))
    assert_plain(message, case)
    assert "seq 41" in message
    sent = [k for k in ACTION_CASES[case] if k != "pose"]
    assert all(name in message for name in sent), message


def test_session_errors_are_plain(stub):
    for call, request in ((stub.Step, pb.Action()), (stub.Step, pb.Action(session_id="nope")),
                          (stub.Fork, pb.ForkRequest(session_id="nope")), (stub.SaveWorld, pb.SaveWorldRequest()),
                          (stub.ExportGeometry, pb.ExportGeometryRequest(session_id="x" * 500)),
                          (stub.CloseSession, pb.CloseSessionRequest(session_id="nope"))):
        assert_plain(grpc_message(call, request), str(request))


def test_world_file_errors_are_plain(stub, world):
    for case, data in world_cases(world).items():
        message = grpc_message(stub.LoadWorld, pb.LoadWorldRequest(protocol_version=PROTOCOL_VERSION, world=data))
        assert_plain(message, case)
        assert "world" in message


LINK_CASES: dict[str, bytes | str] = {
    "random bytes": bytes(range(200, 256)),
    "cut short": msgpack.packb({"type": "get_info", "id": 1})[:-3],
    "bad first byte": b"\xc1",
    "two values": msgpack.packb({"type": "get_info", "id": 1}) + b"\x01",
    "deep nesting": b"\x91" * 5000,
    "not UTF-8": b"\x81\xa2\xff\xfe\x01",
    "an integer key": msgpack.packb({1: 2}),
    "a length past the end": b"\xde\xff\xff\x01",
    "not a map": msgpack.packb([1, 2]),
    "id too large": msgpack.packb({"type": "get_info", "id": 2**32}),
    "negative id": msgpack.packb({"type": "get_info", "id": -3}),
    "string id": msgpack.packb({"type": "get_info", "id": "7"}),
    "no type": msgpack.packb({"id": 5}),
    "integer type": msgpack.packb({"id": 5, "type": 3}),
    "unknown type": msgpack.packb({"id": 5, "type": "teleport"}),
    "unknown field": msgpack.packb({"id": 5, "type": "get_info", "verbose": True}),
    "wrong msgpack type": msgpack.packb({"id": 5, "type": "step", "move_forward_m": "1"}),
    "out of range": msgpack.packb({"id": 5, "type": "step", "seq": -1}),
    "bin for a string": msgpack.packb({"id": 5, "type": "step", "session_id": b"abc"}, use_bin_type=True),
    "text message": "hello",
    "bad hello": msgpack.packb({"id": 5, "type": "hello", "protocol_version": "x"}),
}


def test_link_errors_are_plain(daemon):
    with LinkClient(daemon.link_url) as link:
        for case, data in LINK_CASES.items():
            link.send_raw(data)
            reply = link.receive()
            assert reply.type == "error", (case, reply)
            assert_plain(reply.body["message"], case)
        assert "got 4294967296" in _link_error(link, LINK_CASES["id too large"])
        assert "got -3" in _link_error(link, LINK_CASES["negative id"])


def _link_error(link: LinkClient, data: bytes) -> str:
    link.send_raw(data)
    return link.receive().body["message"]


def test_link_action_errors_are_plain(daemon, session_id):
    with LinkClient(daemon.link_url) as link:
        for case, fields in ACTION_CASES.items():
            reply = link.receive(link.send("step", session_id=session_id, seq=9, **fields))
            assert reply.type == "error"
            assert_plain(reply.body["message"], case)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bad")
    (folder / "notimage.png").write_text("not an image")
    np.save(folder / "strings.npy", np.array(["a", "b"]))
    (folder / "depth.png").write_bytes(png(np.zeros((8, 8, 3), np.uint8)))
    return folder


CLI_CASES = {
    "an image that is text": ["demo", "--image", "{d}/notimage.png"],
    "a folder for an image": ["demo", "--image", "{d}"],
    "a depth of strings": ["demo", "--depth", "{d}/strings.npy"],
    "an 8-bit depth PNG": ["demo", "--depth", "{d}/depth.png"],
    "weights that are an image": ["demo", "--weights", "{d}/notimage.png"],
    "weights that are a folder": ["demo", "--weights", "{d}"],
}


@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_errors_are_plain(bad_files, tmp_path, case):
    args = [a.format(d=bad_files) for a in CLI_CASES[case]]
    r = subprocess.run([sys.executable, "-m", "gwm_engine.cli", *args, "--steps", "2", "--size", "32x32",
                        "--out", str(tmp_path / "w.mp4")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert_plain(r.stderr, case)
