"""The msgpack subset of the engine link, as a typed reference codec (proto/ENGINE_LINK.md).

This is what a plugin codec (C#, GDScript, JavaScript) implements, written out in plain
Python with no msgpack library: the generator writes the golden vectors with `encode`, and
the tests check the daemon's msgpack library and this `decode` agree on every vector.

Typed values keep what plain Python values lose: whether a float travels as float32 or
float64, and (for deliberately non-canonical vectors) which integer width was used.

    int, Int     integer; `Int(v, "uint64")` forces a width, a plain int takes the smallest
    F32, F64     float32 / float64 (a plain float is F64)
    str          UTF-8 string, smallest header
    bytes        bin, smallest header
    bool, list, dict (string keys, in wire order)

The JSON notation of the vectors' expected values avoids bare JSON numbers, which JSON parsers
(Godot's among them) read back as doubles: {"$int": "-5"}, {"$f64": 0.1 | "nan" | "inf" |
"-inf"}, {"$f32": 1.5}, {"$bin": "<base64>"}; strings, booleans, arrays and objects as is.
"""

from __future__ import annotations

import base64
import math
import struct
from dataclasses import dataclass
from typing import Any

# Integer formats: name -> (first byte, struct format, min, max)
INT_FORMATS = {
    "uint8": (0xCC, ">B", 0, 2**8 - 1),
    "uint16": (0xCD, ">H", 0, 2**16 - 1),
    "uint32": (0xCE, ">I", 0, 2**32 - 1),
    "uint64": (0xCF, ">Q", 0, 2**64 - 1),
    "int8": (0xD0, ">b", -(2**7), 2**7 - 1),
    "int16": (0xD1, ">h", -(2**15), 2**15 - 1),
    "int32": (0xD2, ">i", -(2**31), 2**31 - 1),
    "int64": (0xD3, ">q", -(2**63), 2**63 - 1),
}


@dataclass(frozen=True)
class Int:
    value: int
    format: str  # a key of INT_FORMATS: this exact width, even if a smaller one fits


@dataclass(frozen=True)
class F32:
    value: float


@dataclass(frozen=True)
class F64:
    value: float


class SubsetError(ValueError):
    """Bytes or values outside the link's msgpack subset."""


def encode(value: Any) -> bytes:
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(value: Any, out: bytearray) -> None:
    if isinstance(value, bool):
        out.append(0xC3 if value else 0xC2)
    elif isinstance(value, Int):
        first, fmt, low, high = INT_FORMATS[value.format]
        if not low <= value.value <= high:
            raise SubsetError(f"{value.value} does not fit {value.format}")
        out.append(first)
        out += struct.pack(fmt, value.value)
    elif isinstance(value, int):
        _encode_int(value, out)
    elif isinstance(value, F32):
        out.append(0xCA)
        out += struct.pack(">f", value.value)
    elif isinstance(value, (F64, float)):
        out.append(0xCB)
        out += struct.pack(">d", value.value if isinstance(value, F64) else value)
    elif isinstance(value, str):
        data = value.encode("utf-8")
        _header(len(data), out, fix=(0xA0, 31), sized=((0xD9, ">B"), (0xDA, ">H"), (0xDB, ">I")))
        out += data
    elif isinstance(value, (bytes, bytearray)):
        _header(len(value), out, fix=None, sized=((0xC4, ">B"), (0xC5, ">H"), (0xC6, ">I")))
        out += value
    elif isinstance(value, list):
        _header(len(value), out, fix=(0x90, 15), sized=((0xDC, ">H"), (0xDD, ">I")))
        for item in value:
            _encode(item, out)
    elif isinstance(value, dict):
        _header(len(value), out, fix=(0x80, 15), sized=((0xDE, ">H"), (0xDF, ">I")))
        for key, item in value.items():
            if not isinstance(key, str):
                raise SubsetError(f"map keys must be strings, got {key!r}")
            _encode(key, out)
            _encode(item, out)
    else:
        raise SubsetError(f"{type(value).__name__} is not in the link's msgpack subset")


def _encode_int(value: int, out: bytearray) -> None:
    """The smallest form, as every msgpack library writes it (and the daemon does)."""
    if 0 <= value <= 0x7F:
        out.append(value)
    elif -32 <= value < 0:
        out.append(value & 0xFF)
    elif value >= 0:
        fmt = next(f for f in ("uint8", "uint16", "uint32", "uint64") if value <= INT_FORMATS[f][3])
        _encode(Int(value, fmt), out)
    else:
        fmt = next(f for f in ("int8", "int16", "int32", "int64") if value >= INT_FORMATS[f][2])
        _encode(Int(value, fmt), out)


def _header(length: int, out: bytearray, fix: tuple[int, int] | None, sized: tuple[tuple[int, str], ...]) -> None:
    if fix is not None and length <= fix[1]:
        out.append(fix[0] | length)
        return
    for first, fmt in sized:
        if length < 2 ** (8 * struct.calcsize(fmt)):
            out.append(first)
            out += struct.pack(fmt, length)
            return
    raise SubsetError(f"length {length} is too long for msgpack")


# Link messages nest three deep at most (a map in a map holding arrays); a codec refusing deep
# nesting keeps hostile input from exhausting its stack.
MAX_DEPTH = 16


