"""Wire messages <-> engine objects on the server side: seeds, actions, frames, session info.

The functions here are plain and synchronous; the encoders are CPU work and are run on the
worker threads, never on the event loop.
"""

from __future__ import annotations

import time

import numpy as np

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import CameraAction
from gwm_engine.media import decode_image, encode_image
from gwm_engine.model.scale import ScaleHint
from gwm_engine.protocol import arrays
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.server.sessions import FrameEncoding, SessionEntry
from gwm_engine.world import StepFrame

DEFAULT_JPEG_QUALITY = 90
RGB_ENCODINGS = (pb.RGB_ENCODING_RAW, pb.RGB_ENCODING_JPEG, pb.RGB_ENCODING_PNG)
DEPTH_ENCODINGS = (pb.DEPTH_ENCODING_FLOAT32, pb.DEPTH_ENCODING_FLOAT16, pb.DEPTH_ENCODING_UINT16_MM)
GEOMETRY_FORMATS = (pb.GEOMETRY_FORMAT_PLY, pb.GEOMETRY_FORMAT_GLB)


def frame_encoding(rgb: int, depth: int, jpeg_quality: int, include_mask: bool) -> FrameEncoding:
    """Check the requested output encodings and fill in the defaults for UNSPECIFIED/0."""
    rgb = rgb or pb.RGB_ENCODING_RAW
    depth = depth or pb.DEPTH_ENCODING_FLOAT32
    if rgb not in RGB_ENCODINGS:  # proto3 keeps unknown enum numbers as plain ints
        raise InvalidInput(f"unknown rgb_encoding {rgb}")
    if depth not in DEPTH_ENCODINGS:
        raise InvalidInput(f"unknown depth_encoding {depth}")
    if not 0 <= jpeg_quality <= 100:
        raise InvalidInput(f"jpeg_quality must be 1..100 (0 = {DEFAULT_JPEG_QUALITY}), got {jpeg_quality}")
    return FrameEncoding(rgb, depth, jpeg_quality or DEFAULT_JPEG_QUALITY, include_mask)


def decode_seed(request: pb.CreateSessionRequest) -> tuple[np.ndarray, np.ndarray | None]:
    """The seed image (H, W, 3) uint8 and optional depth (H, W) float32 metres of a request."""
    encoding = request.seed_image_encoding
    if encoding == pb.RGB_ENCODING_RAW:
        image = arrays.raw_rgb_from_bytes(request.seed_image, request.seed_image_width, request.seed_image_height)
    elif encoding in (pb.RGB_ENCODING_UNSPECIFIED, pb.RGB_ENCODING_JPEG, pb.RGB_ENCODING_PNG):
        image = decode_image(request.seed_image)
    else:
        raise InvalidInput(f"unknown seed_image_encoding {encoding}")
    depth = None
    if request.seed_depth:
        h, w = image.shape[:2]
        depth = arrays.depth_from_bytes(request.seed_depth, request.seed_depth_encoding, w, h)
    return image, depth


def scale_hint(request: pb.CreateSessionRequest) -> ScaleHint | None:
    """The user's scale for the seed (0 in a field: not given); InvalidInput for a bad one."""
    distance, factor = request.scale_centre_distance_m, request.scale_factor
    if distance == 0 and factor == 0:
        return None
    hint = ScaleHint(centre_distance_m=distance if distance != 0 else None, factor=factor if factor != 0 else None)
    hint.validate()
    return hint


def geometry_format(value: int) -> int:
    """An ExportGeometryRequest.format with UNSPECIFIED made PLY; InvalidInput for an unknown one."""
    value = value or pb.GEOMETRY_FORMAT_PLY
    if value not in GEOMETRY_FORMATS:
        raise InvalidInput(f"unknown geometry format {value}: {pb.GEOMETRY_FORMAT_PLY} (PLY) or {pb.GEOMETRY_FORMAT_GLB} (GLB)")
    return value


def action_from_wire(message: pb.Action) -> CameraAction:
    """A validated CameraAction; InvalidInput names the action's seq."""
    try:
        if message.pose:
            return CameraAction(pose=arrays.pose_from_wire(message.pose)).validate()
        return CameraAction(
            move=(message.move_right_m, message.move_up_m, message.move_forward_m),
            turn=(message.turn_yaw_deg, message.turn_pitch_deg, message.turn_roll_deg),
        ).validate()
    except InvalidInput as e:
        raise InvalidInput(f"action seq {message.seq}: {e}") from None


