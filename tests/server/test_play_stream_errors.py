"""What an error does to a play stream, on both transports (proto/ENGINE_LINK.md, "Ids and
errors"): every message gets exactly one answer or is covered by the error that ended its
stream, and an error is the last message with its id."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import grpc
import pytest

from gwm_engine.client import LocalDaemon
from gwm_engine.client.link_client import LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.server.link_transport import MAX_OPEN_PER_CONNECTION

SIZE = 32
Code = grpc.StatusCode
NAN = float("nan")


@pytest.fixture(scope="module")
def daemon() -> Iterator[LocalDaemon]:
    """A daemon of this module's own: its tests leave streams and sessions mid-way on purpose,
    and the suite's shared daemon has a session limit that earlier tests may have used up."""
    d = LocalDaemon()
    yield d
    assert d.stop() == 0


@pytest.fixture
def link(daemon: LocalDaemon) -> Iterator[LinkClient]:
    with LinkClient(daemon.link_url) as c:
        yield c


@pytest.fixture
def session_id(link: LinkClient, link_session) -> str:
    return link_session(link, SIZE)


def assert_nothing_more(link: LinkClient, stream: int, session_id: str) -> None:
    """No further message with `stream`'s id: a step of the same session waits for any step the
    stream had running, so a frame of it would have come before the step's reply."""
    assert link.call("step", session_id=session_id, seq=999).seq == 999
    link.timeout_s = 0.5
    with pytest.raises(TimeoutError):
        link.receive(stream)
    link.timeout_s = 60.0


def error_of(message) -> tuple[str, str]:
    assert message.type == "error", message
    return message.body["code_name"], message.body["message"]


def test_actions_right_behind_a_bad_one_each_get_one_answer(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=551, move_forward_m=0.01)
    assert link.receive(stream).body.seq == 551
    link.send("play", stream, seq=552, move_forward_m=NAN)
    link.send("play", stream, seq=553, move_forward_m=0.01)  # no session_id: the stream ended at 552
    link.send("play", stream, seq=554, session_id=session_id, turn_yaw_deg=1.0)  # opens a new stream
    code, text = error_of(link.receive(stream))
    assert code == "INVALID_ARGUMENT" and "seq 552" in text and "move_forward_m must be a finite number, got nan" in text
    code, text = error_of(link.receive(stream))
    assert code == "INVALID_ARGUMENT" and "seq 553" in text and "session_id" in text
    assert link.receive(stream).body.seq == 554
    link.send("play_end", stream)
    assert link.receive(stream).type == "play_end"
    assert_nothing_more(link, stream, session_id)


def test_an_unreadable_play_message_ends_its_stream_at_once(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=1)
    assert link.receive(stream).body.seq == 1
    link.send("play", stream, seq=2, move_forward_m="far")
    code, text = error_of(link.receive(stream))
    assert code == "INVALID_ARGUMENT" and "move_forward_m" in text
    assert_nothing_more(link, stream, session_id)


def test_a_play_after_play_end_ends_the_stream_with_that_error(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=1, turn_yaw_deg=1.0)
    link.send("play_end", stream)
    link.send("play", stream, seq=2, turn_yaw_deg=1.0)
    message = link.receive(stream)
    if message.type == "play":  # the frame answering seq 1 may be out before play_end was read
        assert message.body.seq == 1
        message = link.receive(stream)
    code, text = error_of(message)
    assert code == "FAILED_PRECONDITION" and "seq 2" in text and "play_end" in text
    assert_nothing_more(link, stream, session_id)  # neither the pending frame nor play_end


def test_reusing_the_id_of_an_open_stream_cancels_the_stream(link, session_id):
    stream = link.next_id()
    link.send("play", stream, session_id=session_id, seq=1)
    assert link.receive(stream).body.seq == 1
    link.send("get_info", stream)
    code, text = error_of(link.receive(stream))
    assert code == "INVALID_ARGUMENT" and f"id {stream} is in use by an open play stream, which is now cancelled" in text
    assert_nothing_more(link, stream, session_id)
    frames = list(link.play(session_id, [{"seq": 5}]))  # the id is free again
    assert [f.seq for f in frames] == [5]


def test_requests_over_the_in_flight_limit_leave_no_coroutine_unawaited(daemon, link, session_id):
    streams = [link.next_id() for _ in range(MAX_OPEN_PER_CONNECTION)]
    for stream in streams:
        link.send("play", stream, session_id=session_id, turn_yaw_deg=0.5)
    for stream in streams:
        assert link.receive(stream).type == "play"
    for _ in range(3):
        code, text = error_of(link.receive(link.send("get_info")))
        assert code == "RESOURCE_EXHAUSTED" and f"at most {MAX_OPEN_PER_CONNECTION}" in text
    for stream in streams:
        link.send("play_end", stream)
    for stream in streams:
        while link.receive(stream).type != "play_end":
            pass
    assert "never awaited" not in daemon.log()


def test_a_missing_session_id_is_invalid_argument_on_both_transports(daemon, link):
    with pytest.raises(Exception) as info:
        link.call("step", seq=1)
    assert info.value.code == Code.INVALID_ARGUMENT and "session_id is required" in info.value.message
    with grpc.insecure_channel(daemon.address) as channel:
        stub = pb_grpc.WorldServiceStub(channel)
        for call, request in ((stub.Step, pb.Action(seq=1)), (stub.SaveWorld, pb.SaveWorldRequest()),
                              (stub.CloseSession, pb.CloseSessionRequest())):
            with pytest.raises(grpc.RpcError) as rpc:
                call(request, timeout=30)
            assert rpc.value.code() == Code.INVALID_ARGUMENT and "session_id is required" in rpc.value.details()


def test_grpc_sends_no_frame_after_a_bad_action(daemon, session_id):
    """gRPC ends the call with the status; actions behind the bad one are dropped with the call."""
    answered: queue.Queue[int] = queue.Queue()

    def actions() -> Iterator[pb.Action]:
        yield pb.Action(session_id=session_id, seq=1, turn_yaw_deg=1.0)
        answered.get(timeout=60)
        yield pb.Action(seq=2, move_forward_m=0.05)
        yield pb.Action(seq=3, turn_pitch_deg=NAN)
        yield pb.Action(seq=4, move_forward_m=0.05)

    frames = []
    with grpc.insecure_channel(daemon.address) as channel:
        with pytest.raises(grpc.RpcError) as info:
            for frame in pb_grpc.WorldServiceStub(channel).Play(actions(), timeout=60):
                frames.append(frame.seq)
                answered.put(frame.seq)
    assert info.value.code() == Code.INVALID_ARGUMENT and "seq 3" in info.value.details()
    assert frames[0] == 1 and all(seq < 3 for seq in frames)
