"""Frames to the wire: the bytes are the step's arrays, and the encoding is timed per stage."""

import io

import numpy as np
import pytest
from PIL import Image

from gwm_engine.client.frames import frame_from_wire
from gwm_engine.geometry import CameraAction
from gwm_engine.protocol._proto import world_pb2 as pb
from gwm_engine.server.message_conversion import ENCODE_STAGES, frame_encoding, frame_to_wire
from gwm_engine.world import SessionConfig, WorldSession


@pytest.fixture(scope="module")
def stereo_frame(model, noise_image):
    session = WorldSession.create(noise_image, None, SessionConfig(96, 64, stereo=True), model)
    return session.step(CameraAction(move=(0.0, 0.0, 0.1), turn=(6.0, 0.0, 0.0)))


def test_raw_frames_carry_the_steps_arrays_exactly(stereo_frame):
    message = frame_to_wire(stereo_frame, frame_encoding(pb.RGB_ENCODING_RAW, pb.DEPTH_ENCODING_FLOAT32, 0, True), 7, 0)
    frame = frame_from_wire(message)
    for ours, theirs in ((stereo_frame, frame), (stereo_frame.right, frame.right)):
        np.testing.assert_array_equal(theirs.rgb, ours.rgb)
        np.testing.assert_array_equal(theirs.depth, ours.depth)
        np.testing.assert_array_equal(theirs.mask, ours.mask)
        assert 0 < ours.mask.mean() < 1  # both kinds of pixel, so the mask's bytes are tested


@pytest.mark.parametrize(
    "rgb, depth, mask",
    [
        (pb.RGB_ENCODING_RAW, pb.DEPTH_ENCODING_FLOAT32, True),
        (pb.RGB_ENCODING_JPEG, pb.DEPTH_ENCODING_FLOAT16, True),
        (pb.RGB_ENCODING_PNG, pb.DEPTH_ENCODING_UINT16_MM, False),
    ],
)
def test_each_encoding_stage_is_timed_and_they_add_up(stereo_frame, rgb, depth, mask):
    message = frame_to_wire(stereo_frame, frame_encoding(rgb, depth, 0, mask), 1, 0)
    timings = dict(message.timings_ms)
    stages = [timings[key] for key in ENCODE_STAGES]
    assert all(t >= 0 for t in stages)
    assert timings["server_encode_rgb"] > 0 and timings["server_encode_depth"] > 0
    # The stages are parts of server_encode: together no more than it, and most of it.
    assert 0.5 * timings["server_encode"] <= sum(stages) <= timings["server_encode"]
    assert (timings["server_encode_mask"] > 0) == mask
    assert {"render", "complete", "fuse", "total"} <= timings.keys()  # the step's own, kept beside them


def test_jpeg_stage_is_the_jpeg_encoder(stereo_frame):
    """JPEG costs more than copying the raw bytes, and what is sent decodes to the frame."""
    raw = frame_to_wire(stereo_frame, frame_encoding(pb.RGB_ENCODING_RAW, pb.DEPTH_ENCODING_FLOAT32, 0, True), 1, 0)
    jpeg = frame_to_wire(stereo_frame, frame_encoding(pb.RGB_ENCODING_JPEG, pb.DEPTH_ENCODING_FLOAT32, 95, True), 1, 0)
    decoded = np.asarray(Image.open(io.BytesIO(jpeg.rgb)).convert("RGB"))
    assert np.abs(decoded.astype(int) - stereo_frame.rgb).mean() < 8
    assert len(jpeg.rgb) < len(raw.rgb)