# Per-stage encoding times, added to Frame.timings_ms: each is summed over both eyes of a stereo
# frame, and together with the message build ("server_encode_message") they make "server_encode".
ENCODE_STAGES = ("server_encode_rgb", "server_encode_depth", "server_encode_mask", "server_encode_message")


def frame_to_wire(frame: StepFrame, encoding: FrameEncoding, seq: int, client_time_us: int) -> pb.Frame:
    """Encode a world StepFrame (and its right eye) for the wire; adds the `server_encode` timing
    and its stages (ENCODE_STAGES).

    Each image is read once into the bytes the message holds: protobuf takes only `bytes`, so
    that one copy is the least there is before serialization."""
    t0 = time.perf_counter()
    stages = dict.fromkeys(ENCODE_STAGES, 0.0)
    eyes = [_encode_eye(frame, encoding, stages)]
    if frame.right is not None:
        eyes.append(_encode_eye(frame.right, encoding, stages))
    t = time.perf_counter()
    (rgb, depth, mask), K = eyes[0], frame.intrinsics
    message = pb.Frame(
        seq=seq,
        client_time_us=client_time_us,
        index=frame.index,
        pose=arrays.pose_to_wire(frame.pose),
        width=K.width,
        height=K.height,
        fx_px=K.fx,
        fy_px=K.fy,
        cx_px=K.cx,
        cy_px=K.cy,
        rgb_encoding=encoding.rgb,
        rgb=rgb,
        depth_encoding=encoding.depth,
        depth=depth,
        mask=mask,
    )
    if frame.right is not None:
        message.right_pose.extend(arrays.pose_to_wire(frame.right.pose))
        message.right_rgb, message.right_depth, message.right_mask = eyes[1]
    message.timings_ms.update(frame.timings)
    stages["server_encode_message"] = (time.perf_counter() - t) * 1e3
    message.timings_ms.update(stages)
    message.timings_ms["server_encode"] = (time.perf_counter() - t0) * 1e3
    return message


def _encode_eye(frame: StepFrame, encoding: FrameEncoding, stages: dict[str, float]) -> tuple[bytes, bytes, bytes]:
    """One eye's (rgb, depth, mask) bytes; adds each stage's milliseconds to `stages`."""
    t0 = time.perf_counter()
    rgb = _encode_rgb(frame.rgb, encoding)
    t1 = time.perf_counter()
    depth = arrays.depth_to_bytes(frame.depth, encoding.depth)
    t2 = time.perf_counter()
    stages["server_encode_rgb"] += (t1 - t0) * 1e3
    stages["server_encode_depth"] += (t2 - t1) * 1e3
    if not encoding.include_mask:
        return rgb, depth, b""
    mask = arrays.mask_to_bytes(frame.mask)
    stages["server_encode_mask"] += (time.perf_counter() - t2) * 1e3
    return rgb, depth, mask


def _encode_rgb(rgb: np.ndarray, encoding: FrameEncoding) -> bytes:
    if encoding.rgb == pb.RGB_ENCODING_JPEG:
        return encode_image(rgb, "jpeg", encoding.jpeg_quality)
    if encoding.rgb == pb.RGB_ENCODING_PNG:
        return encode_image(rgb, "png")
    # tobytes writes any layout in row order in one pass (ascontiguousarray first would copy a
    # strided view twice).
    return np.asarray(rgb, dtype=np.uint8).tobytes()


def session_info(entry: SessionEntry) -> pb.SessionInfo:
    session, config = entry.session, entry.session.config
    return pb.SessionInfo(
        session_id=entry.id,
        width=config.width,
        height=config.height,
        fov_deg=config.fov_deg,
        stereo=config.stereo,
        ipd_m=config.ipd_m,
        pose=arrays.pose_to_wire(session.pose),
        steps=session.steps,
        rgb_encoding=entry.encoding.rgb,
        depth_encoding=entry.encoding.depth,
        include_mask=entry.encoding.include_mask,
        median_depth_m=session.scale.median_depth_m,
        walk_speed_mps=session.scale.walk_speed_mps,
        turn_rate_dps=session.scale.turn_rate_dps,
        camera_height_m=session.scale.camera_height_m,  # None leaves the optional field unset
        walk=config.walk,
    )
