"""Compositing samples of the world into an image: a z-test that knows when two samples are one surface.

Everything the world holds reaches the image as samples: target pixel, depth, colour and a
priority (the layers' continuous surfaces and the cache's surfels alike). Per pixel:
1. the nearest depth wins, but every sample within SAME_SURFACE of it shows the same surface;
2. among those, the best priority wins: the older observation, the seed's above all, so points
   fused later on a surface the seed showed never speckle over it;
3. the pixel is the mean of the winning samples (several samples of a magnified surface fall
   in one pixel: their mean is the pixel's area, not whichever happened to be drawn last).
Isolated pixels that no sample reached inside a surface are closed from their neighbours.

Priorities: `priority(age)` for exact samples, `priority(age, stamp=True)` for the wider
footprint of a surfel seen from closer than it was made, which yields to any exact sample.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gwm_engine.geometry.camera import Intrinsics

NEAR_M = 0.05
# Samples within this fraction of the nearest depth at a pixel belong to its front surface.
SAME_SURFACE = 0.03
# A surfel wider than this many pixels (radius) also stamps its 8 neighbours.
FOOTPRINT_MIN_RADIUS_PX = 0.75
_NO_PRIORITY = torch.iinfo(torch.int64).max
_NEIGHBOURS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def priority(age: int | torch.Tensor, stamp: bool = False) -> torch.Tensor:
    """Lower wins among samples of one surface: by age (the step that made it), exact before stamped."""
    return torch.as_tensor(age, dtype=torch.int64) * 2 + int(stamp)


@dataclass
class Samples:
    pix: torch.Tensor  # (N,) int64 target pixel v * W + u
    depth: torch.Tensor  # (N,) float32 metres
    rgb: torch.Tensor  # (N, 3) float32 0..255
    rank: torch.Tensor  # (N,) int64 priority, see priority()
    point: torch.Tensor  # (N,) int64 cache point it came from, -1 for layer samples

    @staticmethod
    def make(
        u: torch.Tensor, v: torch.Tensor, d: torch.Tensor, rgb: torch.Tensor, rank: int | torch.Tensor, K: Intrinsics,
        keep: torch.Tensor | None = None, point: torch.Tensor | None = None,
    ) -> "Samples":
        """Samples at continuous pixel coordinates (u, v) (N,); those off the image or too near go
        to the dump pixel H*W, which composite() ignores (cheaper than compacting them away)."""
        ok = (d > NEAR_M) & (u >= 0) & (u < K.width) & (v >= 0) & (v < K.height)
        if keep is not None:
            ok &= keep
        pix = torch.where(ok, v.clamp(0, K.height - 1).long() * K.width + u.clamp(0, K.width - 1).long(), K.width * K.height)
        rank_t = torch.as_tensor(rank, dtype=torch.int64)
        return Samples(
            pix, d, rgb.float(), rank_t if rank_t.ndim else rank_t.expand(d.numel()),
            point if point is not None else torch.full((d.numel(),), -1),
        )

    @staticmethod
    def cat(parts: list["Samples"]) -> "Samples":
        if not parts:
            i64 = torch.zeros(0, dtype=torch.int64)
            return Samples(i64, torch.zeros(0), torch.zeros(0, 3), i64, i64)
        return Samples(*(torch.cat([getattr(p, f) for p in parts]) for f in ("pix", "depth", "rgb", "rank", "point")))


@dataclass
class SplatImage:
    rgb: torch.Tensor  # (3, H, W) float32 in [0, 1]
    depth: torch.Tensor  # (1, H, W) float32 metres, 0 where not covered
    mask: torch.Tensor  # (1, H, W) bool, True where the world covers the pixel
    points: torch.Tensor  # (P,) int64 cache points that show in the image


def point_samples(
    xyz: torch.Tensor,  # (3, N) float32 world points, one row per coordinate (fast transform)
    rgb: torch.Tensor,  # (N, 3) uint8
    radius: torch.Tensor,  # (N,) float32 surfel radius, metres
    rank: torch.Tensor,  # (N,) int64 priority of an exact sample
    ids: torch.Tensor,  # (N,) int64 cache index of each point
    cam_from_world: torch.Tensor,  # (4, 4) float32, the inverse of the camera pose
    K: Intrinsics,
) -> Samples:
    """Surfels as samples: the pixel each lands in, and its 8 neighbours where it covers more than a pixel."""
    cam = torch.addmm(cam_from_world[:3, 3:], cam_from_world[:3, :3], xyz)  # (3, N)
    d = -cam[2]
    inv_d = d.clamp_min(NEAR_M).reciprocal()
    u = (cam[0] * inv_d).mul_(K.fx).add_(K.cx)
    v = (cam[1] * inv_d).mul_(-K.fy).add_(K.cy)
    parts = [Samples.make(u, v, d, rgb, rank, K, point=ids)]
    big = (radius * inv_d > FOOTPRINT_MIN_RADIUS_PX / K.fx) & (d > NEAR_M)
    if bool(big.any()):
        sel = big.nonzero().squeeze(1)
        su, sv, sd = u[sel], v[sel], d[sel]
        srgb, srank, sids = rgb[sel], rank[sel] + 1, ids[sel]
        for dy, dx in _NEIGHBOURS:
            parts.append(Samples.make(su + dx, sv + dy, sd, srgb, srank, K, point=sids))
    return Samples.cat(parts)


def composite(s: Samples, K: Intrinsics) -> SplatImage:
    H, W = K.height, K.width
    hw = H * W
    slots = hw + 1  # the last one is the dump pixel
    near = torch.full((slots,), float("inf")).scatter_reduce_(0, s.pix, s.depth, "amin")
    front = s.depth <= near.index_select(0, s.pix) * (1 + SAME_SURFACE)
    best = torch.full((slots,), _NO_PRIORITY).scatter_reduce_(0, s.pix, torch.where(front, s.rank, _NO_PRIORITY), "amin")
    win = (front & (s.rank == best.index_select(0, s.pix))).float()
    acc = torch.cat([s.rgb, s.depth[:, None], torch.ones(win.numel(), 1)], 1).mul_(win[:, None])
    total = torch.zeros(slots, 5).index_add_(0, s.pix, acc)[:hw]  # r, g, b, depth, count per pixel
    covered = total[:, 4] > 0
    total[:, :4] /= total[:, 4:].clamp_min(1)
    _close_pinholes(total, covered, H, W)
    shown = s.point[(win > 0) & (s.point >= 0) & (s.pix < hw)]
    rgb = total[:, :3].T.reshape(3, H, W).mul_(1 / 255)
    return SplatImage(rgb, total[:, 3].reshape(1, H, W).clone(), covered.reshape(1, H, W), shown)


def _close_pinholes(total: torch.Tensor, covered: torch.Tensor, H: int, W: int) -> None:
    """In place: uncovered pixels with >= 6 of 8 covered neighbours take the mean of the neighbours
    on the nearest one's surface. A real hole's edge has at most 5, so holes stay holes."""
    cov = torch.nn.functional.pad(covered.view(H, W).to(torch.uint8), (1, 1, 1, 1))
    count = torch.zeros(H, W, dtype=torch.uint8)
    for dy, dx in _NEIGHBOURS:
        count += cov[1 + dy : 1 + dy + H, 1 + dx : 1 + dx + W]
    pins = ((count >= 6) & ~covered.view(H, W)).view(-1).nonzero().squeeze(1)
    if pins.numel() == 0:
        return
    pv, pu = pins // W, pins % W
    nb = torch.stack([(pv + dy).clamp(0, H - 1) * W + (pu + dx).clamp(0, W - 1) for dy, dx in _NEIGHBOURS], 1)  # (P, 8)
    vals = total.index_select(0, nb.reshape(-1)).view(-1, 8, 5)
    d = torch.where(vals[..., 4] > 0, vals[..., 3], float("inf"))
    on = (d <= d.amin(1, keepdim=True) * (1 + SAME_SURFACE)).unsqueeze(2).float()
    total[pins] = (vals * on).sum(1) / on.sum(1)
    total[pins, 4] = 1
    covered[pins] = True
