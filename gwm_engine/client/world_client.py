"""The Python SDK: a blocking gRPC client for the gwm.v1 daemon.

    with WorldClient("127.0.0.1:50051") as client:
        session = client.create_session("room.png", width=256, height=256)
        frame = session.step(move=(0, 0, 0.1), turn=(5, 0, 0))
        for frame in session.play(CameraAction(move=(0, 0, 0.05)) for _ in range(100)):
            show(frame.rgb, frame.depth)

Every failure the server reports raises WorldError with its gRPC status code.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import grpc
import numpy as np
from google.protobuf.json_format import MessageToDict

from gwm_engine.client.errors import WorldError
from gwm_engine.client.frames import Frame, frame_from_wire
from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import CameraAction
from gwm_engine.protocol import arrays, chunks
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.protocol._proto import world_pb2_grpc as pb_grpc
from gwm_engine.protocol.limits import CHUNK_BYTES, MAX_MESSAGE_BYTES, MAX_WORLD_FILE_BYTES
from gwm_engine.protocol.version import PROTOCOL_VERSION

RGB_ENCODINGS = {"raw": pb.RGB_ENCODING_RAW, "jpeg": pb.RGB_ENCODING_JPEG, "png": pb.RGB_ENCODING_PNG}
DEPTH_ENCODINGS = {
    "float32": pb.DEPTH_ENCODING_FLOAT32,
    "float16": pb.DEPTH_ENCODING_FLOAT16,
    "uint16_mm": pb.DEPTH_ENCODING_UINT16_MM,
}
GEOMETRY_FORMATS = {"ply": pb.GEOMETRY_FORMAT_PLY, "glb": pb.GEOMETRY_FORMAT_GLB}

if TYPE_CHECKING:  # the SDK does not import the model package at run time (torch and all)
    from gwm_engine.model.scale import ScaleHint

_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    # Ping an idle connection every 20 s so a dead daemon is noticed; the daemon accepts
    # pings down to every 5 s.
    ("grpc.keepalive_time_ms", 20_000),
    ("grpc.keepalive_timeout_ms", 10_000),
]


class WorldClient:
    """A connection to one daemon. `timeout_s` bounds every unary call (None: no deadline)."""

    def __init__(self, address: str = "127.0.0.1:50051", token: str | None = None, timeout_s: float | None = 60.0):
        self.address = address
        self.timeout_s = timeout_s
        self._metadata = (("authorization", f"Bearer {token}"),) if token else ()
        self._channel = grpc.insecure_channel(address, options=_CHANNEL_OPTIONS)
        self._stub = pb_grpc.WorldServiceStub(self._channel)

    def __enter__(self) -> WorldClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (sessions stay on the server until closed or idle-evicted)."""
        self._channel.close()

    def _call(self, method, request):
        try:
            return method(request, timeout=self.timeout_s, metadata=self._metadata)
        except grpc.RpcError as e:
            raise WorldError.from_rpc(e) from None

    def _download(self, method, request, what: str) -> bytes:
        """A file from a *Chunks call, reassembled. No deadline: a big file takes its time."""
        file = chunks.Reassembly(what, MAX_WORLD_FILE_BYTES)
        responses = method(request, metadata=self._metadata)
        try:
            for chunk in responses:
                file.add(chunk.data, chunk.offset, chunk.total_bytes)
            return bytes(file.file())
        except grpc.RpcError as e:
            raise WorldError.from_rpc(e) from None
        except InvalidInput as e:  # chunks that do not add up: a bug in the daemon
            raise WorldError(grpc.StatusCode.INTERNAL, str(e)) from None
        finally:
            responses.cancel()

    def info(self) -> dict:
        """GetInfo as a dict: model, protocol version, limits, encodings."""
        response = self._call(self._stub.GetInfo, pb.GetInfoRequest())
        return MessageToDict(response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)

    def create_session(
        self,
        image: str | Path | bytes | np.ndarray,
        depth: np.ndarray | None = None,
        width: int = 256,
        height: int = 256,
        fov_deg: float = 60.0,
        stereo: bool = False,
        ipd_m: float = 0.064,
        rgb_encoding: str = "raw",
        depth_encoding: str = "float32",
        include_mask: bool = True,
        seed: int = 0,
        scale_hint: ScaleHint | None = None,
        walk: bool = False,
    ) -> Session:
        """Seed a world. `image`: a file path, PNG/JPEG bytes or an (H, W, 3) uint8 array;
        `depth`: optional (H, W) metres for that image. The session's first frame is `session.frame`.

        `scale_hint`: a `gwm_engine.model.scale.ScaleHint` (the distance in metres to what lies
        at the image centre, or a factor for the estimated depth) where you know the scene's
        scale. `walk`: walk mode (relative moves stop short of surfaces and keep above the
        ground; not for VR). The world's measured scale is in `session.walk_speed_mps` etc."""
        request = pb.CreateSessionRequest(
            protocol_version=PROTOCOL_VERSION,
            width=width,
            height=height,
            fov_deg=fov_deg,
            stereo=stereo,
            ipd_m=ipd_m,
            rgb_encoding=_choice(RGB_ENCODINGS, rgb_encoding, "rgb_encoding"),
            depth_encoding=_choice(DEPTH_ENCODINGS, depth_encoding, "depth_encoding"),
            include_mask=include_mask,
            seed=seed,
            walk=walk,
        )
        if scale_hint is not None:
            request.scale_centre_distance_m = float(scale_hint.centre_distance_m or 0.0)
            request.scale_factor = float(scale_hint.factor or 0.0)
        if isinstance(image, np.ndarray):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f"image array must be (H, W, 3) uint8, got {image.shape} {image.dtype}")
            request.seed_image = np.ascontiguousarray(image).tobytes()
            request.seed_image_encoding = pb.RGB_ENCODING_RAW
            request.seed_image_height, request.seed_image_width = image.shape[:2]
        elif isinstance(image, (bytes, bytearray)):
            request.seed_image = bytes(image)
        else:
            request.seed_image = Path(image).read_bytes()
        if depth is not None:
            request.seed_depth = arrays.depth_to_bytes(np.asarray(depth, dtype=np.float32), pb.DEPTH_ENCODING_FLOAT32)
            request.seed_depth_encoding = pb.DEPTH_ENCODING_FLOAT32
        response = self._call(self._stub.CreateSession, request)
        return Session(self, response.session, frame_from_wire(response.first_frame))

    def load_world(
        self, data: bytes, rgb_encoding: str = "raw", depth_encoding: str = "float32", include_mask: bool = True
    ) -> Session:
        """A new session from `Session.save()` bytes; step it for its first frame. Worlds over
        one chunk (4 MiB) go in chunks (LoadWorldChunks), so any size the daemon takes loads."""
        fields = dict(
            protocol_version=PROTOCOL_VERSION,
            rgb_encoding=_choice(RGB_ENCODINGS, rgb_encoding, "rgb_encoding"),
            depth_encoding=_choice(DEPTH_ENCODINGS, depth_encoding, "depth_encoding"),
            include_mask=include_mask,
        )
        if len(data) <= CHUNK_BYTES:
            return Session(self, self._call(self._stub.LoadWorld, pb.LoadWorldRequest(world=data, **fields)).session)

        def requests() -> Iterator[pb.LoadWorldChunk]:
            for offset, piece in chunks.pieces(data):
                yield pb.LoadWorldChunk(data=piece, offset=offset, total_bytes=len(data), **(fields if offset == 0 else {}))

        try:
            response = self._stub.LoadWorldChunks(requests(), metadata=self._metadata)
        except grpc.RpcError as e:
            raise WorldError.from_rpc(e) from None
        return Session(self, response.session)


