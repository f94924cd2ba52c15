"""Compositing samples of the world into an image: a z-test that knows when two samples are one surface.

Everything the world holds reaches the image as samples: target pixel, depth, a colour and a
priority (the layers' continuous surfaces and the cache's surfels alike). Per pixel:
1. the nearest depth sets the front surface: every sample within SAME_SURFACE of it shows it;
2. among those, the best priority wins: the older observation, the seed's above all, so points
   fused later on a surface the seed showed never speckle over it (ties: the first sample).
Isolated pixels that no sample reached inside a surface are closed from their neighbours.
Colours are only looked up for the winners: a magnified layer makes several samples a pixel,
and interpolating colour for all of them would cost more than the rest of the render.

Priorities (`raster.priority`): by age for exact samples, and after them the wider footprint
of a surfel seen from closer than it was made, which yields to any exact sample.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.world import raster

NEAR_M = 0.05
# Samples within this fraction of the nearest depth at a pixel belong to its front surface.
SAME_SURFACE = 0.03
# A surfel wider than this many pixels (radius) also stamps its 8 neighbours.
FOOTPRINT_MIN_RADIUS_PX = 0.75
# Sampling a slightly magnified surface one sample a pixel leaves lines of gaps; a second pass
# closes where two lines cross (4 covered neighbours before the first pass, 8 after).
PINHOLE_PASSES = 2
# A winner key is priority << raster.INDEX_BITS | sample number, so one min-reduction picks both.
_NO_KEY = torch.iinfo(torch.int64).max
_ALL = np.zeros(0, dtype=np.bool_)  # raster.pixels' `keep` for every sample

# The colour of samples: (indices (n,), du (n,), dv (n,)) -> (n, 3) float32 0..255, where (du, dv)
# leads from each sample's position to the centre of the pixel it won: a continuous surface
# looks its colour up there, exactly, rather than where its sample happened to fall.
Colour = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def table(rgb: torch.Tensor) -> Colour:
    """The colours of samples that carry one each: rgb (N, 3), uint8 or float."""
    return lambda idx, du, dv: rgb.index_select(0, idx).float()


def _through(colour: Colour, sel: torch.Tensor) -> Colour:
    """The colours of the samples `sel` picks, by their new numbers."""
    return lambda idx, du, dv: colour(sel.index_select(0, idx), du, dv)


@dataclass
class Samples:
    pix: torch.Tensor  # (N,) int64 target pixel v * W + u; H * W (the dump) for none
    u: torch.Tensor  # (N,) float32 continuous position in the image
    v: torch.Tensor
    depth: torch.Tensor  # (N,) float32 metres
    colour: Colour
    rank: int | torch.Tensor  # priority (raster.priority): one for all, or (N,) int64
    point: torch.Tensor | None = None  # (N,) int64 cache point each came from; None for a layer's

    @staticmethod
    def make(
        u: torch.Tensor, v: torch.Tensor, d: torch.Tensor, colour: Colour, rank: int | torch.Tensor, K: Intrinsics,
        keep: torch.Tensor | None = None, point: torch.Tensor | None = None,
    ) -> Samples:
        """Samples at continuous pixel coordinates (u, v) (N,); those off the image or too near go
        to the dump pixel H*W, which composite() ignores, or where they are most of them (a layer
        mostly behind the camera, surfels in blocks that only touch the view) are dropped."""
        pix, ok, count = raster.pixels(u.numpy(), v.numpy(), d.numpy(), _ALL if keep is None else keep.numpy(), K.width,
                                       K.height, NEAR_M)
        pix = torch.from_numpy(pix)
        if count < ok.shape[0] // 2:
            sel = torch.from_numpy(ok).nonzero().squeeze(1)
            u, v, d, pix = u.index_select(0, sel), v.index_select(0, sel), d.index_select(0, sel), pix.index_select(0, sel)
            if isinstance(rank, torch.Tensor):
                rank = rank.index_select(0, sel)
            if point is not None:
                point = point.index_select(0, sel)
            colour = _through(colour, sel)
        return Samples(pix, u, v, d, colour, rank, point)


@dataclass
class SplatImage:
    rgb: torch.Tensor  # (3, H, W) float32 in [0, 1]
    depth: torch.Tensor  # (1, H, W) float32 metres, 0 where not covered
    mask: torch.Tensor  # (1, H, W) bool, True where the world covers the pixel
    points: torch.Tensor  # (P,) int64 cache points that show in the image


def point_samples(
    xyz: torch.Tensor,  # (3, N) float32 world points, one row per coordinate
    rgb: torch.Tensor,  # (N, 3) uint8
    radius: torch.Tensor,  # (N,) float32 surfel radius, metres
    born: torch.Tensor,  # (N,) int32 the step that made each point
    ids: torch.Tensor,  # (M,) int64 the points to draw
    cam_from_world: torch.Tensor,  # (4, 4) float32, the inverse of the camera pose
    K: Intrinsics,
) -> list[Samples]:
    """Surfels as samples: the pixel each lands in, and its 8 neighbours where it covers more
    than a pixel (on the image only), as one part."""
    pix, u, v, d, rank, point = (torch.from_numpy(a) for a in raster.surfels(
        xyz.numpy(), radius.numpy(), born.numpy(), ids.numpy(), cam_from_world.numpy(), K.fx, K.fy, K.cx, K.cy, K.width,
        K.height, NEAR_M, FOOTPRINT_MIN_RADIUS_PX))
    if pix.numel() == 0:
        return []
    return [Samples(pix, u, v, d, lambda idx, du, dv: rgb.index_select(0, point.index_select(0, idx)).float(), rank, point)]


def composite(parts: list[Samples], K: Intrinsics) -> SplatImage:
    """The image of all the samples (see the module docstring); the parts are never concatenated."""
    H, W = K.height, K.width
    hw = H * W
    slots = hw + 1  # the last one is the dump pixel
    near = torch.full((slots,), float("inf"))
    ranks = [(s.rank if isinstance(s.rank, torch.Tensor) else torch.tensor([s.rank])).numpy() for s in parts]
    for s in parts:
        raster.nearest(s.pix.numpy(), s.depth.numpy(), near.numpy())
    limit = near.mul_(1 + SAME_SURFACE).numpy()
    best = torch.full((slots,), _NO_KEY)
    firsts, first = [], 0
    for s, rank in zip(parts, ranks):
        raster.best_keys(s.pix.numpy(), s.depth.numpy(), rank, first, limit, best.numpy())
        firsts.append(first)
        first += s.pix.shape[0]
    rgb, depth = torch.zeros(slots, 3), torch.zeros(slots)
    shown = []
    for s, rank, first in zip(parts, ranks, firsts):
        win = torch.from_numpy(raster.winners(s.pix.numpy(), rank, first, best.numpy(), hw))
        if win.numel() == 0:
            continue
        pix = s.pix.index_select(0, win)
        du = (pix % W).float().add_(0.5).sub_(s.u.index_select(0, win))
        dv = (pix // W).float().add_(0.5).sub_(s.v.index_select(0, win))
        raster.put(pix.numpy(), s.colour(win, du, dv).numpy(), s.depth.numpy(), win.numpy(), rgb.numpy(), depth.numpy())
        if s.point is not None:
            shown.append(s.point.index_select(0, win))
    rgb, depth, covered = rgb[:hw], depth[:hw], best[:hw] != _NO_KEY
    for _ in range(PINHOLE_PASSES):
        raster.close_pinholes(rgb.numpy(), depth.numpy(), covered.numpy(), H, W, SAME_SURFACE)
    points = torch.cat(shown) if shown else torch.zeros(0, dtype=torch.int64)
    return SplatImage(rgb.T.reshape(3, H, W).mul(1 / 255), depth.reshape(1, H, W), covered.reshape(1, H, W), points)
