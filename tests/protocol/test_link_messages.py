"""The engine link's message codec: strict decoding, complete encoding, and the spec in sync."""

import re
from pathlib import Path

import grpc
import msgpack
import pytest

from gwm_engine.protocol import link_messages
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol.link_messages import LinkError

SPEC = (Path(__file__).resolve().parents[2] / "proto" / "ENGINE_LINK.md").read_text(encoding="utf-8")
Code = grpc.StatusCode


def pack(value) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def refused(value_or_bytes, code: grpc.StatusCode = Code.INVALID_ARGUMENT, match: str = "") -> LinkError:
    data = value_or_bytes if isinstance(value_or_bytes, bytes) else pack(value_or_bytes)
    with pytest.raises(LinkError) as info:
        link_messages.decode(data)
    assert info.value.code == code, info.value
    assert match in str(info.value), str(info.value)
    return info.value


def test_a_request_becomes_its_proto_message():
    message = link_messages.decode(pack({"type": "step", "id": 9, "session_id": "s", "seq": 2, "move_forward_m": 1, "pose": []}))
    assert (message.type, message.id) == ("step", 9)
    assert message.body == pb.Action(session_id="s", seq=2, move_forward_m=1.0)


def test_float32_numbers_are_taken_for_doubles():
    data = msgpack.packb({"type": "step", "id": 1, "turn_yaw_deg": 1.5}, use_single_float=True)
    assert link_messages.decode(data).body.turn_yaw_deg == 1.5


def test_link_only_messages_decode_to_dicts_with_defaults():
    assert link_messages.decode(pack({"type": "hello", "id": 1, "protocol_version": "1.0.0"})).body == {
        "protocol_version": "1.0.0",
        "token": "",
    }


@pytest.mark.parametrize(
    "value,match",
    [
        ([1, 2], "must be a msgpack map"),
        ({"type": "step"}, "'id' must be"),
        ({"type": "step", "id": -1}, "'id' must be"),
        ({"type": "step", "id": 2**32}, "'id' must be"),
        ({"type": "step", "id": True}, "'id' must be"),
        ({"id": 1}, "'type' must be a string"),
        ({"type": "step", "id": 1, "move_forward": 1.0}, "unknown field 'move_forward'"),
        ({"type": "step", "id": 1, "move_forward_m": "1"}, "expected a number"),
        ({"type": "step", "id": 1, "move_forward_m": True}, "expected a number"),
        ({"type": "step", "id": 1, "session_id": b"s"}, "expected a string"),
        ({"type": "step", "id": 1, "seq": -3}, "out of range"),
        ({"type": "step", "id": 1, "seq": 1.0}, "expected an unsigned integer"),
        ({"type": "step", "id": 1, "pose": 1.0}, "expected an array"),
        ({"type": "step", "id": 1, "pose": [1.0, "x"]}, "step.pose[1]"),
        ({"type": "create_session", "id": 1, "seed_image": "not bin"}, "expected bin"),
        ({"type": "create_session", "id": 1, "width": 2**32}, "out of range for uint32"),
        ({"type": "create_session", "id": 1, "stereo": 1}, "expected a bool"),
        ({"type": "create_session", "id": 1, "rgb_encoding": 2**40}, "out of range"),
        ({"type": "hello", "id": 1, "token": 5}, "expected a string"),
    ],
)
def test_wrong_shapes_are_invalid_argument_with_the_id_when_readable(value, match):
    error = refused(value, match=match)
    readable_id = (
        isinstance(value, dict) and isinstance(value.get("id"), int) and not isinstance(value["id"], bool) and 0 <= value["id"] < 2**32
    )
    assert error.id == (value["id"] if readable_id else link_messages.UNREADABLE_ID)


def test_unknown_types_are_unimplemented():
    assert refused({"type": "teleport", "id": 4}, Code.UNIMPLEMENTED, "teleport").id == 4


@pytest.mark.parametrize("data", [b"", b"\xc1", b"\x82\xa4type", b"\xc6\xff\xff\xff\xff\x00", b"\x81\x01\x02", b"\x91" * 5000, b"\x80\x00"])
def test_unreadable_bytes_are_invalid_argument_with_id_0(data):
    assert refused(data, match="").id == link_messages.UNREADABLE_ID


def test_replies_carry_every_field_in_field_number_order():
    value = msgpack.unpackb(link_messages.encode("step", 3, pb.Frame(seq=1)), raw=False)
    assert list(value)[:2] == ["type", "id"]
    assert list(value)[2:] == [f.name for f in sorted(pb.Frame.DESCRIPTOR.fields, key=lambda f: f.number)]
    assert value["rgb"] == b"" and value["pose"] == [] and value["fx_px"] == 0.0 and isinstance(value["fx_px"], float)
    nested = msgpack.unpackb(link_messages.encode("create_session", 4, pb.CreateSessionResponse()), raw=False)
    assert nested["first_frame"]["timings_ms"] == {} and nested["session"]["session_id"] == ""


def test_error_messages_carry_the_status_number_and_name():
    value = msgpack.unpackb(link_messages.error_message(7, Code.NOT_FOUND, "gone"), raw=False)
    assert value == {"type": "error", "id": 7, "code": 5, "code_name": "NOT_FOUND", "message": "gone"}


def test_the_spec_lists_every_message_type_and_field():
    for message_type in {**link_messages.REQUESTS, **link_messages.REPLIES}:
        assert f"`{message_type}`" in SPEC, message_type
    schemas = {s.name: s for s in [*link_messages.REQUESTS.values(), *link_messages.REPLIES.values()]}
    schemas["SessionInfo"] = link_messages.schema_of(pb.SessionInfo)
    for name, schema in schemas.items():
        section = re.search(rf"^#### [^\n]*\b{name}\b[^\n]*\n(.*?)(?=^#)", SPEC, re.S | re.M)
        assert section is not None, f"ENGINE_LINK.md has no section for {name}"
        listed = re.findall(r"`(\w+)`", section.group(1))
        assert listed == [f.name for f in schema.fields], name
