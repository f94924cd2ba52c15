"""World files (msgpack) and PLY export.

A world file restores a session exactly: config, pose, step counter and every cached point
with its colour, surfel radius and last-seen step, as little-endian binary blobs.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from gwm_engine.errors import InvalidInput

FORMAT = "gwm-world"
VERSION = 1
_POINT_FIELDS = {"xyz": ("<f4", 3), "rgb": ("u1", 3), "radius": ("<f4", 1), "last_seen": ("<i4", 1)}


def pack_world(config: dict, pose: np.ndarray, steps: int, capacity: int, model: str, points: dict[str, np.ndarray]) -> bytes:
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "config": config,
        "pose": np.asarray(pose, dtype="<f8").tobytes(),
        "steps": int(steps),
        "capacity": int(capacity),
        "model": model,
        "n": int(points["xyz"].shape[0]),
    }
    for name, (dtype, _) in _POINT_FIELDS.items():
        doc[name] = np.ascontiguousarray(points[name], dtype=dtype).tobytes()
    return msgpack.packb(doc, use_bin_type=True)


def unpack_world(data: bytes) -> dict[str, Any]:
    """Parse and check a world file; raises InvalidInput naming what is wrong."""
    try:
        doc = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as e:  # msgpack raises several unrelated types for corrupt input
        raise InvalidInput(f"not a world file: {type(e).__name__}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput("not a world file (missing format marker)")
    if doc.get("version") != VERSION:
        raise InvalidInput(f"world file version {doc.get('version')!r} is not supported (expected {VERSION})")
    try:
        n, capacity = int(doc["n"]), int(doc["capacity"])
        if not (0 <= n <= capacity):
            raise InvalidInput(f"world file holds {n} points for a capacity of {capacity}")
        out = {
            "config": dict(doc["config"]),
            "pose": np.frombuffer(doc["pose"], dtype="<f8").reshape(4, 4).copy(),
            "steps": int(doc["steps"]),
            "capacity": capacity,
            "model": str(doc["model"]),
        }
        for name, (dtype, width) in _POINT_FIELDS.items():
            arr = np.frombuffer(doc[name], dtype=dtype)
            if arr.size != n * width:
                raise InvalidInput(f"world file field {name} has {arr.size} values, expected {n * width}")
            out[name] = (arr.reshape(n, width) if width > 1 else arr).copy()
    except InvalidInput:
        raise
    except (KeyError, TypeError, ValueError) as e:
        raise InvalidInput(f"world file is malformed: {type(e).__name__}: {e}") from None
    if not np.all(np.isfinite(out["xyz"])) or not np.all(np.isfinite(out["pose"])):
        raise InvalidInput("world file holds non-finite coordinates")
    return out


def to_ply(xyz: np.ndarray, rgb: np.ndarray) -> bytes:
    """Binary little-endian PLY: vertex x, y, z float32 and red, green, blue uchar."""
    n = xyz.shape[0]
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment gwm-engine world cache\n"
        f"element vertex {n}\nproperty float x\nproperty float y\nproperty float z\n"
        "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n"
    ).encode()
    rec = np.empty(n, dtype=[("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("r", "u1"), ("g", "u1"), ("b", "u1")])
    rec["x"], rec["y"], rec["z"] = xyz[:, 0], xyz[:, 1], xyz[:, 2]
    rec["r"], rec["g"], rec["b"] = rgb[:, 0], rgb[:, 1], rgb[:, 2]
    return header + rec.tobytes()
