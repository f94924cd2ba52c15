"""The world's scale, walk mode, Reset and GLB export over a real daemon (gRPC and the link), and
clients built before them (protocol 1.0.0) keeping working."""

from __future__ import annotations

import grpc
import msgpack
import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from gwm_engine.client import LocalDaemon, WorldClient
from gwm_engine.client.link_client import LinkCallError, LinkClient
from gwm_engine.geometry import Intrinsics
from gwm_engine.model.scale import ScaleHint
from gwm_engine.protocol import arrays
from gwm_engine.protocol._proto import world_pb2 as pb

SIZE = 64
FOV = 60.0
HEIGHT_M = 1.5  # the synthetic room's camera height above its floor
WALL_M = 4.0


def room_depth(size: int = SIZE) -> np.ndarray:
    """A floor HEIGHT_M below the camera meeting a wall WALL_M ahead: z-depth per pixel."""
    K = Intrinsics.from_fov(size, size, FOV)
    below = np.arange(size) + 0.5 - K.cy  # > 0 under the horizon
    floor = np.where(below > 0, HEIGHT_M * K.fy / np.maximum(below, 1e-9), np.inf)
    return np.repeat(np.minimum(floor, WALL_M)[:, None], size, axis=1).astype(np.float32)


def wall_depth(distance_m: float = 2.0) -> np.ndarray:
    return np.full((SIZE, SIZE), distance_m, np.float32)


@pytest.fixture(scope="module")
def image(noise_image: np.ndarray) -> np.ndarray:
    """A SIZE x SIZE seed, so the depth maps above fit it pixel for pixel."""
    return np.ascontiguousarray(noise_image[:SIZE, :SIZE])


def test_session_info_reports_the_scale_and_the_ground(client, image):
    room = client.create_session(image, depth=room_depth(), width=SIZE, height=SIZE, fov_deg=FOV)
    assert room.median_depth_m == pytest.approx(WALL_M, rel=0.05)
    assert room.walk_speed_mps > 0 and room.turn_rate_dps > 0
    assert room.camera_height_m == pytest.approx(HEIGHT_M, rel=0.05)
    assert room.walk is False
    wall = client.create_session(image, depth=wall_depth(), width=SIZE, height=SIZE, fov_deg=FOV, walk=True)
    assert wall.camera_height_m is None and not wall.info.HasField("camera_height_m")  # no ground in view
    assert wall.walk is True and wall.median_depth_m == pytest.approx(2.0)
    room.close()
    wall.close()


def test_scale_hints_change_the_suggested_speed_proportionally(client, image):
    def created(hint: ScaleHint | None):
        return client.create_session(image, depth=room_depth(), width=SIZE, height=SIZE, fov_deg=FOV, scale_hint=hint)

    plain, doubled, measured = created(None), created(ScaleHint(factor=2.0)), created(ScaleHint(centre_distance_m=10.0))
    assert doubled.walk_speed_mps == pytest.approx(2 * plain.walk_speed_mps, rel=1e-4)
    assert doubled.median_depth_m == pytest.approx(2 * plain.median_depth_m, rel=1e-4)
    assert doubled.camera_height_m == pytest.approx(2 * plain.camera_height_m, rel=1e-4)
    # The image centre sees the wall at WALL_M: 10 m there makes the whole room 10/WALL_M larger.
    assert measured.walk_speed_mps == pytest.approx(10.0 / WALL_M * plain.walk_speed_mps, rel=1e-4)
    assert doubled.turn_rate_dps == plain.turn_rate_dps
    for s in (plain, doubled, measured):
        s.close()


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"scale_factor": 2.0, "scale_centre_distance_m": 3.0}, "not both"),
        ({"scale_factor": -1.0}, "scale factor must be"),
        ({"scale_factor": float("nan")}, "scale factor must be"),
        ({"scale_centre_distance_m": 1e9}, "distance at the image centre must be"),
    ],
)
def test_a_bad_scale_hint_is_invalid_argument_in_plain_words(daemon, seed_png, fields, match):
    with LinkClient(daemon.link_url) as link:
        with pytest.raises(LinkCallError) as info:
            link.call("create_session", protocol_version="1.1.0", seed_image=seed_png, width=SIZE, height=SIZE, fov_deg=FOV,
                      **fields)  # fmt: skip
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and match in info.value.message


