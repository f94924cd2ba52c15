"""Real textures for the renderer: images from game data packages, packed once into one file.

    python -m gwm_engine.scenes.texture_library runs/textures.npz /usr/share/games/openarena/baseoa/*.pk3 \\
        --package openarena-088-data --licence GPL-2+ --include textures/ models/

Sources are folders or zip archives (a game's .pk3 is a zip) of JPEG, PNG or TGA images. Each
is centre-cropped to a square and resized to `size` texels. Skipped: images mostly transparent
(decals, sprites), nearly uniform (masks, light maps) or mostly black (glows and effects drawn
over black); `--include` keeps only paths under the given folders (a game's HUD graphics and
level screenshots are not surfaces). The file keeps every texture's name and the package and
licence it came from: a data set rendered with it must say where its textures came from. Tests
and the shipped model never need such a file; it only feeds
`training.data.write_seed_view_shards` (`SeedViewConfig.textures`). Images are not mip-mapped,
so a far, finely textured wall aliases: the renderer's 2x2 supersampling is the only filter.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image, UnidentifiedImageError

from gwm_engine.errors import InvalidInput

SUFFIXES = (".jpg", ".jpeg", ".png", ".tga")
MIN_OPAQUE = 0.9  # share of texels with alpha over half, below which an image is a decal or sprite
MIN_CONTRAST = 0.02  # luminance standard deviation (0..1) below which an image is a flat fill
MAX_BLACK = 0.4  # share of texels darker than 0.05 luminance above which an image is an effect


@dataclass(frozen=True)
class TextureLibrary:
    images: torch.Tensor  # (N, 3, S, S) float in [0, 1]
    names: tuple[str, ...]  # where each image was found: "archive.pk3:textures/.../x.jpg"
    sources: tuple[str, ...]  # per image: "package (licence)"

    def __len__(self) -> int:
        return len(self.names)

    def save(self, path: str | Path) -> None:
        pixels = (self.images * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
        meta = json.dumps({"names": self.names, "sources": self.sources})
        with open(path, "wb") as f:  # a file object: np.savez would add .npz to other names
            np.savez_compressed(f, images=pixels, meta=np.array(meta))

    @classmethod
    def load(cls, path: str | Path) -> TextureLibrary:
        try:
            with np.load(path) as doc:
                pixels, meta = doc["images"], json.loads(str(doc["meta"]))
        except (OSError, KeyError, ValueError) as e:
            raise InvalidInput(f"{path} is not a texture library (python -m gwm_engine.scenes.texture_library): {e}") from None
        return cls(torch.from_numpy(pixels).float() / 255, tuple(meta["names"]), tuple(meta["sources"]))


def _square(image: Image.Image, size: int) -> np.ndarray | None:
    """(size, size, 3) uint8 of the image's centre square, or None where it is no surface texture."""
    rgba = np.asarray(image.convert("RGBA"))
    if (rgba[..., 3] > 127).mean() < MIN_OPAQUE:
        return None
    h, w = rgba.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = Image.fromarray(rgba[top:top + side, left:left + side, :3]).resize((size, size), Image.BICUBIC)
    pixels = np.asarray(square)
    lum = pixels.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32) / 255
    if lum.std() < MIN_CONTRAST or (lum < 0.05).mean() > MAX_BLACK:
        return None
    return pixels


def _images(source: Path, include: tuple[str, ...]):
    """(name, bytes) of every image file in a folder or zip archive whose path inside it starts
    with one of `include` (any, if empty), in a stable order."""
    wanted = lambda inner: Path(inner).suffix.lower() in SUFFIXES and (not include or inner.startswith(include))  # noqa: E731
    if source.is_dir():
        for p in sorted(source.rglob("*")):
            if wanted(p.relative_to(source).as_posix()):
                yield str(p), p.read_bytes()
        return
    try:
        with zipfile.ZipFile(source) as z:
            for name in sorted(z.namelist()):
                if wanted(name):
                    yield f"{source.name}:{name}", z.read(name)
    except (zipfile.BadZipFile, FileNotFoundError, IsADirectoryError) as e:
        raise InvalidInput(f"{source}: not a folder or zip archive of images ({e})") from None


def build_library(sources: list[Path], package: str, licence: str, size: int = 128,
                  include: tuple[str, ...] = ()) -> TextureLibrary:
    """Every usable image of `sources` (under `include`'s folders, if given), each recorded as
    coming from `package` under `licence`."""
    pixels, names = [], []
    for source in sources:
        for name, data in _images(Path(source), include):
            try:
                square = _square(Image.open(io.BytesIO(data)), size)
            except (UnidentifiedImageError, OSError, ValueError):
                continue  # a format PIL cannot read (some TGA variants): not a texture we can use
            if square is not None:
                pixels.append(square)
                names.append(name)
    if not pixels:
        raise InvalidInput(f"no usable images in {', '.join(map(str, sources))}")
    images = torch.from_numpy(np.stack(pixels)).permute(0, 3, 1, 2).float() / 255
    return TextureLibrary(images, tuple(names), (f"{package} ({licence})",) * len(names))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("sources", type=Path, nargs="+", help="folders or zip archives (.pk3) of images")
    p.add_argument("--package", required=True, help="the package the images come from, as recorded with them")
    p.add_argument("--licence", required=True, help="its licence, as recorded with them")
    p.add_argument("--size", type=int, default=128)
    p.add_argument("--include", nargs="*", default=[], help="keep only paths under these folders (e.g. textures/ models/)")
    args = p.parse_args(argv)
    try:
        library = build_library(args.sources, args.package, args.licence, args.size, tuple(args.include))
    except InvalidInput as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    library.save(args.out)
    print(f"{len(library)} textures of {args.size}x{args.size} from {args.package} ({args.licence}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
