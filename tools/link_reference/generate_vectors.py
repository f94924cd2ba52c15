"""Write the engine link's golden vectors into proto/link_vectors/: `python -m tools.link_reference.generate_vectors`.

Each vector is a .msgpack file and an entry in index.json giving its expected decoded value
(notation in msgpack_subset.py). Value vectors cover the msgpack subset (every integer width,
float32 and float64, strings, bin of 0 bytes to > 64 KiB, nested arrays and maps); message
vectors cover every link message type in both directions. The reply vectors are the daemon's
own encoder output (gwm_engine.protocol.link_messages), so they are byte-exact what a plugin
receives. tests/protocol/test_link_vectors.py checks the committed files match this script.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gwm_engine.protocol import link_messages
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.version import PROTOCOL_VERSION  # requests and replies at the current version
from tools.link_reference.msgpack_subset import F32, F64, Int, decode, encode, to_json

VECTORS = Path(__file__).resolve().parents[2] / "proto" / "link_vectors"

INDEX = "index.json"
HEX_UP_TO = 160  # bytes: short vectors also show their bytes as hex in the index


@dataclass
class Vector:
    name: str
    data: bytes
    value: Any  # typed (msgpack_subset)
    kind: str  # "value" or "message"
    description: str
    canonical: bool = True  # `data` is what an encoder writes for `value` (smallest headers)
    message_type: str | None = None
    direction: str | None = None  # "client_to_daemon" or "daemon_to_client"
    tags: list[str] = field(default_factory=list)

    def entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"name": self.name, "file": f"{self.name}.msgpack", "kind": self.kind}
        if self.message_type is not None:
            entry.update(message_type=self.message_type, direction=self.direction)
        entry.update(description=self.description, canonical=self.canonical, tags=self.tags, size=len(self.data))
        if len(self.data) <= HEX_UP_TO:
            entry["hex"] = self.data.hex()
        entry["value"] = to_json(self.value)
        return entry


def value_vectors() -> list[Vector]:
    def v(name: str, value: Any, description: str, **kw: Any) -> Vector:
        return Vector(name, encode(value), value, "value", description, **kw)

    ints = [
        ("int_positive_fixint_0", 0, "positive fixint"),
        ("int_positive_fixint_127", 127, "positive fixint, largest"),
        ("int_uint8_128", 128, "uint8, smallest"),
        ("int_uint8_255", 255, "uint8, largest"),
        ("int_uint16_256", 256, "uint16, smallest"),
        ("int_uint16_65535", 65535, "uint16, largest"),
        ("int_uint32_65536", 65536, "uint32, smallest"),
        ("int_uint32_4294967295", 2**32 - 1, "uint32, largest"),
        ("int_uint64_4294967296", 2**32, "uint64, smallest"),
        ("int_uint64_1700000000000000", 1_700_000_000_000_000, "uint64: a client_time_us in microseconds"),
        ("int_negative_fixint_-1", -1, "negative fixint"),
        ("int_negative_fixint_-32", -32, "negative fixint, smallest"),
        ("int_int8_-33", -33, "int8"),
        ("int_int8_-128", -128, "int8, smallest"),
        ("int_int16_-129", -129, "int16"),
        ("int_int16_-32768", -(2**15), "int16, smallest"),
        ("int_int32_-32769", -(2**15) - 1, "int32"),
        ("int_int32_-2147483648", -(2**31), "int32, smallest"),
        ("int_int64_-2147483649", -(2**31) - 1, "int64"),
        ("int_int64_-9223372036854775808", -(2**63), "int64, smallest"),
    ]
    vectors = [v(name, value, description) for name, value, description in ints]
    vectors.append(
        v("int_uint64_max", 2**64 - 1, "uint64, largest: above int64 (a signed 64-bit codec may refuse it)", tags=["uint64-above-int64"])
    )
    for value, fmt in ((1, "uint64"), (5, "int8"), (-1, "int64"), (300, "uint32")):
        vectors.append(
            v(f"int_wide_{fmt}_{value}", Int(value, fmt), f"{value} written as {fmt}: decoders take any width that fits", canonical=False)
        )
    vectors += [
        v("float64_0.1", F64(0.1), "float64"),
        v("float64_-1.5e300", F64(-1.5e300), "float64, negative, large"),
        v("float64_integral_60", F64(60.0), "float64 holding an integral value (not an int)"),
        v("float64_inf", F64(float("inf")), "float64 +infinity"),
        v("float64_-inf", F64(float("-inf")), "float64 -infinity"),
        v("float64_nan", F64(float("nan")), "float64 NaN, the canonical one: 7ff8000000000000 (compare with isnan)"),
        # Decode-only: NaN with other bits (.NET's double.NaN, x86's 0.0 / 0.0) still reads as
        # NaN, but encoders write the canonical one.
        Vector("float64_nan_other_bits", bytes.fromhex("cbfff8000000000000"), F64(float("nan")), "value",
               "float64 NaN with the sign bit set (.NET's double.NaN): decoders read it as NaN; decode-only", canonical=False),
        v("float32_1.5", F32(1.5), "float32"),
        v("float32_-0.25", F32(-0.25), "float32, negative"),
        v("float32_max", F32(3.4028234663852886e38), "float32, largest finite"),
        v("bool_true", True, "true"),
        v("bool_false", False, "false"),
        v("str_empty", "", "fixstr of 0 bytes"),
        v("str_ascii", "gwm", "fixstr"),
        v("str_non_ascii", "Grüße, 世界 🌍 — ✓", "fixstr of multi-byte UTF-8 (2, 3 and 4 byte sequences)"),
        v("str8_40_bytes", "x" * 40, "str8 (32..255 bytes)"),
        v("str16_non_ascii_300_bytes", "é" * 150, "str16: 150 characters, 300 UTF-8 bytes"),
        v("bin8_empty", b"", "bin of 0 bytes (bin8)"),
        v("bin8_3_bytes", b"\x00\xff\x80", "bin8"),
        v("bin16_300_bytes", bytes(i % 256 for i in range(300)), "bin16"),
        v("bin32_70000_bytes", bytes(i * 7 % 256 for i in range(70000)), "bin32: over 64 KiB"),
        v("array_empty", [], "fixarray of 0"),
        v("array_mixed", [1, -1, F64(0.5), "a", True, b"\x01"], "fixarray of mixed types"),
        v("array_nested", [[1, 2], [3, [4, []]], []], "nested arrays"),
        v("array16_pose", [F64(x) for x in (1, 0, 0, 0.5, 0, 1, 0, 1.6, 0, 0, 1, -2.25, 0, 0, 0, 1)], "array16: a pose, 16 float64"),
        v("array16_20_ints", list(range(-10, 10)), "array16 of ints"),
        v("map_empty", {}, "fixmap of 0"),
        v("map_nested", {"a": {"b": [1, {"c": "d"}]}, "é": F64(-0.5)}, "nested maps, a non-ASCII key"),
        v("map16_16_keys", {f"k{i:02d}": i for i in range(16)}, "map16 (16 keys)"),
    ]
    return vectors


def _pose(tx: float = 0.0, ty: float = 1.6, tz: float = 0.0) -> list[float]:
    return [1.0, 0.0, 0.0, tx, 0.0, 1.0, 0.0, ty, 0.0, 0.0, 1.0, tz, 0.0, 0.0, 0.0, 1.0]


def request_vectors() -> list[Vector]:
    session_id = "b3JiaXQtc2Vzc2lvbi0wMDAx"

    def req(name: str, message_type: str, message_id: int, fields: dict[str, Any], description: str) -> Vector:
        value = {"type": message_type, "id": message_id, **fields}
        data = encode(value)
        link_messages.decode(data)  # the daemon must accept every request vector
        return Vector(name, data, value, "message", description, message_type=message_type, direction="client_to_daemon")

    relative = {
        "session_id": session_id,
        "seq": 7,
        "client_time_us": 1_700_000_000_000_000,
        "move_right_m": F64(-0.25),
        "move_up_m": 0,
        "move_forward_m": F64(0.1),
        "turn_yaw_deg": F64(-2.5),
        "turn_pitch_deg": F64(1.0),
        "turn_roll_deg": 0,
    }
    return [
        req("request_hello", "hello", 1, {"protocol_version": PROTOCOL_VERSION}, "the handshake, first on every connection"),
        req("request_hello_token", "hello", 1, {"protocol_version": "1.2.0", "token": "s3cret-tökén"}, "the handshake with a token"),
        req("request_get_info", "get_info", 2, {}, "GetInfoRequest (no fields)"),
        req(
            "request_create_session",
            "create_session",
            3,
            {
                "protocol_version": PROTOCOL_VERSION,
                "seed_image": bytes(range(12)),
                "seed_image_encoding": 1,
                "seed_image_width": 2,
                "seed_image_height": 2,
                "seed_depth": bytes(16),
                "seed_depth_encoding": 1,
                "width": 640,
                "height": 360,
                "fov_deg": F64(60.0),
                "stereo": False,
                "ipd_m": F64(0.064),
                "rgb_encoding": 2,
                "depth_encoding": 3,
                "jpeg_quality": 85,
                "include_mask": True,
                "seed": 42,
            },
            "CreateSessionRequest with every field (map16); a 2x2 raw seed",
        ),
        req(
            "request_create_session_minimal",
            "create_session",
            4,
            {"protocol_version": PROTOCOL_VERSION, "seed_image": b"\x89PNG\r\n\x1a\n", "width": 256, "height": 256,
             "fov_deg": 60},  # fmt: skip
            "only the required fields (the rest take proto defaults); fov_deg as an integer",
        ),
        req("request_step", "step", 5, relative, "Action: relative, negative numbers, integers in double fields"),
        req(
            "request_step_float32",
            "step",
            6,
            {**relative, "move_right_m": F32(-0.25), "move_forward_m": F32(0.5), "turn_yaw_deg": F32(-2.5), "turn_pitch_deg": F32(1.0)},
            "Action with float32 numbers, as engines with single-precision floats send them",
        ),
        req(
            "request_play_first",
            "play",
            7,
            {"session_id": session_id, "seq": 1, "turn_yaw_deg": F64(5.0)},
            "the first action of play stream 7",
        ),
        req(
            "request_play_pose",
            "play",
            7,
            {"seq": 2, "client_time_us": 1_700_000_000_016_667, "pose": [F64(x) for x in _pose(0.5, 1.6, -2.25)]},
            "a later action of stream 7: an absolute pose (array16 of float64), no session_id",
        ),
        req("request_play_end", "play_end", 7, {}, "half-closes play stream 7"),
        req("request_fork", "fork", 8, {"session_id": session_id}, "ForkRequest"),
        req("request_save_world", "save_world", 9, {"session_id": session_id}, "SaveWorldRequest"),
        req(
            "request_load_world",
            "load_world",
            10,
            {
                "protocol_version": PROTOCOL_VERSION,
                "world": bytes(i % 256 for i in range(300)),
                "rgb_encoding": 3,
                "depth_encoding": 2,
                "include_mask": False,
            },
            "LoadWorldRequest (bin16 world)",
        ),
        req("request_export_geometry", "export_geometry", 11, {"session_id": session_id}, "ExportGeometryRequest"),
        # 1.1.0: the world's scale, walk mode, reset and GLB export
        req(
            "request_create_session_scale_walk",
            "create_session",
            12,
            {
                "protocol_version": PROTOCOL_VERSION,
                "seed_image": b"\x89PNG\r\n\x1a\n",
                "width": 256,
                "height": 256,
                "fov_deg": F64(60.0),
                "scale_centre_distance_m": F64(2.5),
                "walk": True,
            },
            "CreateSessionRequest with a scale hint (a known distance at the image centre) and walk mode",
        ),
        req(
            "request_reset",
            "reset",
            13,
            {"session_id": session_id, "seq": 40, "client_time_us": 1_700_000_000_500_000},
            "ResetRequest: back to the start pose",
        ),
        req(
            "request_export_geometry_glb",
            "export_geometry",
            14,
            {"session_id": session_id, "format": 2, "collision_faces": 5000},
            "ExportGeometryRequest for glTF binary with a collision face budget",
        ),
        req("request_close_session", "close_session", 4294967295, {"session_id": session_id}, "CloseSessionRequest; the largest id"),
    ]


def _frame(seq: int, **fields: Any) -> pb.Frame:
    base = dict(
        seq=seq,
        client_time_us=1_700_000_000_000_000 + seq,
        index=seq + 1,
        pose=_pose(),
        width=2,
        height=2,
        fx_px=1.7320508075688774,
        fy_px=1.7320508075688774,
        cx_px=1.0,
        cy_px=1.0,
        rgb_encoding=pb.RGB_ENCODING_RAW,
        rgb=bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128]),
        depth_encoding=pb.DEPTH_ENCODING_FLOAT32,
        depth=b"".join(bytes.fromhex(h) for h in ("0000c03f", "00002040", "0000803f", "00007f7f")),  # 1.5 2.5 1.0 3.4e38 m
    )
    frame = pb.Frame(**{**base, **fields})
    frame.timings_ms.update({"server_total": 12.5, "server_step": 10.25, "server_wait": 0.0, "render": 6.0})
    return frame


def _session_info(session_id: str, camera_height_m: float | None = 1.5) -> pb.SessionInfo:
    """A SessionInfo; camera_height_m None leaves the optional field out (no ground in view)."""
    return pb.SessionInfo(
        session_id=session_id,
        width=2,
        height=2,
        fov_deg=60.0,
        pose=_pose(),
        steps=1,
        rgb_encoding=pb.RGB_ENCODING_RAW,
        depth_encoding=pb.DEPTH_ENCODING_FLOAT32,
        include_mask=True,
        median_depth_m=3.25,
        walk_speed_mps=0.65,
        turn_rate_dps=90.0,
        camera_height_m=camera_height_m,
        walk=True,
    )


def _minimal_glb() -> bytes:
    """A glTF binary as the daemon writes it (gwm_engine.world.mesh): a 2x2-pixel wall, one quad
    (two triangles) in meshes "world" (with vertex colours) and "collision"."""
    import numpy as np
    import torch

    from gwm_engine.geometry.camera import Intrinsics
    from gwm_engine.world.layers import ViewLayer
    from gwm_engine.world.mesh import to_glb

    rgb = torch.tensor([[[255, 0, 0], [0, 255, 0]], [[0, 0, 255], [255, 255, 255]]], dtype=torch.uint8)
    layer = ViewLayer(rgb, torch.full((2, 2), 2.0), np.eye(4), Intrinsics.from_fov(2, 2, 60.0), rank=0)
    return to_glb([layer], collision_faces=100).data


def reply_vectors() -> list[Vector]:
    session_id = "b3JiaXQtc2Vzc2lvbi0wMDAx"

    def rep(name: str, message_type: str, message_id: int, body: Any, description: str) -> Vector:
        data = link_messages.encode(message_type, message_id, body)
        return Vector(name, data, decode(data), "message", description, message_type=message_type, direction="daemon_to_client")

    info = pb.GetInfoResponse(
        model_name="classical",
        model_version="1.0.0",
        server_version="0.1.0",
        protocol_version=PROTOCOL_VERSION,
        supported_protocol_versions=["1.x"],
        min_side_px=16,
        max_side_px=2048,
        max_pixels=2073600,
        rgb_encodings=[1, 2, 3],
        depth_encodings=[1, 2, 3],
        backends=["torch-cpu"],
        max_sessions=16,
        open_sessions=1,
        idle_timeout_s=600.0,
        max_message_bytes=64 * 1024 * 1024,
        max_move_m=100.0,
        max_turn_deg=360.0,
        batch_wait_ms=2.0,
    )
    stereo = _frame(
        9,
        mask=bytes([255, 0, 255, 0]),
        right_pose=_pose(0.064),
        right_rgb=bytes(12),
        right_depth=bytes(16),
        right_mask=bytes([0, 0, 255, 255]),
    )
    # 1.5, 2.5 and 1.0 m, and 65535 (beyond 65.534 m), in uint16 millimetres
    mm = _frame(8, depth=bytes.fromhex("dc05c409e803ffff"), depth_encoding=pb.DEPTH_ENCODING_UINT16_MM)
    hello = {
        "protocol_version": PROTOCOL_VERSION,
        "supported_protocol_versions": ["1.x"],
        "server_version": "0.1.0",
        "max_message_bytes": 64 * 1024 * 1024 + 64 * 1024,
    }
    return [
        rep("reply_hello", "hello", 1, hello, "the handshake's answer"),
        rep("reply_get_info", "get_info", 2, info, "GetInfoResponse (map16, arrays of enums and strings)"),
        rep(
            "reply_create_session",
            "create_session",
            3,
            pb.CreateSessionResponse(session=_session_info(session_id), first_frame=_frame(0, mask=bytes([255, 255, 0, 255]))),
            "CreateSessionResponse: nested SessionInfo and Frame maps",
        ),
        rep("reply_step", "step", 5, mm, "Frame: uint16 millimetre depth, no mask (bin of 0 bytes), timings map"),
        rep("reply_play_stereo", "play", 7, stereo, "a play stream's Frame: stereo, with masks"),
        rep("reply_play_end", "play_end", 7, {}, "play stream 7 finished"),
        rep(
            "reply_fork",
            "fork",
            8,
            pb.ForkResponse(session=_session_info("Zm9ya2VkLXNlc3Npb24tMDAy", camera_height_m=None)),
            "ForkResponse; its SessionInfo has no camera_height_m (an optional field, absent: the seed shows no ground)",
        ),
        rep(
            "reply_save_world",
            "save_world",
            9,
            pb.SaveWorldResponse(world=bytes(i * 13 % 256 for i in range(70000))),
            "SaveWorldResponse: a bin32 field (over 64 KiB)",
        ),
        rep("reply_load_world", "load_world", 10, pb.LoadWorldResponse(session=_session_info(session_id)), "LoadWorldResponse"),
        rep(
            "reply_export_geometry",
            "export_geometry",
            11,
            pb.ExportGeometryResponse(
                ply=b"ply\nformat binary_little_endian 1.0\nelement vertex 0\nend_header\n",
                point_count=0,
                format=pb.GEOMETRY_FORMAT_PLY,
            ),
            "ExportGeometryResponse",
        ),
        rep("reply_close_session", "close_session", 4294967295, pb.CloseSessionResponse(), "CloseSessionResponse (no fields)"),
        rep("reply_reset", "reset", 13, _frame(40, pose=_pose(0.0, 0.0, 0.0)), "reset's Frame: the start pose"),
        rep(
            "reply_export_geometry_glb",
            "export_geometry",
            14,
            pb.ExportGeometryResponse(
                glb=_minimal_glb(), point_count=4, format=pb.GEOMETRY_FORMAT_GLB, face_count=2, collision_face_count=2
            ),
            "ExportGeometryResponse with a glTF binary: meshes world (a quad, COLOR_0) and collision",
        ),
        rep(
            "reply_error_invalid_argument",
            "error",
            5,
            {"code": 3, "code_name": "INVALID_ARGUMENT", "message": "action seq 7: move components must be finite"},
            "an error answering request 5",
        ),
        rep(
            "reply_error_not_found_non_ascii",
            "error",
            8,
            {"code": 5, "code_name": "NOT_FOUND", "message": "session 'hé—llo' not found (unknown, closed or idle-evicted)"},
            "an error whose text is not ASCII",
        ),
        rep(
            "reply_error_unreadable",
            "error",
            0,
            {"code": 3, "code_name": "INVALID_ARGUMENT",
             "message": "not a msgpack message: it ends in the middle of a value (cut short?)"},
            "an error about a message whose id could not be read: id 0",
        ),
    ]


def chunk_vectors() -> list[Vector]:
    """Files in chunks (ENGINE_LINK.md, "Files in chunks"): both directions."""
    session_id = "b3JiaXQtc2Vzc2lvbi0wMDAx"
    world = bytes(i * 29 % 256 for i in range(70000))  # a bin32 piece, as real chunks are

    def req(name: str, message_type: str, message_id: int, fields: dict[str, Any], description: str) -> Vector:
        value = {"type": message_type, "id": message_id, **fields}
        data = encode(value)
        link_messages.decode(data)
        return Vector(name, data, value, "message", description, message_type=message_type, direction="client_to_daemon")

    def rep(name: str, message_type: str, message_id: int, body: Any, description: str) -> Vector:
        data = link_messages.encode(message_type, message_id, body)
        return Vector(name, data, decode(data), "message", description, message_type=message_type, direction="daemon_to_client")

    return [
        req(
            "request_save_world_chunks", "save_world_chunks", 12, {"session_id": session_id}, "SaveWorldRequest, answered in chunks"
        ),
        req(
            "request_load_world_chunks_first",
            "load_world_chunks",
            13,
            {
                "protocol_version": PROTOCOL_VERSION,
                "data": world[:40000],
                "offset": 0,
                "total_bytes": len(world),
                "rgb_encoding": 2,
                "depth_encoding": 2,
                "jpeg_quality": 80,
                "include_mask": True,
            },
            "the first LoadWorldChunk of upload 13: the LoadWorldRequest fields and the file's first 40000 bytes",
        ),
        req(
            "request_load_world_chunks_last",
            "load_world_chunks",
            13,
            {"data": world[40000:], "offset": 40000, "total_bytes": len(world)},
            "the last LoadWorldChunk of upload 13: offset + its 30000 bytes = total_bytes",
        ),
        req(
            "request_export_geometry_chunks",
            "export_geometry_chunks",
            14,
            {"session_id": session_id},
            "ExportGeometryRequest, in chunks",
        ),
        rep(
            "reply_save_world_chunks_first",
            "save_world_chunks",
            12,
            pb.FileChunk(data=world[:65536], offset=0, total_bytes=len(world)),
            "a FileChunk of a world file: its first 65536 bytes (bin32), point_count 0",
        ),
        rep(
            "reply_save_world_chunks_last",
            "save_world_chunks",
            12,
            pb.FileChunk(data=world[65536:], offset=65536, total_bytes=len(world)),
            "the last FileChunk: offset + its length = total_bytes",
        ),
        rep(
            "reply_load_world_chunks",
            "load_world_chunks",
            13,
            pb.LoadWorldResponse(session=_session_info(session_id)),
            "LoadWorldResponse",
        ),
        rep(
            "reply_export_geometry_chunks_empty",
            "export_geometry_chunks",
            14,
            pb.FileChunk(data=b"", offset=0, total_bytes=0, point_count=0),
            "an empty file is one chunk with no data",
        ),
    ]


def all_vectors() -> list[Vector]:
    return value_vectors() + request_vectors() + reply_vectors() + chunk_vectors()


def index(vectors: list[Vector]) -> dict[str, Any]:
    return {
        "format": "gwm-engine-link-vectors",
        "version": 1,
        "spec": "proto/ENGINE_LINK.md",
        "notation": 'numbers are {"$int": decimal string}, {"$f32": n} or {"$f64": n | "nan" | "inf" | "-inf"}; '
        'bin is {"$bin": base64}; strings, booleans, arrays and maps (keys in wire order) as in JSON',
        "vectors": [v.entry() for v in vectors],
    }


def index_text(vectors: list[Vector]) -> str:
    return json.dumps(index(vectors), indent=1, ensure_ascii=False) + "\n"


def main() -> None:
    vectors = all_vectors()
    for old in VECTORS.glob("*.msgpack"):
        old.unlink()
    for vector in vectors:
        (VECTORS / f"{vector.name}.msgpack").write_bytes(vector.data)
    (VECTORS / INDEX).write_text(index_text(vectors), encoding="utf-8")
    print(f"wrote {len(vectors)} vectors to {VECTORS}")


if __name__ == "__main__":
    main()
