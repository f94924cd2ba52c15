"""Forward splatting of coloured points with a z-buffer, vectorised in torch.

One `scatter_reduce(amin)` over int64 keys does the z-test: the high 32 bits hold the float32
bits of the depth (positive floats order like their bit patterns), the low 32 bits the point
index, so the nearest point wins and tells which point it was in the same pass.

No pin-holes from point sparsity: a point whose surfel covers more than a pixel (the camera
came closer than where it was seen) also writes its 8 neighbours, with its depth raised by
FOOTPRINT_PENALTY so exact hits at the same surface win; remaining single-pixel gaps inside a
surface are closed from their nearest neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from gwm_engine.geometry.camera import Intrinsics

NEAR_M = 0.05
FOOTPRINT_PENALTY = 1.01
# A surfel wider than this many pixels (radius) gets the 3x3 footprint.
FOOTPRINT_MIN_RADIUS_PX = 0.75
_EMPTY = torch.iinfo(torch.int64).max
_OFFSETS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


@dataclass
class SplatImage:
    rgb: torch.Tensor  # (3, H, W) float32 in [0, 1]
    depth: torch.Tensor  # (1, H, W) float32 metres, 0 where not covered
    mask: torch.Tensor  # (1, H, W) bool, True where a point covers the pixel
    index: torch.Tensor  # (H*W,) int64 winning point per pixel, -1 where none


def splat(
    xyz: torch.Tensor,  # (3, N) float32 world points, one row per coordinate (fast transform)
    rgb: torch.Tensor,  # (N, 3) uint8
    radius: torch.Tensor,  # (N,) float32 surfel radius, metres
    cam_from_world: torch.Tensor,  # (4, 4) float32, the inverse of the camera pose
    K: Intrinsics,
) -> SplatImage:
    H, W = K.height, K.width
    n = xyz.shape[1]
    if n == 0:  # nothing cached in view: every pixel is a hole
        return SplatImage(torch.zeros(3, H, W), torch.zeros(1, H, W), torch.zeros(1, H, W, dtype=torch.bool), torch.full((H * W,), -1))
    cam = torch.addmm(cam_from_world[:3, 3:], cam_from_world[:3, :3], xyz)  # (3, N)
    d = -cam[2]
    in_front = d > NEAR_M
    inv_d = torch.where(in_front, d.clamp_min(NEAR_M).reciprocal(), 0.0)
    u = (cam[0] * inv_d).mul_(K.fx).add_(K.cx).floor_().clamp_(-2, W + 1).long()
    v = (cam[1] * inv_d).mul_(-K.fy).add_(K.cy).floor_().clamp_(-2, H + 1).long()

    dump = H * W  # footprint pixels off the image land in an extra slot that is dropped
    # Only points that land in the image go on: on a long walk most cached points are out of view.
    ids = (in_front & (u >= 0) & (u < W) & (v >= 0) & (v < H)).nonzero().squeeze(1)
    u, v, dv = u.index_select(0, ids), v.index_select(0, ids), d.index_select(0, ids)
    pix = v * W + u
    keys = torch.bitwise_or(dv.view(torch.int32).long().bitwise_left_shift_(32), ids)

    big = radius.index_select(0, ids) * inv_d.index_select(0, ids) > FOOTPRINT_MIN_RADIUS_PX / K.fx
    all_pix, all_keys = [pix], [keys]
    if bool(big.any()):
        sel = big.nonzero().squeeze(1)
        su, sv = u.index_select(0, sel), v.index_select(0, sel)
        pen = (dv.index_select(0, sel) * FOOTPRINT_PENALTY).view(torch.int32).long()
        pen_keys = torch.bitwise_or(pen.bitwise_left_shift_(32), ids.index_select(0, sel))
        for dy, dx in _OFFSETS:
            nu, nv = su + dx, sv + dy
            ok = (nu >= 0) & (nu < W) & (nv >= 0) & (nv < H)
            all_pix.append(torch.where(ok, nv * W + nu, dump))
            all_keys.append(pen_keys)
    zbuf = torch.full((H * W + 1,), _EMPTY, dtype=torch.int64)
    zbuf.scatter_reduce_(0, torch.cat(all_pix), torch.cat(all_keys), reduce="amin", include_self=True)
    zbuf = zbuf[:-1]

    covered = zbuf != _EMPTY
    index = torch.where(covered, zbuf.bitwise_and(0xFFFFFFFF), -1)
    _close_pinholes(index, covered, d, H, W)
    safe = index.clamp_min(0)
    out_rgb = rgb.index_select(0, safe).T.float().mul_(1 / 255).mul_(covered)
    out_depth = d.index_select(0, safe).mul_(covered)
    return SplatImage(out_rgb.reshape(3, H, W), out_depth.reshape(1, H, W), covered.reshape(1, H, W), index)


def _close_pinholes(index: torch.Tensor, covered: torch.Tensor, d: torch.Tensor, H: int, W: int) -> None:
    """In place: give uncovered pixels with >= 6 of 8 covered neighbours their nearest neighbour's point.

    A real hole's edge has at most 5 covered neighbours, so holes stay holes for completion.
    """
    cov = torch.nn.functional.pad(covered.view(H, W).to(torch.uint8), (1, 1, 1, 1))
    count = torch.zeros(H, W, dtype=torch.uint8)
    for dy, dx in _OFFSETS:
        count += cov[1 + dy : 1 + dy + H, 1 + dx : 1 + dx + W]
    pins = ((count >= 6) & ~covered.view(H, W)).view(-1).nonzero().squeeze(1)
    if pins.numel() == 0:
        return
    pv, pu = pins // W, pins % W
    best_d = torch.full((pins.numel(),), float("inf"))
    best_i = torch.full((pins.numel(),), -1, dtype=torch.int64)
    for dy, dx in _OFFSETS:
        ni = index.index_select(0, (pv + dy).clamp(0, H - 1) * W + (pu + dx).clamp(0, W - 1))
        nd = torch.where(ni >= 0, d.index_select(0, ni.clamp_min(0)), float("inf"))
        better = nd < best_d
        best_d = torch.where(better, nd, best_d)
        best_i = torch.where(better, ni, best_i)
    index[pins] = best_i
    covered[pins] = True
