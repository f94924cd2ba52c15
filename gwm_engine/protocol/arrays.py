"""Array <-> bytes conversions of the gwm.v1 wire format, shared by the server and the SDK.

Both ends import this module so they cannot disagree about byte order, units or layouts.
Everything here is numpy only; PNG/JPEG coding lives with the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol._proto import world_pb2 as pb

FLOAT16_MAX = 65504.0
UINT16_MM_MAX = 65535


def pose_to_wire(pose: np.ndarray) -> list[float]:
    """4x4 world-from-camera -> 16 doubles, row-major."""
    return np.asarray(pose, dtype=np.float64).reshape(16).tolist()


def pose_from_wire(values: Sequence[float], name: str = "pose") -> np.ndarray:
    """16 doubles, row-major -> 4x4 float64 (shape checked; rigidity is the caller's check)."""
    if len(values) != 16:
        raise InvalidInput(f"{name} must have 16 values (4x4 row-major), got {len(values)}")
    return np.array(values, dtype=np.float64).reshape(4, 4)


def raw_rgb_from_bytes(data: bytes, width: int, height: int) -> np.ndarray:
    """RGB8 bytes -> (height, width, 3) uint8, checking the byte count."""
    expected = width * height * 3
    if width <= 0 or height <= 0 or len(data) != expected:
        raise InvalidInput(f"raw RGB8 of {width}x{height} needs {expected} bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width, 3)


def depth_to_bytes(depth: np.ndarray, encoding: int) -> bytes:
    """(H, W) metres -> bytes in `encoding` (a pb.DepthEncoding value other than UNSPECIFIED)."""
    if encoding == pb.DEPTH_ENCODING_FLOAT32:
        return np.asarray(depth, dtype="<f4").tobytes()
    if encoding == pb.DEPTH_ENCODING_FLOAT16:
        # Clip so far depths saturate at the largest half-float instead of becoming inf; clipped
        # straight into the half-float array (one pass, no float32 intermediate).
        half = np.empty(np.shape(depth), dtype="<f2")
        return np.clip(depth, -FLOAT16_MAX, FLOAT16_MAX, out=half, casting="same_kind").tobytes()
    if encoding == pb.DEPTH_ENCODING_UINT16_MM:
        mm = np.nan_to_num(np.asarray(depth, dtype=np.float64) * 1000.0, nan=0.0, posinf=UINT16_MM_MAX, neginf=0.0)
        return np.clip(np.rint(mm), 0, UINT16_MM_MAX).astype("<u2").tobytes()
    raise InvalidInput(f"unknown depth encoding {encoding}")


def depth_from_bytes(data: bytes, encoding: int, width: int, height: int) -> np.ndarray:
    """Bytes in `encoding` (UNSPECIFIED = FLOAT32) -> (height, width) float32 metres."""
    dtypes = {
        pb.DEPTH_ENCODING_UNSPECIFIED: "<f4",
        pb.DEPTH_ENCODING_FLOAT32: "<f4",
        pb.DEPTH_ENCODING_FLOAT16: "<f2",
        pb.DEPTH_ENCODING_UINT16_MM: "<u2",
    }
    if encoding not in dtypes:
        raise InvalidInput(f"unknown depth encoding {encoding}")
    dtype = np.dtype(dtypes[encoding])
    expected = width * height * dtype.itemsize
    if width <= 0 or height <= 0 or len(data) != expected:
        raise InvalidInput(
            f"depth of {width}x{height} in {pb.DepthEncoding.Name(encoding)} needs {expected} bytes, got {len(data)}"
        )
    values = np.frombuffer(data, dtype=dtype).reshape(height, width)
    if encoding == pb.DEPTH_ENCODING_UINT16_MM:
        return values.astype(np.float32) / np.float32(1000.0)
    return values.astype(np.float32)


def mask_to_bytes(mask: np.ndarray) -> bytes:
    """(H, W) bool -> one byte per pixel, 255 = seen in the world cache, 0 = generated."""
    # A bool array read as uint8 is 0/1 without a copy: one multiply makes the bytes' array.
    return np.multiply(np.asarray(mask, dtype=bool).view(np.uint8), np.uint8(255)).tobytes()


def mask_from_bytes(data: bytes, width: int, height: int) -> np.ndarray:
    """One byte per pixel -> (height, width) bool (nonzero = seen)."""
    if len(data) != width * height:
        raise InvalidInput(f"mask of {width}x{height} needs {width * height} bytes, got {len(data)}")
    return np.frombuffer(data, dtype=np.uint8).reshape(height, width) != 0
