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
# Points this close behind the front surface (relative depth) belong to it and are blended.
SURFACE_TOLERANCE = 1.03
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
    pose: torch.Tensor,  # (4, 4) world-from-camera
    K: Intrinsics,
) -> SplatImage:
    H, W = K.height, K.width
    n = xyz.shape[1]
    cam_from_world = torch.linalg.inv(pose.double()).float()
    cam = torch.addmm(cam_from_world[:3, 3:], cam_from_world[:3, :3], xyz)  # (3, N)
    d = -cam[2]
    in_front = d > NEAR_M
    inv_d = torch.where(in_front, d.clamp_min(NEAR_M).reciprocal(), 0.0)
    u = (cam[0] * inv_d).mul_(K.fx).add_(K.cx).floor_().clamp_(-2, W + 1).long()
    v = (cam[1] * inv_d).mul_(-K.fy).add_(K.cy).floor_().clamp_(-2, H + 1).long()

    dump = H * W  # out-of-view points land in an extra slot that is dropped
    visible = in_front & (u >= 0) & (u < W) & (v >= 0) & (v < H)
    pix = torch.where(visible, v * W + u, dump)
    ids = torch.arange(n, dtype=torch.int64)
    keys = torch.bitwise_or(d.view(torch.int32).long().bitwise_left_shift_(32), ids)

    big = visible & (radius * inv_d > FOOTPRINT_MIN_RADIUS_PX / K.fx)
    all_pix, all_keys = [pix], [keys]
    if bool(big.any()):
        sel = big.nonzero().squeeze(1)
        su, sv = u.index_select(0, sel), v.index_select(0, sel)
        pen = (d.index_select(0, sel) * FOOTPRINT_PENALTY).view(torch.int32).long()
        pen_keys = torch.bitwise_or(pen.bitwise_left_shift_(32), sel)
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
    front = d.index_select(0, safe).mul_(covered)  # (H*W,) depth of the nearest point, exact
    nearest_rgb = rgb.index_select(0, safe).float()  # (H*W, 3) 0..255
    out_rgb = _bilinear(cam, inv_d, visible, d, rgb, front, nearest_rgb, K).mul_(covered[:, None] / 255)
    return SplatImage(out_rgb.T.reshape(3, H, W).contiguous(), front.reshape(1, H, W), covered.reshape(1, H, W), index)


def _bilinear(cam, inv_d, visible, d, rgb, front, nearest_rgb, K: Intrinsics) -> torch.Tensor:
    """Resample the front surface's colour with tent weights instead of taking the nearest point.

    Every visible point within SURFACE_TOLERANCE of the front depth at a pixel adds its colour
    to the 4 pixel centres around its exact projection, weighted bilinearly. Pixels that get no
    weight (footprint or pin-hole pixels) keep the nearest point's colour. Returns (H*W, 3) 0..255.
    """
    H, W = K.height, K.width
    sel = visible.nonzero().squeeze(1)
    inv = inv_d.index_select(0, sel)
    x = cam[0].index_select(0, sel).mul_(inv).mul_(K.fx).add_(K.cx - 0.5)  # pixel-centre grid coords
    y = cam[1].index_select(0, sel).mul_(inv).mul_(-K.fy).add_(K.cy - 0.5)
    x0, y0 = x.floor(), y.floor()
    fx, fy = x - x0, y - y0
    x0, y0 = x0.long(), y0.long()
    limit = d.index_select(0, sel).div_(SURFACE_TOLERANCE)
    vals = torch.cat([rgb.index_select(0, sel).float(), torch.ones(len(sel), 1)], dim=1)  # (M, 4)
    # One flat scatter_add over (pixel, channel) slots: much faster on CPU than a 2-D index_add.
    channel = torch.arange(4)
    slots, contrib = [], []
    for ox, oy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        px, py = x0 + ox, y0 + oy
        inside = (px >= 0) & (px < W) & (py >= 0) & (py < H)
        pix = torch.where(inside, py * W + px, 0)
        on_surface = inside & (front.index_select(0, pix) >= limit)
        slots.append((pix[:, None] * 4 + channel).view(-1))
        contrib.append((vals * (w * on_surface)[:, None]).view(-1))
    acc = torch.zeros(H * W * 4).scatter_add_(0, torch.cat(slots), torch.cat(contrib)).view(H * W, 4)
    weight = acc[:, 3:]
    return torch.where(weight > 1e-3, acc[:, :3] / weight.clamp_min(1e-3), nearest_rgb)


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