def decode(data: bytes) -> Any:
    """Typed value of one msgpack object; SubsetError for anything outside the subset or trailing bytes."""
    value, end = _decode(memoryview(data), 0, 0)
    if end != len(data):
        raise SubsetError(f"{len(data) - end} trailing bytes")
    return value


def _take(data: memoryview, pos: int, n: int) -> tuple[bytes, int]:
    if pos + n > len(data):
        raise SubsetError(f"truncated: need {n} bytes at offset {pos}, have {len(data) - pos}")
    return bytes(data[pos : pos + n]), pos + n


def _decode(data: memoryview, pos: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise SubsetError(f"nested deeper than {MAX_DEPTH}")
    first, pos = _take(data, pos, 1)
    b = first[0]
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0xA0 <= b <= 0xBF:
        return _text(data, pos, b & 0x1F)
    if 0x90 <= b <= 0x9F:
        return _array(data, pos, b & 0x0F, depth)
    if 0x80 <= b <= 0x8F:
        return _map(data, pos, b & 0x0F, depth)
    if b in (0xC2, 0xC3):
        return b == 0xC3, pos
    for code, fmt, _, _ in INT_FORMATS.values():
        if b == code:
            raw, pos = _take(data, pos, struct.calcsize(fmt))
            return struct.unpack(fmt, raw)[0], pos
    if b == 0xCA:
        raw, pos = _take(data, pos, 4)
        return F32(struct.unpack(">f", raw)[0]), pos
    if b == 0xCB:
        raw, pos = _take(data, pos, 8)
        return F64(struct.unpack(">d", raw)[0]), pos
    sized = {0xD9: ("str", ">B"), 0xDA: ("str", ">H"), 0xDB: ("str", ">I"), 0xC4: ("bin", ">B"), 0xC5: ("bin", ">H"),
             0xC6: ("bin", ">I"), 0xDC: ("array", ">H"), 0xDD: ("array", ">I"), 0xDE: ("map", ">H"), 0xDF: ("map", ">I")}  # fmt: skip
    if b in sized:
        kind, fmt = sized[b]
        raw, pos = _take(data, pos, struct.calcsize(fmt))
        length = struct.unpack(fmt, raw)[0]
        if kind == "str":
            return _text(data, pos, length)
        if kind == "bin":
            return _take(data, pos, length)
        return (_array if kind == "array" else _map)(data, pos, length, depth)
    raise SubsetError(f"byte 0x{b:02x} at offset {pos - 1} is outside the link's msgpack subset (nil, ext, reserved)")


def _text(data: memoryview, pos: int, length: int) -> tuple[str, int]:
    raw, pos = _take(data, pos, length)
    try:
        return raw.decode("utf-8"), pos
    except UnicodeDecodeError as e:
        raise SubsetError(f"a string is not UTF-8: {e}") from None


def _array(data: memoryview, pos: int, length: int, depth: int) -> tuple[list, int]:
    items = []
    for _ in range(length):  # a lying length runs out of bytes, never allocates ahead
        item, pos = _decode(data, pos, depth + 1)
        items.append(item)
    return items, pos


def _map(data: memoryview, pos: int, length: int, depth: int) -> tuple[dict, int]:
    result = {}
    for _ in range(length):
        key, pos = _decode(data, pos, depth + 1)
        if not isinstance(key, str):
            raise SubsetError(f"map keys must be strings, got {key!r}")
        result[key], pos = _decode(data, pos, depth + 1)
    return result, pos


def to_json(value: Any) -> Any:
    """A typed value in the vectors' JSON notation."""
    if isinstance(value, bool) or isinstance(value, str):
        return value
    if isinstance(value, Int):
        return {"$int": str(value.value)}
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, F32):
        return {"$f32": value.value}
    if isinstance(value, (F64, float)):
        v = value.value if isinstance(value, F64) else value
        return {"$f64": v if math.isfinite(v) else ("nan" if math.isnan(v) else ("inf" if v > 0 else "-inf"))}
    if isinstance(value, (bytes, bytearray)):
        return {"$bin": base64.b64encode(value).decode("ascii")}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    raise SubsetError(f"{type(value).__name__} is not in the link's msgpack subset")


def from_json(value: Any) -> Any:
    """The vectors' JSON notation back to typed values (ints as plain int: canonical width)."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if isinstance(value, dict):
        if len(value) == 1:
            ((tag, v),) = value.items()
            if tag == "$int":
                return int(v)
            if tag == "$f32":
                return F32(float(v))
            if tag == "$f64":
                return F64(float(v))
            if tag == "$bin":
                return base64.b64decode(v)
        return {k: from_json(v) for k, v in value.items()}
    raise SubsetError(f"bare JSON {type(value).__name__} {value!r}: numbers are written as $int/$f32/$f64")


def to_plain(value: Any) -> Any:
    """A typed value as msgpack-python decodes it (floats of either width become float)."""
    if isinstance(value, (Int, F32, F64)):
        return value.value
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value


def same(a: Any, b: Any) -> bool:
    """Typed equality where NaN equals NaN and F32/F64/Int are compared by width and value."""
    if isinstance(a, (F32, F64)) and type(a) is type(b):
        return (math.isnan(a.value) and math.isnan(b.value)) or a.value == b.value
    if isinstance(a, Int):
        a = a.value
    if isinstance(b, Int):
        b = b.value
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b
