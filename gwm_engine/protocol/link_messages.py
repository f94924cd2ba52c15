"""Engine-link messages: msgpack maps that mirror the gwm.v1 messages field for field.

Every link message is one msgpack map: `type` (which message), `id` (chosen by the client,
echoed in the reply) and the fields of a gwm.v1 message named as in world.proto. The field
lists are read from the proto descriptors, so the link cannot drift from the .proto; only the
link's own messages (hello, play_end, error) are declared here. proto/ENGINE_LINK.md is the
written spec; this module is its executable form, shared by the daemon and the Python client.

Decoding is strict (unknown fields, wrong msgpack types and out-of-range integers are errors)
so a typo in a plugin fails loudly instead of being silently ignored. Encoding always writes
every field, so a client codec never needs to know the proto defaults, except a proto3
`optional` field that is not set: it is left out, which is how the link says "absent".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import msgpack
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

from gwm_engine.errors import msgpack_problem
from gwm_engine.protocol._proto import world_pb2 as pb

MAX_ID = 2**32 - 1  # ids are uint32; 0 is kept for errors about messages whose id was unreadable
UNREADABLE_ID = 0
# Headroom over the gRPC message limit for what the link adds: field names as strings, type
# and id. A message that fits the gRPC limit always fits the link's.
FRAMING_BYTES = 64 * 1024

_UINT_MAX = {"uint32": 2**32 - 1, "uint64": 2**64 - 1}
_INT32 = (-(2**31), 2**31 - 1)


class LinkError(Exception):
    """A message the link refuses: goes back as an `error` message with this code and id."""

    def __init__(self, code: grpc.StatusCode, message: str, id: int = UNREADABLE_ID):
        super().__init__(message)
        self.code = code
        self.id = id


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # string, bytes, bool, uint32, uint64, double, enum, message, or timings (map<string, double>)
    repeated: bool = False
    message: Schema | None = None  # for kind "message"
    optional: bool = False  # a proto3 `optional` scalar: written only when set


@dataclass(frozen=True)
class Schema:
    name: str  # the proto message's name, or the link message's own name
    fields: tuple[Field, ...]
    proto: type[Message] | None = None  # decoded into this class; None: decoded into a dict

    def field_names(self) -> str:
        return ", ".join(f.name for f in self.fields) or "(none)"


_KINDS = {
    FieldDescriptor.TYPE_STRING: "string",
    FieldDescriptor.TYPE_BYTES: "bytes",
    FieldDescriptor.TYPE_BOOL: "bool",
    FieldDescriptor.TYPE_UINT32: "uint32",
    FieldDescriptor.TYPE_UINT64: "uint64",
    FieldDescriptor.TYPE_DOUBLE: "double",
    FieldDescriptor.TYPE_ENUM: "enum",
}


def _from_proto(descriptor: Descriptor) -> Schema:
    fields = []
    for f in sorted(descriptor.fields, key=lambda f: f.number):
        if f.type == FieldDescriptor.TYPE_MESSAGE:
            if f.message_type.GetOptions().map_entry:  # Frame.timings_ms, the one map in gwm.v1
                fields.append(Field(f.name, "timings"))
            else:
                fields.append(Field(f.name, "message", message=_from_proto(f.message_type)))
        elif f.type in _KINDS:
            fields.append(Field(f.name, _KINDS[f.type], repeated=f.is_repeated, optional=f.has_presence))
        else:  # a new scalar type in world.proto needs a decision here and in ENGINE_LINK.md
            raise TypeError(f"{descriptor.name}.{f.name}: proto type {f.type} has no engine-link mapping")
    return Schema(descriptor.name, tuple(fields), getattr(pb, descriptor.name))


def schema_of(message: type[Message]) -> Schema:
    return _from_proto(message.DESCRIPTOR)


HELLO_REQUEST = Schema("Hello", (Field("protocol_version", "string"), Field("token", "string")))
HELLO_REPLY = Schema(
    "HelloReply",
    (
        Field("protocol_version", "string"),
        Field("supported_protocol_versions", "string", repeated=True),
        Field("server_version", "string"),
        Field("max_message_bytes", "uint64"),
    ),
)
PLAY_END = Schema("PlayEnd", ())
ERROR = Schema("Error", (Field("code", "uint32"), Field("code_name", "string"), Field("message", "string")))

_FRAME = schema_of(pb.Frame)

# Client -> daemon: the message types and the body each carries.
REQUESTS: dict[str, Schema] = {
    "hello": HELLO_REQUEST,
    "get_info": schema_of(pb.GetInfoRequest),
    "create_session": schema_of(pb.CreateSessionRequest),
    "step": schema_of(pb.Action),
    "play": schema_of(pb.Action),
    "play_end": PLAY_END,
    "fork": schema_of(pb.ForkRequest),
    "save_world": schema_of(pb.SaveWorldRequest),
    "load_world": schema_of(pb.LoadWorldRequest),
    "export_geometry": schema_of(pb.ExportGeometryRequest),
    "close_session": schema_of(pb.CloseSessionRequest),
    "reset": schema_of(pb.ResetRequest),
    # Files in chunks (world.proto's *Chunks calls): load_world_chunks is sent once per chunk,
    # all with one id; the other two are answered with one reply per chunk.
    "save_world_chunks": schema_of(pb.SaveWorldRequest),
    "load_world_chunks": schema_of(pb.LoadWorldChunk),
    "export_geometry_chunks": schema_of(pb.ExportGeometryRequest),
}

# Daemon -> client: a reply has the type and id of the request it answers; `error` answers any.
REPLIES: dict[str, Schema] = {
    "hello": HELLO_REPLY,
    "get_info": schema_of(pb.GetInfoResponse),
    "create_session": schema_of(pb.CreateSessionResponse),
    "step": _FRAME,
    "play": _FRAME,
    "play_end": PLAY_END,
    "fork": schema_of(pb.ForkResponse),
    "save_world": schema_of(pb.SaveWorldResponse),
    "load_world": schema_of(pb.LoadWorldResponse),
    "export_geometry": schema_of(pb.ExportGeometryResponse),
    "close_session": schema_of(pb.CloseSessionResponse),
    "reset": _FRAME,
    "save_world_chunks": schema_of(pb.FileChunk),
    "load_world_chunks": schema_of(pb.LoadWorldResponse),
    "export_geometry_chunks": schema_of(pb.FileChunk),
    "error": ERROR,
}


@dataclass
class LinkMessage:
    type: str
    id: int
    body: Any  # a gwm.v1 message (pb) for proto-backed types, else a dict with every field


def decode(data: bytes, types: Mapping[str, Schema] = REQUESTS) -> LinkMessage:
    """Parse and check one link message; LinkError (with the id when it could be read) if bad."""
    try:
        value = msgpack.unpackb(data, raw=False, strict_map_key=True)
    except ValueError as e:  # every msgpack failure, and bad UTF-8, is a ValueError
        raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, f"not a msgpack message: {msgpack_problem(e)}") from None
    if not isinstance(value, dict):
        raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, f"a link message must be a msgpack map, got {_describe(value)}")
    message_id = value.pop("id", None)
    if not _is_int(message_id) or not 0 <= message_id <= MAX_ID:
        got = message_id if _is_int(message_id) else _describe(message_id)
        raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, f"'id' must be an unsigned integer below 2^32, got {got}")
    message_type = value.pop("type", None)
    if not isinstance(message_type, str):
        raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, f"'type' must be a string, got {_describe(message_type)}", message_id)
    schema = types.get(message_type)
    if schema is None:
        raise LinkError(grpc.StatusCode.UNIMPLEMENTED, f"unknown message type {message_type[:40]!r}; known: {', '.join(types)}", message_id)
    try:
        body = _decode_fields(schema, value, message_type)
    except _BadValue as e:
        raise LinkError(grpc.StatusCode.INVALID_ARGUMENT, str(e), message_id) from None
    return LinkMessage(message_type, message_id, body)


def encode(message_type: str, message_id: int, body: Message | Mapping[str, Any], types: Mapping[str, Schema] = REPLIES) -> bytes:
    """One link message: `type`, `id`, then every field of `body` in field-number order."""
    value: dict[str, Any] = {"type": message_type, "id": message_id}
    value.update(_encode_fields(types[message_type], body))
    return msgpack.packb(value, use_bin_type=True)


def error_message(message_id: int, code: grpc.StatusCode, text: str) -> bytes:
    number, _ = code.value
    return encode("error", message_id, {"code": number, "code_name": code.name, "message": text})


class _BadValue(ValueError):
    pass


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: object) -> str:
    kinds = {bool: "a bool", int: "an integer", float: "a float", str: "a string", bytes: "bin", list: "an array", dict: "a map"}
    return "nothing" if value is None else kinds.get(type(value), f"a {type(value).__name__}")


def _decode_fields(schema: Schema, value: dict, where: str) -> Any:
    by_name = {f.name: f for f in schema.fields}
    for name in value:
        if name not in by_name:
            raise _BadValue(f"{where}: unknown field {str(name)[:40]!r}; its fields are: {schema.field_names()}")
    fields = {name: _decode_field(by_name[name], v, f"{where}.{name}") for name, v in value.items()}
    if schema.proto is not None:
        return schema.proto(**fields)
    defaults = {"string": "", "uint32": 0, "uint64": 0}
    return {f.name: fields.get(f.name, [] if f.repeated else defaults[f.kind]) for f in schema.fields}


def _decode_field(field: Field, value: Any, where: str) -> Any:
    if field.repeated:
        if not isinstance(value, list):
            raise _BadValue(f"{where}: expected an array, got {_describe(value)}")
        return [_decode_scalar(field, v, f"{where}[{i}]") for i, v in enumerate(value)]
    return _decode_scalar(field, value, where)


def _decode_scalar(field: Field, value: Any, where: str) -> Any:
    kind = field.kind
    if kind == "string" and isinstance(value, str):
        return value
    if kind == "bytes" and isinstance(value, bytes):
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind in _UINT_MAX and _is_int(value):
        if not 0 <= value <= _UINT_MAX[kind]:
            raise _BadValue(f"{where}: {value} is out of range for {kind}")
        return value
    if kind == "enum" and _is_int(value):
        if not _INT32[0] <= value <= _INT32[1]:
            raise _BadValue(f"{where}: enum value {value} is out of range")
        return value  # unknown enum numbers are refused by the call itself, with a clearer message
    # Doubles take integers too: JSON-like encoders (JavaScript, GDScript) write 1.0 as 1.
    if kind == "double" and (isinstance(value, float) or _is_int(value)):
        return float(value)
    if kind == "message" and isinstance(value, dict) and field.message is not None:
        return _decode_fields(field.message, value, where)
    if kind == "timings" and isinstance(value, dict):
        return {str(k): _decode_scalar(Field(k, "double"), v, f"{where}[{k!r}]") for k, v in value.items()}
    expected = {"string": "a string", "bytes": "bin", "bool": "a bool", "enum": "an integer", "double": "a number", "message": "a map"}
    raise _BadValue(
        f"{where}: expected {expected.get(kind, 'an unsigned integer' if kind in _UINT_MAX else 'a map')}, got {_describe(value)}"
    )


def _encode_fields(schema: Schema, body: Message | Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for field in schema.fields:
        if field.optional and not (field.name in body if isinstance(body, Mapping) else body.HasField(field.name)):
            continue
        value = body[field.name] if isinstance(body, Mapping) else getattr(body, field.name)
        if field.kind == "message" and field.message is not None:
            out[field.name] = _encode_fields(field.message, value)
        elif field.kind == "timings":
            out[field.name] = {k: float(value[k]) for k in sorted(value)}  # sorted: byte-stable output
        elif field.repeated:
            out[field.name] = [float(v) for v in value] if field.kind == "double" else list(value)
        elif field.kind == "double":
            out[field.name] = float(value)
        else:
            out[field.name] = value
    return out
