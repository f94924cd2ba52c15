"""Hostile and broken engine-link messages: each gets an error message (an oversized one closes
only its own connection) while the daemon keeps serving other clients, gRPC and link alike.
All loops are bounded and seeded."""

from collections.abc import Iterator

import msgpack
import numpy as np
import pytest
from streaming import StreamingClient
from websockets.exceptions import ConnectionClosed

from gwm_engine.client.link_client import LinkClient, encode_request
from gwm_engine.protocol import link_messages
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZE = 64


class LinkBystander(StreamingClient):
    """An engine-link client turning slowly on its own session."""

    name = "the link bystander"

    def __init__(self, url: str, seed: bytes):
        self._link = LinkClient(url)
        created = self._link.call(
            "create_session", protocol_version=PROTOCOL_VERSION, seed_image=seed, width=SIZE, height=SIZE, fov_deg=60.0
        )
        self._session_id = created.session.session_id
        self._start()

    def _play(self):
        return self._link.play(self._session_id, ({"turn_yaw_deg": 0.5} for _ in self._ticks()))

    def _end(self) -> None:
        self._link.call("close_session", session_id=self._session_id)
        self._link.close()


@pytest.fixture(scope="module")
def link_bystander(daemon, seed_png) -> Iterator[LinkBystander]:
    b = LinkBystander(daemon.link_url, seed_png)
    b.wait_for_frames()
    yield b
    b.close()


@pytest.fixture(autouse=True)
def still_serving(bystander, link_bystander):
    """Every test here must leave the other clients, gRPC and link, streaming without an error."""
    yield
    bystander.wait_for_frames()
    link_bystander.wait_for_frames()


@pytest.fixture
def link(daemon) -> Iterator[LinkClient]:
    with LinkClient(daemon.link_url) as c:
        yield c
        assert c.call("get_info").model_name, "the fuzzed connection still serves"


@pytest.fixture
def session_id(link, link_session) -> str:
    return link_session(link, SIZE)


def errors_for(link: LinkClient, messages: list[bytes]) -> list[dict]:
    """Send every message, then read one reply per message; each must be an error."""
    for data in messages:
        link.send_raw(data)
    replies = [link.receive() for _ in messages]
    assert all(r.type == "error" for r in replies), [r.type for r in replies if r.type != "error"]
    return [r.body | {"id": r.id} for r in replies]


def test_random_bytes(link):
    rng = np.random.default_rng(11)
    messages = [rng.integers(0, 256, rng.integers(0, 300), dtype=np.uint8).tobytes() for _ in range(300)]
    errors = errors_for(link, messages)
    assert {e["code_name"] for e in errors} <= {"INVALID_ARGUMENT", "UNIMPLEMENTED"}


def test_every_truncation_of_valid_requests(link, session_id, seed_png):
    step = encode_request("step", 5, {"session_id": session_id, "seq": 1, "pose": [1.0, 0.0, 0.0, 0.0] * 4})
    create = encode_request(
        "create_session", 6, {"protocol_version": PROTOCOL_VERSION, "seed_image": seed_png, "width": SIZE, "height": SIZE}
    )
    cuts = [step[:n] for n in range(len(step))] + [create[:n] for n in np.linspace(0, len(create) - 1, 60).astype(int)]
    errors = errors_for(link, cuts)
    assert {e["code_name"] for e in errors} == {"INVALID_ARGUMENT"}
    assert {e["id"] for e in errors} == {link_messages.UNREADABLE_ID}


# Wrong msgpack values for each kind of field (None packs as nil, outside the subset).
WRONG = {
    "string": [5, b"bin", None, ["a"], 1.5],
    "bytes": ["str", 5, None, [1, 2]],
    "bool": [1, "true", None, 0.0],
    "uint32": [-1, 1.0, "1", None, True, 2**32],
    "uint64": [-1, 2.5, "1", None, False],
    "double": ["1.0", b"\x00", None, True, [1.0], {"x": 1.0}],
    "enum": [1.0, "RGB_ENCODING_RAW", None, -(2**40)],
}


def test_wrong_types_in_every_field(link):
    messages, ids = [], []
    for message_type in ("create_session", "step", "load_world", "hello"):
        for field in link_messages.REQUESTS[message_type].fields:
            kinds = WRONG[field.kind]
            values = [1.0, "x", [None], [[1.0]]] if field.repeated else kinds
            for value in values:
                ids.append(len(ids) + 100)
                messages.append(encode_request(message_type, ids[-1], {field.name: value}))
    errors = errors_for(link, messages)
    assert [e["id"] for e in errors] == ids
    assert {e["code_name"] for e in errors} == {"INVALID_ARGUMENT"}


