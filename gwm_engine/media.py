"""Image and depth I/O shared by the CLI and the transports: decode, encode, colour-map."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from gwm_engine.errors import InvalidInput

# Decoding is refused above this many pixels: a 100000x100000 PNG is a few KB on the wire and
# would need 30 GB decoded (a decompression bomb).
MAX_DECODE_PIXELS = 64_000_000


def decode_image(data: bytes) -> np.ndarray:
    """PNG/JPEG/WebP/BMP bytes -> (H, W, 3) uint8 RGB. Raises InvalidInput for anything else."""
    if not data:
        raise InvalidInput("image is empty")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > MAX_DECODE_PIXELS:
                raise InvalidInput(f"image is {im.width}x{im.height}, over {MAX_DECODE_PIXELS} pixels")
            if im.mode in ("I;16", "I;16B", "I;16L", "I"):
                # 16-bit greyscale: convert("RGB") clips every value above 255, so all but the
                # darkest pixels came out white. Scale 0..65535 to 0..255 instead.
                grey = (np.asarray(im, dtype=np.float64) / 257.0).round().clip(0, 255).astype(np.uint8)
                return np.repeat(grey[..., None], 3, axis=2)
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise InvalidInput(f"not a PNG, JPEG, WebP or BMP image (its {len(data)} bytes start with {data[:8].hex(' ')})") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise InvalidInput(f"the image cannot be decoded: {e}") from None


def load_image(path: str | Path) -> np.ndarray:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read image {path}: {e.strerror}") from None
    return decode_image(data)


def encode_image(rgb: np.ndarray, fmt: str = "png", quality: int = 90) -> bytes:
    fmt = fmt.lower()
    if fmt not in ("png", "jpeg", "jpg"):
        raise InvalidInput(f"unknown image encoding {fmt!r}; use png or jpeg")
    buf = io.BytesIO()
    im = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8))
    if fmt == "png":
        im.save(buf, format="PNG", compress_level=1)  # level 1: 5x faster than the default, ~10 % larger
    else:
        im.save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()


def to_rgb8(rgb) -> np.ndarray:
    """Float RGB in [0, 1] (numpy or torch, e.g. a rendered frame) -> uint8, rounded."""
    return (np.asarray(rgb, dtype=np.float32) * 255 + 0.5).clip(0, 255).astype(np.uint8)


def load_depth(path: str | Path) -> np.ndarray:
    """Metric z-depth from `.npy` (float metres) or a 16-bit PNG (millimetres) -> (H, W) float32."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".npy":
            depth = np.load(path, allow_pickle=False)
        else:
            with Image.open(path) as im:
                if im.mode not in ("I;16", "I;16B", "I"):
                    raise InvalidInput(f"depth PNG {path} must be 16-bit millimetres, got mode {im.mode}")
                depth = np.asarray(im, dtype=np.float32) / 1000.0
    except InvalidInput:
        raise
    except UnidentifiedImageError:
        raise InvalidInput(f"cannot read depth {path}: not a .npy file or a 16-bit PNG") from None
    except OSError as e:
        raise InvalidInput(f"cannot read depth {path}: {e.strerror or e}") from None
    except ValueError as e:
        raise InvalidInput(f"cannot read depth {path}: not a .npy array of numbers ({e})") from None
    if not (np.issubdtype(depth.dtype, np.floating) or np.issubdtype(depth.dtype, np.integer)):
        raise InvalidInput(f"depth {path} must hold numbers (metres), got an array of {depth.dtype.name.rstrip('0123456789')}")
    if depth.ndim == 3 and depth.shape[-1] == 1:
        depth = depth[..., 0]
    return np.asarray(depth, dtype=np.float32)


# Control points of a perceptually ordered blue-cyan-green-yellow-red map (near = warm).
_CMAP = np.array([
    [48, 18, 59], [70, 107, 227], [40, 187, 236], [49, 242, 153],
    [162, 252, 60], [237, 208, 58], [251, 128, 34], [208, 47, 5], [122, 4, 3],
], dtype=np.float32)


def colorize_depth(depth: np.ndarray, near: float | None = None, far: float | None = None) -> np.ndarray:
    """(H, W) metres -> (H, W, 3) uint8; inverse depth so near detail gets most of the colours."""
    d = np.asarray(depth, dtype=np.float32)
    inv = 1.0 / np.clip(d, 1e-3, None)
    lo = 1.0 / far if far else float(np.percentile(inv, 2))
    hi = 1.0 / near if near else float(np.percentile(inv, 98))
    t = np.clip((inv - lo) / max(hi - lo, 1e-9), 0, 1) * (len(_CMAP) - 1)
    i = np.minimum(t.astype(np.int32), len(_CMAP) - 2)
    w = (t - i)[..., None]
    return ((1 - w) * _CMAP[i] + w * _CMAP[i + 1]).astype(np.uint8)