def test_walk_mode_stops_short_of_a_wall(client, image):
    walker = client.create_session(image, depth=wall_depth(2.0), width=SIZE, height=SIZE, fov_deg=FOV, walk=True)
    ghost = client.create_session(image, depth=wall_depth(2.0), width=SIZE, height=SIZE, fov_deg=FOV)
    for _ in range(4):
        walked = walker.step(move=(0.0, 0.0, 1.0))
        flew = ghost.step(move=(0.0, 0.0, 1.0))
    assert flew.pose[2, 3] == pytest.approx(-4.0)  # without walk mode the camera goes through
    z = walked.pose[2, 3]
    assert -2.0 < z < -1.0, f"the walker should stand in front of the wall at z=-2, is at z={z}"
    # and keeps standing there however long W is held, straight or at an angle
    for _ in range(3):
        walked = walker.step(move=(0.3, 0.0, 1.0))
    assert walked.pose[2, 3] > -2.0
    walker.close()
    ghost.close()


def test_walk_mode_never_goes_below_the_ground(client, image):
    session = client.create_session(image, depth=room_depth(), width=SIZE, height=SIZE, fov_deg=FOV, walk=True)
    ground_y = -session.camera_height_m
    lowest = []
    lowest.append(session.step(move=(0.0, -5.0, 0.0)).pose[1, 3])  # straight down
    session.step(turn=(0.0, -80.0, 0.0))  # look at the floor and walk into it
    for _ in range(6):
        lowest.append(session.step(move=(0.0, 0.0, 0.5)).pose[1, 3])
    lowest.append(session.step(move=(0.0, -3.0, 0.0)).pose[1, 3])
    assert min(lowest) > ground_y + 0.2 * session.camera_height_m, (ground_y, lowest)
    session.close()


def test_reset_returns_the_exact_start_pose_and_frame(client, image):
    session = client.create_session(image, depth=room_depth(), width=SIZE, height=SIZE, fov_deg=FOV, include_mask=True)
    first = session.frame
    walk = [((0, 0, 0.5), (0, 0, 0)), ((0.2, 0, 0.3), (25, 0, 0)), ((0, 0.1, 0.4), (-40, 10, 0)), ((0, 0, -0.2), (0, 0, 5))]
    for move, turn in walk:
        session.step(move=move, turn=turn)
    back = session.reset()
    np.testing.assert_array_equal(back.pose, np.eye(4))
    np.testing.assert_array_equal(back.rgb, first.rgb)
    np.testing.assert_array_equal(back.depth, first.depth)
    assert back.seq > 0 and back.index == first.index + 5
    # and the session carries on from there
    np.testing.assert_allclose(session.step(move=(0, 0, 0.1)).pose[2, 3], -0.1)
    session.close()


def test_reset_over_the_link_echoes_seq_and_an_unknown_session_is_not_found(daemon, seed_png):
    with LinkClient(daemon.link_url) as link:
        created = link.call("create_session", protocol_version="1.1.0", seed_image=seed_png, width=SIZE, height=SIZE, fov_deg=FOV)
        sid = created.session.session_id
        link.call("step", session_id=sid, seq=1, move_forward_m=0.5, turn_yaw_deg=20.0)
        frame = link.call("reset", session_id=sid, seq=2, client_time_us=123)
        assert (frame.seq, frame.client_time_us) == (2, 123)
        assert list(frame.pose) == list(np.eye(4).ravel())
        with pytest.raises(LinkCallError) as info:
            link.call("reset", session_id="nope")
        assert info.value.code == grpc.StatusCode.NOT_FOUND
        link.call("close_session", session_id=sid)


def test_export_geometry_as_glb_over_grpc_and_the_link(daemon, image):
    with WorldClient(daemon.address) as client:
        session = client.create_session(image, depth=room_depth(), width=SIZE, height=SIZE, fov_deg=FOV)
        glb = session.export_geometry("glb", collision_faces=300)
        assert glb[:4] == b"glTF"
        ply = session.export_geometry()
        assert ply.startswith(b"ply\n")
        request = pb.ExportGeometryRequest(session_id=session.id, format=pb.GEOMETRY_FORMAT_GLB, collision_faces=300)
        reply = client._call(client._stub.ExportGeometry, request)
        assert reply.format == pb.GEOMETRY_FORMAT_GLB and reply.ply == b"" and reply.glb == glb
        assert 0 < reply.collision_face_count <= 300 < reply.face_count
    with LinkClient(daemon.link_url) as link:
        linked = link.call("export_geometry", session_id=session.id, format=2, collision_faces=300)
        assert linked.glb == glb and linked.collision_face_count == reply.collision_face_count
        refused = [({"format": 7}, "unknown geometry format 7"), ({"format": 2, "collision_faces": 5}, "collision_faces must be")]
        for fields, match in refused:
            with pytest.raises(LinkCallError) as info:
                link.call("export_geometry", session_id=session.id, **fields)
            assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT and match in info.value.message
    with WorldClient(daemon.address) as client:
        client._call(client._stub.CloseSession, pb.CloseSessionRequest(session_id=session.id))


# -- clients built against 1.0.0 --------------------------------------------------------------

