"""World files (msgpack) and PLY export.

A world file restores a session exactly: config, pose, step counter, every layer (a whole
RGB-D view with its camera) and every surfel with its colour, radius, the step that made it
and the step it was last seen, as little-endian binary blobs. Version 1 files (no layers, no
birth steps) still load.
"""

from __future__ import annotations

from typing import Any

import msgpack
import numpy as np

from gwm_engine.errors import InvalidInput, msgpack_problem

FORMAT = "gwm-world"
VERSION = 2
_POINT_FIELDS = {"xyz": ("<f4", 3), "rgb": ("u1", 3), "radius": ("<f4", 1), "last_seen": ("<i4", 1), "born": ("<i4", 1)}
# Steps are stored as int32 in the cache; leave room to keep stepping.
MAX_STEPS = 2**30
_INTRINSICS = ("fx", "fy", "cx", "cy")


def pack_world(config: dict, pose: np.ndarray, steps: int, capacity: int, model: str, points: dict[str, np.ndarray],
               layers: list[dict[str, Any]] = (), packed: int | None = None) -> bytes:
    """`layers`: dicts of rgb (H, W, 3) uint8, depth (H, W) float32, pose (4, 4), fx, fy, cx, cy, rank;
    `packed`: how many of the points come first in Z-order runs (WorldCache.packed; None: all)."""
    doc: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "config": config,
        "pose": np.asarray(pose, dtype="<f8").tobytes(),
        "steps": int(steps),
        "capacity": int(capacity),
        "model": model,
        "n": int(points["xyz"].shape[0]),
        "packed": int(points["xyz"].shape[0] if packed is None else packed),
        "layers": [
            {
                "width": int(x["rgb"].shape[1]), "height": int(x["rgb"].shape[0]), "rank": int(x["rank"]),
                **{k: float(x[k]) for k in _INTRINSICS},
                "pose": np.asarray(x["pose"], dtype="<f8").tobytes(),
                "rgb": np.ascontiguousarray(x["rgb"], dtype="u1").tobytes(),
                "depth": np.ascontiguousarray(x["depth"], dtype="<f4").tobytes(),
            }
            for x in layers
        ],
    }
    for name, (dtype, _) in _POINT_FIELDS.items():
        doc[name] = np.ascontiguousarray(points[name], dtype=dtype).tobytes()
    return msgpack.packb(doc, use_bin_type=True)


def unpack_world(data: bytes) -> dict[str, Any]:
    """Parse and check a world file; raises InvalidInput naming what is wrong."""
    try:
        doc = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except Exception as e:  # noqa: BLE001 - msgpack raises several unrelated types for corrupt input
        raise InvalidInput(f"not a world file: {msgpack_problem(e)}") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise InvalidInput("not a world file (missing format marker)")
    version = doc.get("version")
    if version not in (1, VERSION):
        raise InvalidInput(f"world file version {version!r} is not supported (expected 1 or {VERSION})")
    try:
        n, steps = _integer(doc, "n", 0, 2**40), _integer(doc, "steps", 0, MAX_STEPS)
        if not isinstance(doc["config"], dict):
            raise InvalidInput("world file field config must be a map")
        if not isinstance(doc["model"], str):
            raise InvalidInput(f"world file field model must be a string, got {type(doc['model']).__name__}")
        out = {
            "config": dict(doc["config"]),
            "pose": _blob(doc, "pose", "<f8", 16).reshape(4, 4),
            "steps": steps,
            "n": n,
            "packed": _integer(doc, "packed", 0, n) if "packed" in doc else n,  # files before it: all packed
            "model": doc["model"],
        }
        for name, (dtype, width) in _POINT_FIELDS.items():
            if name == "born" and version == 1:  # made before birth steps: the seed 0, the rest when last seen
                out[name] = np.where(out["last_seen"] == np.iinfo(np.int32).max, 0, out["last_seen"]).astype(np.int32)
                continue
            arr = _blob(doc, name, dtype, n * width)
            out[name] = arr.reshape(n, width) if width > 1 else arr
        out["layers"] = [_layer(x) for x in doc.get("layers", [])] if version > 1 else []
    except InvalidInput:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InvalidInput(f"world file is malformed: field {e} is missing or has the wrong type") from None
    if not np.all(np.isfinite(out["xyz"])) or not np.all(np.isfinite(out["pose"])):
        raise InvalidInput("world file holds non-finite coordinates")
    return out


def _integer(doc: dict, key: str, lo: int, hi: int) -> int:
    value = doc[key]
    if not isinstance(value, int) or isinstance(value, bool) or not (lo <= value <= hi):
        raise InvalidInput(f"world file field {key} must be a whole number in {lo}..{hi}, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    """A value for an error message: short, and never a 5,000-digit number."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**12:
        return f"a {value.bit_length()}-bit integer"
    text = repr(value) if isinstance(value, (int, float, str, bool)) or value is None else f"a {type(value).__name__}"
    return text if len(text) <= 40 else text[:37] + "..."


def _blob(doc: dict, key: str, dtype: str, count: int) -> np.ndarray:
    data = doc[key]
    if not isinstance(data, bytes):
        raise InvalidInput(f"world file field {key} must be binary, got {type(data).__name__}")
    arr = np.frombuffer(data, dtype=dtype)
    if arr.size != count:
        raise InvalidInput(f"world file field {key} has {arr.size} values, expected {count}")
    return arr.copy()


def _layer(x: Any) -> dict[str, Any]:
    if not isinstance(x, dict):
        raise InvalidInput("world file layer must be a map")
    w, h = _integer(x, "width", 1, 8192), _integer(x, "height", 1, 8192)
    out: dict[str, Any] = {"rank": _integer(x, "rank", 0, MAX_STEPS)}
    for k in _INTRINSICS:
        if not isinstance(x[k], (int, float)) or isinstance(x[k], bool) or not np.isfinite(x[k]) or (k[0] == "f" and x[k] <= 0):
            raise InvalidInput(f"world file layer field {k} must be a finite positive number, got {_show(x[k])}")
        out[k] = float(x[k])
    out["pose"] = _blob(x, "pose", "<f8", 16).reshape(4, 4)
    out["rgb"] = _blob(x, "rgb", "u1", h * w * 3).reshape(h, w, 3)
    depth = _blob(x, "depth", "<f4", h * w).reshape(h, w)
    if not np.all(np.isfinite(depth)) or np.any(depth < 0) or not np.all(np.isfinite(out["pose"])):
        raise InvalidInput("world file layer holds non-finite or negative depth")
    out["depth"] = depth
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
