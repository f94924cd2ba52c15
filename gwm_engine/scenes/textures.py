"""Procedural surface textures: value-noise fbm, bricks, tiles, wood, facades, road, sky; and
real images (a `texture_library.TextureLibrary`) tiled over surfaces.

Every pattern is a pure function of the world-space surface point, never of the view, so a
surface point has the same colour from every camera (a Lambertian world: reprojected colours
agree). Lattice hashing is integer arithmetic into a fixed random table rather than a sin()
trick, whose last-bit rounding differences would be amplified into different colours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache

import numpy as np
import torch


class Pattern(IntEnum):
    FLAT = 0  # colour a with a faint mottle
    MOTTLED = 1  # fbm blend of a and b: terrain, rock, plaster, foliage
    BRICK = 2  # a = bricks, b = mortar; param = brick height (m)
    TILES = 3  # a / b checker when they differ; param = tile size (m)
    WOOD = 4  # planks, a = light grain, b = dark grain; param = plank width (m)
    FACADE = 5  # a = wall, b = glass; param = storey height (m)
    ROAD = 6  # a = asphalt, b = lane paint, centre line along z at x = 0
    SKY = 7  # emissive gradient: a = horizon, b = zenith
    EMISSIVE = 8  # emissive colour a (lamps, windows)
    IMAGE = 9  # a library image tinted by a; param = metres one repeat of it spans

# What a texture library may stand in for: not the road (its lane lines say which way is level),
# not sky or lamps.
TEXTURABLE = (Pattern.FLAT, Pattern.MOTTLED, Pattern.BRICK, Pattern.TILES, Pattern.WOOD, Pattern.FACADE)
IMAGE_REPEAT_M = (0.8, 4.0)  # one repeat of a library image spans this many metres (log-uniform)


UNLIT = (Pattern.SKY, Pattern.EMISSIVE)


@dataclass(frozen=True)
class Material:
    pattern: Pattern
    a: tuple[float, float, float]
    b: tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale: float = 1.0  # noise features per metre
    param: float = 1.0


@dataclass(frozen=True)
class MaterialTable:
    """Materials as tensors, indexed by material id. `offset` decorrelates equal patterns."""

    pattern: torch.Tensor  # (K,) int64
    a: torch.Tensor  # (3, K) colours channel-first, like the shading arrays
    b: torch.Tensor  # (3, K)
    scale: torch.Tensor  # (K,)
    param: torch.Tensor  # (K,)
    offset: torch.Tensor  # (K,) shift along the texture's u axis
    texture: torch.Tensor | None = None  # (K,) int64 library image of each IMAGE material, else -1
    images: torch.Tensor | None = None  # (N, 3, S, S) the library's images, shared, not copied

    @classmethod
    def build(cls, materials: list[Material], generator: torch.Generator) -> MaterialTable:
        # The road's lane markings are anchored at x = 0, the street's centre line.
        anchored = torch.tensor([m.pattern == Pattern.ROAD for m in materials])
        offset = torch.rand(len(materials), generator=generator) * 200.0
        return cls(
            pattern=torch.tensor([int(m.pattern) for m in materials], dtype=torch.int64),
            a=torch.tensor([m.a for m in materials], dtype=torch.float32).T.contiguous(),
            b=torch.tensor([m.b for m in materials], dtype=torch.float32).T.contiguous(),
            scale=torch.tensor([m.scale for m in materials], dtype=torch.float32),
            param=torch.tensor([m.param for m in materials], dtype=torch.float32),
            offset=offset.masked_fill(anchored, 0.0),
        )

    def with_images(self, images: torch.Tensor, rng: np.random.Generator, share: float) -> MaterialTable:
        """This table with each TEXTURABLE material, with probability `share`, turned into a
        random one of `images` (N, 3, S, S), tinted by its own colour and repeated every 0.8-4 m."""
        picked = (rng.random(len(self.pattern)) < share) & np.isin(self.pattern.numpy(), [int(p) for p in TEXTURABLE])
        chosen = torch.from_numpy(picked)
        texture = torch.where(chosen, torch.from_numpy(rng.integers(0, len(images), len(picked))), -1)
        repeat = torch.from_numpy(np.exp(rng.uniform(*np.log(IMAGE_REPEAT_M), len(picked)))).float()
        # A faint tint: the image keeps its own colours, scenes still differ in hue.
        tint = (0.75 + 0.25 * self.a / self.a.mean(0, keepdim=True).clamp_min(0.05)).clamp(0, 1.5)
        return replace(
            self,
            pattern=torch.where(chosen, int(Pattern.IMAGE), self.pattern),
            a=torch.where(chosen, tint, self.a),
            param=torch.where(chosen, repeat, self.param),
            texture=texture,
            images=images,
        )


_NOISE_RES = 256  # texels per side of the baked noise tile (256 KB: stays in cache)
_NOISE_PERIOD = 16  # lattice cells per side of the tile: noise repeats every 16 units


@lru_cache(maxsize=1)
def _lattice() -> torch.Tensor:
    return torch.rand(256 * 256, generator=torch.Generator().manual_seed(0x5EED))


def cell_hash(ix: torch.Tensor, iy: torch.Tensor) -> torch.Tensor:
    """Uniform [0, 1) value per integer lattice cell (period 256)."""
    i = (ix & 255) * 256 + (iy & 255)
    return _lattice().index_select(0, i.reshape(-1)).reshape(i.shape)


@lru_cache(maxsize=1)
def _noise_tile() -> torch.Tensor:
    """Four octaves of smooth value noise baked once into a periodic tile, stretched to [0, 1]:
    one bilinear lookup then costs what a single octave computed on the fly would. Stored with
    its first row and column repeated at the end, so lookups never wrap."""
    x = (torch.arange(_NOISE_RES, dtype=torch.float64) + 0.5) * (_NOISE_PERIOD / _NOISE_RES)
    y, x = torch.meshgrid(x, x, indexing="ij")
    total = torch.zeros_like(x)
    for octave in range(4):
        f, period = 2**octave, _NOISE_PERIOD * 2**octave
        xs, ys = x * f, y * f
        fx, fy = torch.floor(xs), torch.floor(ys)
        sx, sy = xs - fx, ys - fy
        sx, sy = sx * sx * (3 - 2 * sx), sy * sy * (3 - 2 * sy)
        ix, iy = fx.long(), fy.long()
        # Wrapping the lattice at the tile's period makes the tile seamless; the octave
        # offset gives each octave its own lattice values.
        corners = [cell_hash((i % period) + 61 * octave, (j % period) + 17 * octave).double()
                   for j in (iy, iy + 1) for i in (ix, ix + 1)]
        top = torch.lerp(corners[0], corners[1], sx)
        total += torch.lerp(top, torch.lerp(corners[2], corners[3], sx), sy) / f
    total = ((total - total.min()) / (total.max() - total.min())).float()
    total = torch.cat([total, total[:, :1]], dim=1)
    return torch.cat([total, total[:1]], dim=0).reshape(-1)


def noise(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Fractal value noise in [0, 1] (mean about 0.5), features about 1 unit wide."""
    k = _NOISE_RES / _NOISE_PERIOD
    x, y = x * k - 0.5, y * k - 0.5
    fx, fy = torch.floor(x), torch.floor(y)
    sx, sy = x - fx, y - fy
    stride = _NOISE_RES + 1
    i = (fy.long() & (_NOISE_RES - 1)) * stride + (fx.long() & (_NOISE_RES - 1))
    tile = _noise_tile()
    top = torch.lerp(tile.index_select(0, i), tile.index_select(0, i + 1), sx)
    i += stride
    return torch.lerp(top, torch.lerp(tile.index_select(0, i), tile.index_select(0, i + 1), sx), sy)


