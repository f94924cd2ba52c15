"""The engine link's golden vectors (proto/link_vectors/) round-trip in Python.

Three independent readings must agree on every vector: the daemon's msgpack library, the
typed reference codec the plugin codecs follow (tools/link_reference/msgpack_subset.py), and
the daemon's own link codec for the message vectors.
"""

import json
from pathlib import Path

import msgpack
import pytest

from gwm_engine.protocol import link_messages
from tools.link_reference import generate_vectors as generate
from tools.link_reference import msgpack_subset as subset

VECTORS = Path(__file__).resolve().parents[2] / "proto" / "link_vectors"
INDEX = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))
ENTRIES = {entry["name"]: entry for entry in INDEX["vectors"]}


def data_of(entry: dict) -> bytes:
    return (VECTORS / entry["file"]).read_bytes()


def test_the_committed_vectors_are_what_the_generator_writes():
    vectors = generate.all_vectors()
    index = (VECTORS / "index.json").read_text(encoding="utf-8")
    assert index == generate.index_text(vectors), "run python -m tools.link_reference.generate_vectors"
    for vector in vectors:
        assert data_of(ENTRIES[vector.name]) == vector.data, vector.name
    assert sorted(p.name for p in VECTORS.glob("*.msgpack")) == sorted(e["file"] for e in INDEX["vectors"])


def test_the_vectors_cover_the_subset_and_every_message_type():
    first_bytes = {data_of(e)[0] for e in INDEX["vectors"] if e["kind"] == "value"}
    # every sized format, and a member of every fix range
    for byte in (0xCC, 0xCD, 0xCE, 0xCF, 0xD0, 0xD1, 0xD2, 0xD3, 0xCA, 0xCB, 0xD9, 0xDA, 0xC4, 0xC5, 0xC6, 0xDC, 0xDE, 0xC2, 0xC3):
        assert byte in first_bytes, hex(byte)
    assert any(b <= 0x7F for b in first_bytes) and any(b >= 0xE0 for b in first_bytes)
    assert any(0xA0 <= b <= 0xBF for b in first_bytes) and any(0x90 <= b <= 0x9F for b in first_bytes)
    messages = {(e["direction"], e["message_type"]) for e in INDEX["vectors"] if e["kind"] == "message"}
    assert {t for d, t in messages if d == "client_to_daemon"} == set(link_messages.REQUESTS)
    assert {t for d, t in messages if d == "daemon_to_client"} == set(link_messages.REPLIES)
    assert any(e["size"] > 65536 and e["kind"] == "message" for e in INDEX["vectors"]), "a bin32 field in a message"


@pytest.mark.parametrize("name", list(ENTRIES))
def test_every_vector_decodes_to_its_value(name):
    entry = ENTRIES[name]
    data = data_of(entry)
    expected = subset.from_json(entry["value"])
    assert entry["size"] == len(data)
    if "hex" in entry:
        assert bytes.fromhex(entry["hex"]) == data
    # the typed reference decoder: float widths included
    assert subset.same(subset.decode(data), expected)
    # the daemon's msgpack library (NaN != NaN, so compare the NaN vector by its repr)
    plain = msgpack.unpackb(data, raw=False, strict_map_key=True)
    assert repr(plain) == repr(subset.to_plain(expected))


@pytest.mark.parametrize("name", [n for n, e in ENTRIES.items() if e["canonical"]])
def test_canonical_vectors_encode_to_their_bytes(name):
    entry = ENTRIES[name]
    assert subset.encode(subset.from_json(entry["value"])) == data_of(entry)


@pytest.mark.parametrize("name", [n for n, e in ENTRIES.items() if e.get("direction") == "client_to_daemon"])
def test_the_daemon_accepts_every_request_vector(name):
    entry = ENTRIES[name]
    message = link_messages.decode(data_of(entry))
    value = subset.to_plain(subset.from_json(entry["value"]))
    assert (message.type, message.id) == (value["type"], value["id"])


@pytest.mark.parametrize("name", [n for n, e in ENTRIES.items() if e.get("direction") == "daemon_to_client"])
def test_reply_vectors_round_trip_through_the_link_codec(name):
    """Decoded into gwm.v1 messages and encoded again, every reply gives the same bytes."""
    data = data_of(ENTRIES[name])
    message = link_messages.decode(data, link_messages.REPLIES)
    assert link_messages.encode(message.type, message.id, message.body) == data


def test_msgpack_python_writes_the_same_bytes_as_the_reference_encoder():
    """The daemon's library takes the smallest forms, like the reference codec (floats aside:
    Python floats are always float64)."""
    for entry in INDEX["vectors"]:
        value = subset.from_json(entry["value"])
        if entry["canonical"] and "$f32" not in json.dumps(entry["value"]):
            assert msgpack.packb(subset.to_plain(value), use_bin_type=True) == data_of(entry), entry["name"]


@pytest.mark.parametrize(
    "data",
    [b"", b"\xc0", b"\xc1", b"\xd4\x01\x00", b"\x81\x01\x02", b"\xc6\xff\xff\xff\xff", b"\xa2\xff\xfe", b"\x01\x02", b"\x91" * 40],
    ids=["empty", "nil", "reserved", "fixext", "int-key", "bin32-lying", "bad-utf8", "trailing", "too-deep"],
)
def test_the_reference_decoder_refuses_what_is_outside_the_subset(data):
    with pytest.raises(subset.SubsetError):
        subset.decode(data)