# What 1.1.0 added for scale, walk mode, reset and GLB export; the 1.0.0 schema is today's
# without them.
ADDED = {
    "CreateSessionRequest": {"scale_centre_distance_m", "scale_factor", "walk"},
    "SessionInfo": {"median_depth_m", "walk_speed_mps", "turn_rate_dps", "camera_height_m", "walk"},
    "ExportGeometryRequest": {"format", "collision_faces"},
    "ExportGeometryResponse": {"glb", "format", "face_count", "collision_face_count"},
}


def old_schema() -> descriptor_pool.DescriptorPool:
    proto = descriptor_pb2.FileDescriptorProto()
    pb.DESCRIPTOR.CopyToProto(proto)
    for message in proto.message_type:
        if message.name in ADDED:
            kept = [f for f in message.field if f.name not in ADDED[message.name]]
            del message.field[:]
            message.field.extend(kept)
            for f in message.field:
                f.ClearField("oneof_index")
            del message.oneof_decl[:]  # proto3 `optional` lives in a synthetic oneof
    kept = [m for m in proto.message_type if m.name != "ResetRequest"]
    del proto.message_type[:]
    proto.message_type.extend(kept)
    kept_enums = [e for e in proto.enum_type if e.name != "GeometryFormat"]
    del proto.enum_type[:]
    proto.enum_type.extend(kept_enums)
    methods = [m for m in proto.service[0].method if m.name != "Reset"]
    del proto.service[0].method[:]
    proto.service[0].method.extend(methods)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return pool


@pytest.fixture(scope="module")
def old():
    pool = old_schema()
    return lambda name: message_factory.GetMessageClass(pool.FindMessageTypeByName(f"gwm.v1.{name}"))


def test_a_1_0_0_grpc_client_keeps_working(daemon: LocalDaemon, seed_png: bytes, old):
    CreateSessionRequest, CreateSessionResponse = old("CreateSessionRequest"), old("CreateSessionResponse")
    assert "walk" not in CreateSessionRequest.DESCRIPTOR.fields_by_name  # really the old schema
    assert "walk_speed_mps" not in old("SessionInfo").DESCRIPTOR.fields_by_name
    with grpc.insecure_channel(daemon.address) as channel:

        def call(method: str, request, reply_name: str):
            stub = channel.unary_unary(f"/gwm.v1.WorldService/{method}", request_serializer=type(request).SerializeToString,
                                       response_deserializer=old(reply_name).FromString)  # fmt: skip
            return stub(request, timeout=60)

        request = CreateSessionRequest(protocol_version="1.0.0", seed_image=seed_png, width=SIZE, height=SIZE, fov_deg=FOV)
        created = call("CreateSession", request, "CreateSessionResponse")
        assert isinstance(created, CreateSessionResponse)
        info = created.session
        assert (info.width, info.height, list(info.pose)) == (SIZE, SIZE, list(np.eye(4).ravel()))
        assert len(created.first_frame.rgb) == SIZE * SIZE * 3
        frame = call("Step", old("Action")(session_id=info.session_id, seq=1, move_forward_m=0.2), "Frame")
        assert arrays.pose_from_wire(frame.pose)[2, 3] == pytest.approx(-0.2)
        exported = call("ExportGeometry", old("ExportGeometryRequest")(session_id=info.session_id), "ExportGeometryResponse")
        assert exported.ply.startswith(b"ply\n") and exported.point_count > 0
        call("CloseSession", old("CloseSessionRequest")(session_id=info.session_id), "CloseSessionResponse")


def test_a_1_0_0_link_client_keeps_working(daemon: LocalDaemon, seed_png: bytes, old):
    """An old plugin sends only 1.0.0 fields and reads the reply's fields it knows by name
    (as the C# and GDScript codecs do), ignoring the rest."""
    with LinkClient(daemon.link_url, hello=False) as link:
        assert link.call("hello", protocol_version="1.0.0")["protocol_version"] == "1.1.0"
        old_request = {"protocol_version": "1.0.0", "seed_image": seed_png, "width": SIZE, "height": SIZE, "fov_deg": FOV}
        message_id = link.send("create_session", **old_request)
        raw = msgpack.unpackb(link._ws.recv(timeout=60), raw=False)
        assert raw["id"] == message_id and raw["type"] == "create_session"
        old_info = [f.name for f in old("SessionInfo").DESCRIPTOR.fields]
        assert set(old_info) <= set(raw["session"]) and raw["session"]["width"] == SIZE
        assert set(raw["session"]) - set(old_info) <= ADDED["SessionInfo"]
        sid = raw["session"]["session_id"]
        exported = link.call("export_geometry", session_id=sid)
        assert exported.ply.startswith(b"ply\n") and exported.glb == b""
        link.call("close_session", session_id=sid)
