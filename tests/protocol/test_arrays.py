"""Array <-> bytes conversions shared by the daemon and the SDK."""

import numpy as np
import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol import arrays
from gwm_engine.protocol._proto import world_pb2 as pb

DEPTH = np.array([[0.5, 1.234567], [65.6, 1e6]], dtype=np.float32)


def test_float32_depth_is_exact():
    data = arrays.depth_to_bytes(DEPTH, pb.DEPTH_ENCODING_FLOAT32)
    assert len(data) == 16
    np.testing.assert_array_equal(arrays.depth_from_bytes(data, pb.DEPTH_ENCODING_FLOAT32, 2, 2), DEPTH)


def test_float16_depth_saturates_instead_of_overflowing():
    out = arrays.depth_from_bytes(arrays.depth_to_bytes(DEPTH, pb.DEPTH_ENCODING_FLOAT16), pb.DEPTH_ENCODING_FLOAT16, 2, 2)
    np.testing.assert_allclose(out[0], DEPTH[0], rtol=1e-3)
    assert out[1, 1] == arrays.FLOAT16_MAX


def test_uint16_millimetres_round_and_saturate():
    data = arrays.depth_to_bytes(np.array([[0.5, 1.234567], [65.6, np.nan]], np.float32), pb.DEPTH_ENCODING_UINT16_MM)
    assert np.frombuffer(data, "<u2").tolist() == [500, 1235, 65535, 0]  # NaN: 0 = unknown
    np.testing.assert_allclose(arrays.depth_from_bytes(data, pb.DEPTH_ENCODING_UINT16_MM, 2, 2)[0], (0.5, 1.235))


def test_sizes_are_checked():
    with pytest.raises(InvalidInput, match="needs 16 bytes"):
        arrays.depth_from_bytes(b"\0" * 15, pb.DEPTH_ENCODING_FLOAT32, 2, 2)
    with pytest.raises(InvalidInput, match="unknown depth encoding"):
        arrays.depth_from_bytes(b"", 42, 2, 2)
    with pytest.raises(InvalidInput, match="needs 12 bytes"):
        arrays.raw_rgb_from_bytes(b"\0" * 11, 2, 2)
    with pytest.raises(InvalidInput, match="16 values"):
        arrays.pose_from_wire([0.0] * 12)


def test_poses_are_row_major_and_masks_one_byte_per_pixel():
    pose = np.arange(16, dtype=np.float64).reshape(4, 4)
    assert arrays.pose_to_wire(pose)[:4] == [0.0, 1.0, 2.0, 3.0]
    np.testing.assert_array_equal(arrays.pose_from_wire(arrays.pose_to_wire(pose)), pose)
    mask = np.array([[True, False, True]])
    assert arrays.mask_to_bytes(mask) == b"\xff\x00\xff"
    np.testing.assert_array_equal(arrays.mask_from_bytes(b"\xff\x00\x01", 3, 1), [[True, False, True]])
