"""Frames through the SDK: every encoding decodes to the same arrays (or close, when lossy)."""

import numpy as np
import pytest

from gwm_engine.evaluation.metrics import psnr

SIZE = 64


@pytest.fixture
def reference(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        yield session.step(turn=(20.0, 0.0, 0.0))  # some generated pixels, so the mask is mixed


def step_with(client, seed_png, **encodings):
    with client.create_session(seed_png, width=SIZE, height=SIZE, **encodings) as session:
        return session.step(turn=(20.0, 0.0, 0.0))


def test_reference_frame_is_raw_float32_with_a_mixed_mask(reference):
    assert reference.mask is not None and 0.05 < reference.mask.mean() < 0.95


def test_png_is_lossless(client, seed_png, reference):
    frame = step_with(client, seed_png, rgb_encoding="png")
    np.testing.assert_array_equal(frame.rgb, reference.rgb)


def test_jpeg_is_close(client, seed_png, reference):
    frame = step_with(client, seed_png, rgb_encoding="jpeg")
    assert frame.rgb.shape == reference.rgb.shape and frame.rgb.dtype == np.uint8
    assert psnr(frame.rgb, reference.rgb) > 25.0


def test_float16_depth_is_close(client, seed_png, reference):
    frame = step_with(client, seed_png, depth_encoding="float16")
    assert frame.depth.dtype == np.float32
    np.testing.assert_allclose(frame.depth, reference.depth, rtol=1e-3)


def test_uint16_millimetre_depth_is_within_half_a_millimetre(client, seed_png, reference):
    frame = step_with(client, seed_png, depth_encoding="uint16_mm")
    assert frame.depth.dtype == np.float32
    np.testing.assert_allclose(frame.depth, reference.depth, atol=0.0005 + 1e-6)


def test_the_mask_is_optional(client, seed_png):
    assert step_with(client, seed_png, include_mask=False).mask is None


def test_a_path_bytes_or_an_array_seed_the_same_world(client, seed_png, noise_image, tmp_path):
    path = tmp_path / "seed.png"
    path.write_bytes(seed_png)
    frames = []
    for image in (path, str(path), seed_png, noise_image):
        with client.create_session(image, width=SIZE, height=SIZE) as session:
            frames.append(session.frame)
    for frame in frames[1:]:
        np.testing.assert_array_equal(frame.rgb, frames[0].rgb)


def test_seed_depth_is_used(client, noise_image):
    depth = np.full(noise_image.shape[:2], 3.0, dtype=np.float32)
    with client.create_session(noise_image, depth=depth, width=SIZE, height=SIZE) as session:
        np.testing.assert_allclose(session.frame.depth, 3.0, rtol=1e-5)


def test_unknown_encoding_names_fail_before_sending(client, seed_png):
    with pytest.raises(ValueError, match="rgb_encoding"):
        client.create_session(seed_png, rgb_encoding="webp")
    with pytest.raises(ValueError, match="HxWx3|\\(H, W, 3\\)"):
        client.create_session(np.zeros((4, 4), np.uint8))
