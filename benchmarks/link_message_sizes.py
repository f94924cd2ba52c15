"""Sizes of typical engine-link messages, for proto/ENGINE_LINK.md's "Typical message sizes".

Starts the real daemon, seeds a 256x256 session from the bundled sample (its depth estimated),
walks it with the demo's forward walk and prints the bytes of each message as the link sends
it: a raw frame, a JPEG frame, the seed PNG, the saved world and the PLY export.

    .venv/bin/python benchmarks/link_message_sizes.py [--steps 60]
"""

from __future__ import annotations

import argparse

from gwm_engine.cli import SAMPLE_IMAGE
from gwm_engine.client import LocalDaemon
from gwm_engine.client.link_client import LinkClient, encode_request
from gwm_engine.protocol import link_messages
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.version import PROTOCOL_VERSION


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="forward steps of 5 cm before saving (default 60)")
    args = parser.parse_args()
    seed = SAMPLE_IMAGE.read_bytes()
    sizes: dict[str, int] = {}
    with LocalDaemon() as daemon, LinkClient(daemon.link_url) as link:
        base = dict(protocol_version=PROTOCOL_VERSION, seed_image=seed, width=256, height=256, fov_deg=60.0)
        sizes["create_session request (seed PNG)"] = len(encode_request("create_session", 1, base))
        raw = link.call("create_session", **base).session.session_id
        jpeg = link.call("create_session", **base, rgb_encoding=pb.RGB_ENCODING_JPEG,
                         depth_encoding=pb.DEPTH_ENCODING_FLOAT16).session.session_id
        for i in range(args.steps):
            frame = link.call("step", session_id=raw, seq=i + 1, move_forward_m=0.05, turn_yaw_deg=1.0)
        sizes["frame, 256x256 raw RGB + float32 depth"] = len(link_messages.encode("step", 1, frame))
        small = link.call("step", session_id=jpeg, seq=1, move_forward_m=0.05)
        sizes["frame, 256x256 JPEG + float16 depth"] = len(link_messages.encode("step", 1, small))
        world = link.call("save_world", session_id=raw)
        sizes[f"save_world reply after {args.steps} steps"] = len(link_messages.encode("save_world", 1, world))
        ply = link.call("export_geometry", session_id=raw)
        sizes[f"export_geometry reply after {args.steps} steps ({ply.point_count} points)"] = len(
            link_messages.encode("export_geometry", 1, ply)
        )
    for what, n in sizes.items():
        print(f"{n / 1e3:10.1f} KB  {what}")


if __name__ == "__main__":
    main()
