"""Client-side frames: wire messages decoded to numpy arrays."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from gwm_engine.geometry import Intrinsics
from gwm_engine.protocol import arrays
from gwm_engine.protocol._proto import world_pb2 as pb


@dataclass
class Frame:
    """One decoded view. Raw RGB and the mask are read-only views of the received bytes (no
    copy); copy them to draw on them."""

    rgb: np.ndarray  # (H, W, 3) uint8
    depth: np.ndarray  # (H, W) float32 metric z-depth, metres
    mask: np.ndarray | None  # (H, W) bool, True where seen before (cache), False where generated; None unless requested
    pose: np.ndarray  # (4, 4) float64 world-from-camera
    intrinsics: Intrinsics
    seq: int  # the last action this frame answers (0 for a session's first frame)
    index: int  # steps the session has taken
    client_time_us: int  # echoed from that action
    timings: dict[str, float] = field(default_factory=dict)  # server-side, milliseconds
    right: Frame | None = None  # stereo: the right eye (this frame is the left eye)


def frame_from_wire(message: pb.Frame) -> Frame:
    w, h = message.width, message.height
    intrinsics = Intrinsics(message.fx_px, message.fy_px, message.cx_px, message.cy_px, w, h)

    def eye(pose, rgb: bytes, depth: bytes, mask: bytes) -> Frame:
        return Frame(
            rgb=_decode_rgb(rgb, message.rgb_encoding, w, h),
            depth=arrays.depth_from_bytes(depth, message.depth_encoding, w, h),
            mask=arrays.mask_from_bytes(mask, w, h) if mask else None,
            pose=arrays.pose_from_wire(pose),
            intrinsics=intrinsics,
            seq=message.seq,
            index=message.index,
            client_time_us=message.client_time_us,
            timings=dict(message.timings_ms),
        )

    frame = eye(message.pose, message.rgb, message.depth, message.mask)
    if message.right_pose:
        frame.right = eye(message.right_pose, message.right_rgb, message.right_depth, message.right_mask)
    return frame


def _decode_rgb(data: bytes, encoding: int, width: int, height: int) -> np.ndarray:
    if encoding in (pb.RGB_ENCODING_JPEG, pb.RGB_ENCODING_PNG):
        with Image.open(io.BytesIO(data)) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8)
    return arrays.raw_rgb_from_bytes(data, width, height)
