"""Engine-link latency beside gRPC's: one session, lockstep play, the same actions.

    .venv/bin/python benchmarks/link_latency.py [--frames 200] [--image seed.png --depth seed.npy]

Starts the daemon as a subprocess and, at 256x256 and 640x360, plays one session over a gRPC
Play stream and one over an engine-link play stream, both seeded the same way and driven by
the same actions in lockstep (send an action, wait for its frame, send the next), the way an
engine drives the daemon. Frames carry raw RGB8, float32 depth and the mask, as in
grpc_latency.py. Each client decodes what a plugin would: gRPC a protobuf message, the link a
msgpack map (both leave the pixels as bytes). The runs alternate between the transports in
halves, so a busy machine slows both alike.

Reported per size and transport: the round trip from sending an action to holding its decoded
frame (p50, p99), frames per second, the median server_total (arrival to encoded frame, from
the frame's timings) and the median transport time (round trip - server_total).
"""

from __future__ import annotations

import argparse
import queue
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass

import grpc
import msgpack
import numpy as np
from websockets.sync.client import connect

from gwm_engine.cli import SAMPLE_DEPTH, SAMPLE_IMAGE, demo_actions
from gwm_engine.client import CameraAction, LocalDaemon
from gwm_engine.client.link_client import LinkClient, encode_request
from gwm_engine.media import load_depth
from gwm_engine.protocol import arrays
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.protocol.limits import MAX_MESSAGE_BYTES
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZES = ((256, 256), (640, 360))
WARM_UP = 10


@dataclass
class Sample:
    rtt_ms: float
    server_ms: float


def action_fields(action: CameraAction, seq: int) -> dict:
    fields: dict = {"seq": seq, "client_time_us": time.perf_counter_ns() // 1000}
    if action.pose is not None:
        fields["pose"] = arrays.pose_to_wire(action.pose)
    else:
        fields.update(zip(("move_right_m", "move_up_m", "move_forward_m"), map(float, action.move)))
        fields.update(zip(("turn_yaw_deg", "turn_pitch_deg", "turn_roll_deg"), map(float, action.turn)))
    return fields


def sample(client_time_us: int, server_ms: float) -> Sample:
    return Sample((time.perf_counter_ns() // 1000 - client_time_us) / 1000.0, server_ms)


def play_grpc(stub, session_id: str, actions: list[CameraAction]) -> list[Sample]:
    answered: queue.Queue[int] = queue.Queue()

    def paced() -> Iterator[pb.Action]:
        for seq, action in enumerate(actions, 1):
            yield pb.Action(session_id=session_id, **action_fields(action, seq))
            answered.get(timeout=60)

    samples = []
    for frame in stub.Play(paced(), timeout=600):
        samples.append(sample(frame.client_time_us, frame.timings_ms["server_total"]))
        answered.put(frame.seq)
    return samples


def play_link(url: str, session_id: str, actions: list[CameraAction]) -> list[Sample]:
    samples = []
    with connect(url, compression=None, max_size=None) as ws:
        ws.send(encode_request("hello", 1, {"protocol_version": PROTOCOL_VERSION}))
        msgpack.unpackb(ws.recv(timeout=60))
        for seq, action in enumerate(actions, 1):
            fields = action_fields(action, seq) | ({"session_id": session_id} if seq == 1 else {})
            ws.send(encode_request("play", 2, fields))
            frame = msgpack.unpackb(ws.recv(timeout=60))
            if frame["type"] != "play":
                raise RuntimeError(f"the link answered {frame}")
            samples.append(sample(frame["client_time_us"], frame["timings_ms"]["server_total"]))
        ws.send(encode_request("play_end", 2, {}))
        msgpack.unpackb(ws.recv(timeout=60))
    return samples


def summary(samples: list[Sample], elapsed_s: float) -> tuple[float, float, float, float, float]:
    rtts = [s.rtt_ms for s in samples]
    return (
        float(np.percentile(rtts, 50)),
        float(np.percentile(rtts, 99)),
        len(samples) / elapsed_s,
        statistics.median(s.server_ms for s in samples),
        statistics.median(s.rtt_ms - s.server_ms for s in samples),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", default=str(SAMPLE_IMAGE), help="seed image (default: the bundled sample)")
    parser.add_argument("--depth", default=None, help="seed depth .npy (default: the sample's, with the sample image)")
    parser.add_argument("--frames", type=int, default=200, help="measured frames per size and transport")
    args = parser.parse_args()
    seed = open(args.image, "rb").read()
    depth_path = args.depth or (SAMPLE_DEPTH if args.image == str(SAMPLE_IMAGE) else None)
    seed_depth = load_depth(depth_path).astype("<f4").tobytes() if depth_path else b""

    rows = []
    with (
        LocalDaemon() as daemon,
        grpc.insecure_channel(daemon.address, options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]) as channel,
        LinkClient(daemon.link_url) as link,
    ):
        stub = pb_grpc.WorldServiceStub(channel)
        model = link.call("get_info")
        for width, height in SIZES:
            request = dict(
                protocol_version=PROTOCOL_VERSION, seed_image=seed, seed_depth=seed_depth, width=width, height=height, fov_deg=60.0,
                rgb_encoding=pb.RGB_ENCODING_RAW, depth_encoding=pb.DEPTH_ENCODING_FLOAT32, include_mask=True,
            )  # fmt: skip
            sessions = {
                "gRPC": stub.CreateSession(pb.CreateSessionRequest(**request), timeout=120).session.session_id,
                "link": link.call("create_session", **request).session.session_id,
            }
            play = {
                "gRPC": lambda sid, actions: play_grpc(stub, sid, actions),
                "link": lambda sid, actions: play_link(daemon.link_url, sid, actions),
            }
            for name, sid in sessions.items():
                play[name](sid, demo_actions(WARM_UP))
            samples: dict[str, list[Sample]] = {"gRPC": [], "link": []}
            elapsed = {"gRPC": 0.0, "link": 0.0}
            actions = demo_actions(args.frames)
            halves = (actions[: args.frames // 2], actions[args.frames // 2 :])
            for half in halves:
                for name, sid in sessions.items():
                    start = time.perf_counter()
                    samples[name] += play[name](sid, half)
                    elapsed[name] += time.perf_counter() - start
            for name, _sid in sessions.items():
                rows.append((f"{width}x{height}", name, *summary(samples[name], elapsed[name])))
            stub.CloseSession(pb.CloseSessionRequest(session_id=sessions["gRPC"]), timeout=10)
            link.call("close_session", session_id=sessions["link"])

    print(
        f"model {model.model_name} {model.model_version}; one daemon, one session per transport, lockstep play, {args.frames} frames each"
    )
    print("action -> decoded frame (raw RGB8 + float32 depth + mask)\n")
    print(f"{'size':>9} {'transport':>9} {'p50 ms':>8} {'p99 ms':>8} {'fps':>7} {'server ms':>10} {'transport ms':>13}")
    for size, name, p50, p99, fps, server, transport in rows:
        print(f"{size:>9} {name:>9} {p50:8.1f} {p99:8.1f} {fps:7.1f} {server:10.1f} {transport:13.2f}")


if __name__ == "__main__":
    main()