def test_huge_length_headers(link):
    prefix = b"\x83\xa4type\xaecreate_session\xa2id\x07\xaaseed_image"  # a map of 3: type, id, then seed_image
    headers = [b"\xc6\xff\xff\xff\xff", b"\xc5\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff"]
    messages = [prefix + header + b"\x00" * 16 for header in headers]
    messages += [b"\xdf\xff\xff\xff\xff", b"\xdd\x7f\xff\xff\xff" + b"\x00" * 100, b"\x91" * 100_000]
    errors = errors_for(link, messages)
    assert {e["code_name"] for e in errors} == {"INVALID_ARGUMENT"}


def pack(value) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


def test_unknown_fields_types_and_envelopes(link, session_id):
    cases = [
        (encode_request("step", 21, {"session_id": session_id, "frobnicate": 1}), 21, "INVALID_ARGUMENT", "unknown field"),
        (encode_request("create_session", 22, {"seed_image_format": "png"}), 22, "INVALID_ARGUMENT", "unknown field"),
        (encode_request("teleport", 23, {}), 23, "UNIMPLEMENTED", "unknown message type"),
        (encode_request("Step", 24, {}), 24, "UNIMPLEMENTED", "unknown message type"),
        (encode_request("", 25, {}), 25, "UNIMPLEMENTED", "unknown message type"),
        (encode_request("error", 26, {}), 26, "UNIMPLEMENTED", "unknown message type"),
        (encode_request("get_info", 0, {}), 0, "INVALID_ARGUMENT", "reserved"),
        (pack({"type": 5, "id": 27}), 27, "INVALID_ARGUMENT", "'type'"),
        (pack({"type": "get_info", "id": "28"}), 0, "INVALID_ARGUMENT", "'id'"),
        (pack({"type": "get_info"}), 0, "INVALID_ARGUMENT", "'id'"),
        (pack([1, 2, 3]), 0, "INVALID_ARGUMENT", "map"),
        (pack("get_info"), 0, "INVALID_ARGUMENT", "map"),
        (pack({1: "get_info"}), 0, "INVALID_ARGUMENT", "msgpack"),
        (b"\x82\xa4type\xa8get_info\xa2id\xd4\x00\x01", 0, "INVALID_ARGUMENT", "'id'"),  # fixext id
        (b"\x82\xa4type\xa8get_info\xa2id\xc0", 0, "INVALID_ARGUMENT", "'id'"),  # nil id
        (b"\x82\xa4type\xa4\xff\xfe\xfd\xfc\xa2id\x01", 0, "INVALID_ARGUMENT", "msgpack"),  # bad UTF-8
        (pack({"type": "get_info", "id": 29}) + b"\x00", 0, "INVALID_ARGUMENT", "msgpack"),  # trailing bytes
    ]
    errors = errors_for(link, [c[0] for c in cases])
    for (_, message_id, code, text), error in zip(cases, errors):
        assert (error["id"], error["code_name"]) == (message_id, code), error
        assert text in error["message"], error
    link.send_raw("a text message")
    assert link.receive().body["code_name"] == "INVALID_ARGUMENT"


def test_a_malformed_play_message_ends_only_its_stream(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=1, turn_yaw_deg=1.0)
    assert link.receive(stream).type == "play"
    link.send_raw(encode_request("play", stream, {"seq": 2, "turn_yaw_deg": "left"}))
    error = link.receive(stream)
    assert error.type == "error" and "turn_yaw_deg" in error.body["message"]
    assert link.call("step", session_id=session_id).index > 0, "the session stays usable"


def test_an_oversized_message_closes_only_its_connection(daemon):
    with LinkClient(daemon.link_url) as link:
        limit = link.server["max_message_bytes"]
        try:
            link.send_raw(encode_request("save_world", 3, {"session_id": "x" * 16, "padding": b"\0" * (limit + 1)}))
        except ConnectionClosed:
            pass  # the daemon may close before the client finished sending
        with pytest.raises(ConnectionClosed) as info:
            link.receive()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1009  # message too big
    with LinkClient(daemon.link_url) as other:
        assert other.call("get_info").model_name


def test_clients_that_vanish_mid_stream(link, session_id):
    """Connections dropped with calls and play streams open leave the session and daemon serving."""
    for _ in range(5):
        gone = LinkClient(link.url)
        for seq in range(1, 4):
            gone.send("play", 99, session_id=session_id, seq=seq, move_forward_m=0.01)
        gone.send("save_world", session_id=session_id)
        gone.close()
    assert link.call("step", session_id=session_id).index > 0
