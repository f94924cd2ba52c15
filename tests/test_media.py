import io

import numpy as np
import pytest
from PIL import Image

from gwm_engine.errors import InvalidInput
from gwm_engine.media import colorize_depth, decode_image, encode_image, load_depth


def test_png_and_jpeg_round_trip(noise_image):
    assert np.array_equal(decode_image(encode_image(noise_image, "png")), noise_image)
    jpeg = decode_image(encode_image(noise_image, "jpeg", quality=95))
    assert jpeg.shape == noise_image.shape and np.abs(jpeg.astype(int) - noise_image).mean() < 12  # the image is noisy: JPEG loses some


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20])
def test_non_images_raise(data):
    with pytest.raises(InvalidInput):
        decode_image(data)


def test_decompression_bomb_is_refused():
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    # A PNG that claims 100000x100000 pixels: refused from its header, before any decoding.
    header = chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 2, 0, 0, 0))
    png = b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    with pytest.raises(InvalidInput, match="pixels"):
        decode_image(png)


def test_depth_png_millimetres(tmp_path):
    from PIL import Image

    mm = (np.arange(12, dtype=np.uint16).reshape(3, 4) + 1) * 500
    Image.fromarray(mm).save(tmp_path / "d.png")
    assert np.allclose(load_depth(tmp_path / "d.png"), mm / 1000.0)
    np.save(tmp_path / "d.npy", mm / 1000.0)
    assert load_depth(tmp_path / "d.npy").dtype == np.float32


def test_colorize_depth_near_is_warm():
    img = colorize_depth(np.array([[1.0, 100.0]], dtype=np.float32))
    assert img.shape == (1, 2, 3) and img[0, 0, 0] > img[0, 1, 0] and img[0, 1, 2] > img[0, 0, 2]


def test_16_bit_greyscale_png_keeps_its_tones():
    """A 16-bit greyscale photo (PIL mode I;16) decodes to its tones, not to white."""
    ramp = np.tile(np.linspace(0, 65535, 64).astype(np.uint16), (8, 1))
    buffer = io.BytesIO()
    Image.fromarray(ramp).save(buffer, format="PNG")
    rgb = decode_image(buffer.getvalue())
    assert rgb.shape == (8, 64, 3) and rgb.dtype == np.uint8
    assert np.array_equal(rgb[..., 0], rgb[..., 2])
    assert np.abs(rgb[..., 0].astype(int) - np.round(ramp / 257.0)).max() <= 1
    assert rgb[0, 0, 0] == 0 and rgb[0, -1, 0] == 255 and 100 < rgb[0, 32, 0] < 160