class Session:
    """One world on the server. Not for concurrent use from several threads."""

    def __init__(self, client: WorldClient, info: pb.SessionInfo, frame: Frame | None = None):
        self._client = client
        self.info = info  # the SessionInfo as the server sent it
        self.id = info.session_id
        self.width, self.height, self.fov_deg = info.width, info.height, info.fov_deg
        self.stereo, self.ipd_m = info.stereo, info.ipd_m
        # The world's own scale, measured from its seed: move at walk_speed_mps and turn at
        # turn_rate_dps and a cup and a valley both feel walkable.
        self.median_depth_m = info.median_depth_m
        self.walk_speed_mps = info.walk_speed_mps
        self.turn_rate_dps = info.turn_rate_dps
        # Height of the start camera above the ground the seed shows; None where it shows none.
        self.camera_height_m = info.camera_height_m if info.HasField("camera_height_m") else None
        self.walk = info.walk
        self.frame = frame  # the latest frame received (None for a fork or load until stepped)
        self._initial_pose = arrays.pose_from_wire(info.pose)
        self._seq = itertools.count(1)
        self.closed = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        if not self.closed:
            self.close()

    @property
    def pose(self) -> np.ndarray:
        """The latest known world-from-camera pose (of the left eye when stereo)."""
        return self.frame.pose if self.frame is not None else self._initial_pose

    def _action(self, action: CameraAction) -> pb.Action:
        message = pb.Action(session_id=self.id, seq=next(self._seq), client_time_us=time.time_ns() // 1000)
        if action.pose is not None:
            message.pose.extend(arrays.pose_to_wire(action.pose))
        else:
            message.move_right_m, message.move_up_m, message.move_forward_m = (float(v) for v in action.move)
            message.turn_yaw_deg, message.turn_pitch_deg, message.turn_roll_deg = (float(v) for v in action.turn)
        return message

    def _step(self, action: CameraAction) -> Frame:
        self.frame = frame_from_wire(self._client._call(self._client._stub.Step, self._action(action)))
        return self.frame

    def step(self, move: Sequence[float] = (0.0, 0.0, 0.0), turn: Sequence[float] = (0.0, 0.0, 0.0)) -> Frame:
        """Turn (yaw, pitch, roll degrees), then move (right, up, forward metres) in the turned frame."""
        return self._step(CameraAction(move=tuple(move), turn=tuple(turn)))

    def reset(self) -> Frame:
        """Back to the start pose: the frame there shows the seed's view again."""
        request = pb.ResetRequest(session_id=self.id, seq=next(self._seq), client_time_us=time.time_ns() // 1000)
        self.frame = frame_from_wire(self._client._call(self._client._stub.Reset, request))
        return self.frame

    def set_pose(self, pose: np.ndarray) -> Frame:
        """Jump to an absolute 4x4 world-from-camera pose (VR head tracking)."""
        return self._step(CameraAction(pose=np.asarray(pose, dtype=np.float64)))

    def play(self, actions: Iterable[CameraAction]) -> Iterator[Frame]:
        """Stream actions, yield frames. Latest action wins: if actions come faster than frames,
        the server folds the pending ones together, so there may be fewer frames than actions;
        each frame's `seq` says which action it answers last (actions are numbered from 1 per session)."""
        responses = self._client._stub.Play((self._action(a) for a in actions), metadata=self._client._metadata)
        try:
            for message in responses:
                self.frame = frame_from_wire(message)
                yield self.frame
        except grpc.RpcError as e:
            raise WorldError.from_rpc(e) from None
        finally:
            responses.cancel()  # the caller stopped early: end the stream instead of leaking it

    def fork(self) -> Session:
        """An independent copy of this world and pose, as a new session."""
        info = self._client._call(self._client._stub.Fork, pb.ForkRequest(session_id=self.id)).session
        return Session(self._client, info)

    def save(self) -> bytes:
        """The world file (msgpack); `WorldClient.load_world` restores it. It comes in chunks
        (SaveWorldChunks), so a world of any size can be saved."""
        return self._client._download(self._client._stub.SaveWorldChunks, pb.SaveWorldRequest(session_id=self.id), "world file")

    def export_geometry(self, format: str = "ply", collision_faces: int = 0) -> bytes:
        """The world as a file: "ply", a binary PLY point cloud (x y z float, red green blue
        uchar), or "glb", glTF binary with mesh "world" (the surfaces, vertex colours) and mesh
        "collision" (at most `collision_faces` triangles; 0: the server's default, 20000)."""
        request = pb.ExportGeometryRequest(
            session_id=self.id, format=_choice(GEOMETRY_FORMATS, format, "format"), collision_faces=collision_faces
        )
        return self._client._download(self._client._stub.ExportGeometryChunks, request, f"{format} file")  # chunks, as `save`

    def close(self) -> None:
        self._client._call(self._client._stub.CloseSession, pb.CloseSessionRequest(session_id=self.id))
        self.closed = True


def _choice(options: dict[str, int], name: str, what: str) -> int:
    if name not in options:
        raise ValueError(f"{what} must be one of {', '.join(options)}, got {name!r}")
    return options[name]
