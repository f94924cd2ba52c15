"""A world over the 64 MiB message limit still saves, loads bit-exact and exports, in chunks,
over gRPC, the engine link and the SDK; the one-message calls refuse it naming the chunked ones.

Slow (a 1280x720 session turned through 360 degrees on the CPU): `-m "not slow"` skips it.
"""

from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest

from gwm_engine.client import LocalDaemon, Session, WorldClient
from gwm_engine.client.link_client import LinkCallError, LinkClient
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.protocol.limits import MAX_MESSAGE_BYTES

pytestmark = [pytest.mark.daemon, pytest.mark.slow]


@pytest.fixture(scope="module")
def big_daemon() -> Iterator[LocalDaemon]:
    with LocalDaemon() as d:
        yield d


@pytest.fixture(scope="module")
def client(big_daemon: LocalDaemon) -> Iterator[WorldClient]:
    with WorldClient(big_daemon.address, timeout_s=600) as c:
        yield c


@pytest.fixture(scope="module")
def looked_around(client: WorldClient, seed_png: bytes) -> Iterator[Session]:
    session = client.create_session(seed_png, width=1280, height=720, include_mask=False)
    for _ in range(9):  # 9 x 40 degrees
        session.step(turn=(40.0, 0.0, 0.0))
    yield session
    session.close()


@pytest.fixture(scope="module")
def world(looked_around: Session) -> bytes:
    data = looked_around.save()  # the SDK: SaveWorldChunks
    assert len(data) > MAX_MESSAGE_BYTES, f"the world is only {len(data)} bytes: not big enough to test chunking"
    return data


def test_the_unary_calls_refuse_it_naming_the_chunked_calls(big_daemon: LocalDaemon, looked_around: Session, world: bytes):
    channel = grpc.insecure_channel(big_daemon.address)
    stub = pb_grpc.WorldServiceStub(channel)
    with pytest.raises(grpc.RpcError) as info:
        stub.SaveWorld(pb.SaveWorldRequest(session_id=looked_around.id), timeout=600)
    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and "SaveWorldChunks" in info.value.details()
    channel.close()
    with LinkClient(big_daemon.link_url, timeout_s=600) as link:
        with pytest.raises(LinkCallError) as link_info:
            link.call("save_world", session_id=looked_around.id)
        assert link_info.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and "save_world_chunks" in link_info.value.message
    assert " ERROR " not in big_daemon.log()


def test_the_sdk_saves_loads_bit_exact_and_exports(client: WorldClient, looked_around: Session, world: bytes):
    with client.load_world(world) as loaded:  # LoadWorldChunks
        assert loaded.save() == world
        a, b = looked_around.step(turn=(5.0, 0.0, 0.0)), loaded.step(turn=(5.0, 0.0, 0.0))
        assert (a.rgb == b.rgb).all() and (a.depth == b.depth).all()
        assert loaded.save() == looked_around.save()
    ply = looked_around.export_geometry()
    assert ply.startswith(b"ply\n") and len(ply) > 1_000_000


def test_the_link_saves_loads_bit_exact_and_exports(big_daemon: LocalDaemon, looked_around: Session):
    with LinkClient(big_daemon.link_url, timeout_s=600) as link:
        world = link.download("save_world_chunks", session_id=looked_around.id)
        assert world == looked_around.save()
        loaded = link.load_world_chunks(world)
        assert link.download("save_world_chunks", session_id=loaded.session.session_id) == world
        ply = link.download("export_geometry_chunks", session_id=looked_around.id)
        assert ply == looked_around.export_geometry()
        link.call("close_session", session_id=loaded.session.session_id)


def test_grpc_chunks_come_in_order_and_add_up(big_daemon: LocalDaemon, looked_around: Session):
    channel = grpc.insecure_channel(big_daemon.address, options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
    stub = pb_grpc.WorldServiceStub(channel)
    chunks = list(stub.SaveWorldChunks(pb.SaveWorldRequest(session_id=looked_around.id), timeout=600))
    world = b"".join(c.data for c in chunks)
    assert len(chunks) > 1 and [c.offset for c in chunks] == [sum(len(c.data) for c in chunks[:i]) for i in range(len(chunks))]
    assert all(c.total_bytes == len(world) and len(c.data) <= 4 * 1024 * 1024 for c in chunks)
    assert world == looked_around.save()
    exported = list(stub.ExportGeometryChunks(pb.ExportGeometryRequest(session_id=looked_around.id), timeout=600))
    assert exported[0].point_count > 0 and all(c.point_count == exported[0].point_count for c in exported)
    channel.close()
