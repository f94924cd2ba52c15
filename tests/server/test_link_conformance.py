"""Conformance: the same seed and actions over gRPC and over the engine link give identical frames.

Both transports run over one daemon and the same WorldOperations, so every field of every
frame must match byte for byte (pixels, depth, mask, pose, intrinsics, seq, index); only the
server's timings differ.
"""

import queue
from collections.abc import Iterable, Iterator

import grpc
import pytest

from gwm_engine.client.link_client import LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZE = 64

# Relative moves and turns of every axis, negative numbers, an absolute pose, a relative action
# after it, and a no-op.
ACTIONS: list[dict] = [
    {"move_forward_m": 0.1, "turn_yaw_deg": 4.0},
    {"move_right_m": -0.05, "turn_pitch_deg": -3.0},
    {"move_up_m": 0.02, "turn_roll_deg": 1.5},
    {"pose": [1.0, 0.0, 0.0, 0.1, 0.0, 1.0, 0.0, 0.05, 0.0, 0.0, 1.0, -0.3, 0.0, 0.0, 0.0, 1.0]},
    {"turn_yaw_deg": -7.5, "move_forward_m": 0.15},
    {},
]
ENCODINGS = {
    "raw-float32-mask": dict(rgb_encoding=pb.RGB_ENCODING_RAW, depth_encoding=pb.DEPTH_ENCODING_FLOAT32, include_mask=True),
    "jpeg-uint16mm": dict(rgb_encoding=pb.RGB_ENCODING_JPEG, depth_encoding=pb.DEPTH_ENCODING_UINT16_MM, jpeg_quality=80),
    "png-float16-stereo": dict(rgb_encoding=pb.RGB_ENCODING_PNG, depth_encoding=pb.DEPTH_ENCODING_FLOAT16, stereo=True, ipd_m=0.064),
}


def without_timings(frame: pb.Frame) -> pb.Frame:
    frame = pb.Frame.FromString(frame.SerializeToString())
    frame.ClearField("timings_ms")
    return frame


def numbered(actions: Iterable[dict]) -> list[dict]:
    return [{"seq": i, "client_time_us": 10_000 + i, **a} for i, a in enumerate(actions, 1)]


def grpc_lockstep(stub, requests: list[pb.Action]) -> list[pb.Frame]:
    answered: queue.Queue[int] = queue.Queue()

    def paced() -> Iterator[pb.Action]:
        for request in requests:
            yield request
            answered.get(timeout=60)

    frames = []
    for frame in stub.Play(paced(), timeout=120):
        frames.append(frame)
        answered.put(frame.seq)
    return frames


@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_grpc_and_the_link_give_identical_frames(daemon, seed_png, encoding):
    request = dict(protocol_version=PROTOCOL_VERSION, seed_image=seed_png, width=SIZE, height=SIZE, fov_deg=70.0, **ENCODINGS[encoding])
    with grpc.insecure_channel(daemon.address) as channel, LinkClient(daemon.link_url) as link:
        stub = pb_grpc.WorldServiceStub(channel)
        over_grpc = stub.CreateSession(pb.CreateSessionRequest(**request), timeout=60)
        over_link = link.call("create_session", **request)
        g_id, l_id = over_grpc.session.session_id, over_link.session.session_id
        assert over_grpc.session == pb.SessionInfo(**{**_fields(over_link.session), "session_id": g_id})
        grpc_frames = [over_grpc.first_frame]
        link_frames = [over_link.first_frame]

        # Step, one call per action
        grpc_frames += [stub.Step(pb.Action(session_id=g_id, **a), timeout=60) for a in numbered(ACTIONS)]
        link_frames += [link.call("step", session_id=l_id, **a) for a in numbered(ACTIONS)]
        # Play in lockstep (one frame per action); only the first message names the session
        plays = numbered(ACTIONS)
        grpc_frames += grpc_lockstep(stub, [pb.Action(**a, **({"session_id": g_id} if i == 0 else {})) for i, a in enumerate(plays)])
        link_frames += list(link.play(l_id, plays))

        assert len(grpc_frames) == len(link_frames) == 1 + 2 * len(ACTIONS)
        for i, (from_grpc, from_link) in enumerate(zip(grpc_frames, link_frames)):
            assert without_timings(from_grpc) == without_timings(from_link), f"frame {i} differs"
        assert len({f.rgb for f in link_frames}) > 3, "the actions changed the view"
        if ENCODINGS[encoding].get("stereo"):
            assert all(f.right_rgb and f.right_depth for f in link_frames)

        stub.CloseSession(pb.CloseSessionRequest(session_id=g_id), timeout=10)
        link.call("close_session", session_id=l_id)


def _fields(message) -> dict:
    return {f.name: getattr(message, f.name) for f in message.DESCRIPTOR.fields}