def _mix(a: torch.Tensor, b: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    return a + (b - a) * w


def _smooth(x: torch.Tensor) -> torch.Tensor:
    return x * x * (3 - 2 * x)


# A pattern maps texture coordinates u, v and per-pixel scale and param (m,) to a blend weight w
# and a brightness factor f (m,); the colour is then (a + (b - a) * w) * f. Patterns never
# touch colours, so they run on scalars and the colour tables are read once per pixel.
def _flat(u, v, scale, param):
    return torch.zeros_like(u), 0.9 + 0.2 * noise(u * scale, v * scale)


def _mottled(u, v, scale, param):
    w = ((noise(u * scale, v * scale) - 0.3) / 0.4).clamp_(0, 1)
    return _smooth(w), 0.9 + 0.2 * noise(u * scale * 3.1, v * scale * 3.1)


def _bricks(u, v, scale, param):
    row = torch.floor(v / param)
    uu = u / (2.2 * param) + 0.5 * (row.long() & 1)
    col = torch.floor(uu)
    mortar = ((uu - col < 0.06) | (v / param - row < 0.12)).float()
    shade = 0.75 + 0.45 * cell_hash(col.long(), row.long()) + 0.15 * (noise(u * scale, v * scale) - 0.5)
    return mortar, _mix(shade, 1.0, mortar)


def _tiles(u, v, scale, param):
    cu, cv = torch.floor(u / param), torch.floor(v / param)
    grout = ((u / param - cu < 0.04) | (v / param - cv < 0.04)).float()
    iu, iv = cu.long(), cv.long()
    checker = ((iu + iv) & 1).float()
    shade = 0.9 + 0.15 * cell_hash(iu, iv) + 0.1 * (noise(u * scale, v * scale) - 0.5)
    return _mix(checker, 0.5, grout), _mix(shade, 0.55, grout)  # grout: half-way colour, darker


def _wood(u, v, scale, param):
    plank = torch.floor(v / param)
    ip = plank.long()
    seam = ((v / param - plank) < 0.04).float()
    warp = 1.5 * noise(u * 0.7 * scale, v * 5.0 * scale)
    rings = 0.5 + 0.5 * torch.sin(2 * math.pi * (v * 4.0 * scale + warp + 13.0 * cell_hash(ip, ip + 7)))
    return rings * rings, (0.85 + 0.3 * cell_hash(ip, ip * 3 + 1)) * (1 - 0.5 * seam)


def _facade(u, v, scale, param):
    storey, bay = param, 0.9 * param
    cu, cv = torch.floor(u / bay), torch.floor(v / storey)
    fu, fv = u / bay - cu, v / storey - cv
    window = ((fu > 0.22) & (fu < 0.78) & (fv > 0.3) & (fv < 0.85)).float()
    glass = 0.6 + 0.8 * cell_hash(cu.long(), cv.long())
    glass = glass + 1.5 * (glass > 1.28)  # a few lit windows
    wall = 0.9 + 0.2 * noise(u * scale, v * scale) - 0.25 * (fv < 0.06)
    return window, _mix(wall, glass, window)


def _road(u, v, scale, param):
    dash = (u.abs() < 0.08) & ((v / 6.0 - torch.floor(v / 6.0)) < 0.5)
    paint = (dash | ((u.abs() - param).abs() < 0.07)).float()
    return paint, _mix(0.8 + 0.4 * noise(u * scale, v * scale), 1.0, paint)


_PATTERNS = {
    Pattern.FLAT: _flat,
    Pattern.MOTTLED: _mottled,
    Pattern.BRICK: _bricks,
    Pattern.TILES: _tiles,
    Pattern.WOOD: _wood,
    Pattern.FACADE: _facade,
    Pattern.ROAD: _road,
}

_SUN_GLOW = torch.tensor([[1.0], [0.9], [0.7]])


def sky_colour(table: MaterialTable, mat: torch.Tensor, points: torch.Tensor, sun_dir: torch.Tensor) -> torch.Tensor:
    """Sky colour (3, M) of dome points (3, M), from their direction seen from the dome's centre."""
    d = points / (points * points).sum(dim=0).sqrt()
    h = d[1].clamp(0, 1)
    c = _mix(table.a.index_select(1, mat), table.b.index_select(1, mat), h.sqrt())
    glow = (d[0] * sun_dir[0] + d[1] * sun_dir[1] + d[2] * sun_dir[2]).clamp_min(0)
    c = c + (0.35 * glow**8 + 2.0 * (glow > 0.9995)) * _SUN_GLOW
    # Clouds: noise on the plane y = 1 above the dome centre, faded out toward the horizon
    # where that plane's pattern would shrink below a pixel.
    k = 0.6 / d[1].clamp_min(0.1)
    cloud = ((noise(d[0] * k + table.offset.index_select(0, mat), d[2] * k) - 0.45) * 2.5).clamp(0, 1)
    return _mix(c, 0.95, cloud * ((h - 0.1) * 4).clamp(0, 1) * 0.8).clamp(0, 1)


def _image(table: MaterialTable, mat: torch.Tensor, u: torch.Tensor, v: torch.Tensor, param: torch.Tensor) -> torch.Tensor:
    """Colour (3, m) of IMAGE materials `mat` at texture coordinates u, v (metres): their
    library image, bilinearly sampled, repeating every `param` metres, upright on walls."""
    S = table.images.shape[-1]
    x, y = u / param * S - 0.5, -v / param * S - 0.5
    x0, y0 = torch.floor(x), torch.floor(y)
    fx, fy = x - x0, y - y0
    ix, iy = x0.long() % S, y0.long() % S
    # Flat offsets into the (N, 3, S, S) images of each pixel's image and channel: (3, m).
    base = (table.texture.index_select(0, mat) * 3 + torch.arange(3)[:, None]) * (S * S)
    flat = table.images.reshape(-1)

    def at(r: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        return flat.take(base + r * S + c)

    top = torch.lerp(at(iy, ix), at(iy, (ix + 1) % S), fx)
    return torch.lerp(top, torch.lerp(at((iy + 1) % S, ix), at((iy + 1) % S, (ix + 1) % S), fx), fy)


def albedo(table: MaterialTable, mat: torch.Tensor, points: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Surface colour (3, M) of materials `mat` (M,) at world points (3, M) on surfaces whose
    normal is closest to world `axis` (M,): walls read (horizontal, y), floors (x, z)."""
    x, y, z = points
    # Per pixel: texture coordinates u, v and the material's scale and param, stacked so that
    # each pattern gathers its pixels in one go. Offsetting only u keeps patterns anchored in
    # height (storeys, brick courses) level.
    inputs = torch.stack([
        torch.where(axis == 0, z, x) + table.offset.index_select(0, mat),
        torch.where(axis == 1, z, y),
        table.scale.index_select(0, mat),
        table.param.index_select(0, mat),
    ])
    wf = torch.zeros(2, len(mat))
    wf[1] = 1.0
    pattern = table.pattern.index_select(0, mat)
    for p in torch.bincount(pattern, minlength=len(Pattern)).nonzero().squeeze(1).tolist():
        if p not in _PATTERNS:
            continue  # EMISSIVE: plain colour a; SKY: coloured by sky_colour
        sel = (pattern == p).nonzero().squeeze(1)
        wf.index_copy_(1, sel, torch.stack(_PATTERNS[Pattern(p)](*inputs.index_select(1, sel))))
    a = table.a.index_select(1, mat)
    colour = (a + (table.b.index_select(1, mat) - a) * wf[0]) * wf[1]
    image = (pattern == Pattern.IMAGE).nonzero().squeeze(1)
    if image.numel():
        u, v, _, param = inputs.index_select(1, image)
        colour.index_copy_(1, image, _image(table, mat.index_select(0, image), u, v, param) * a.index_select(1, image))
    return colour.clamp_(0, 1)
