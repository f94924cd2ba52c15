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
    xyz: torch.Tensor,  # (N, 3) float32 world points
    rgb: torch.Tensor,  # (N, 3) uint8
    radius: torch.Tensor,  # (N,) float32 surfel radius, metres
    pose: torch.Tensor,  # (4, 4) world-from-camera
    K: Intrinsics,
) -> SplatImage:
    H, W = K.height, K.width
    cam_from_world = torch.linalg.inv(pose.double()).float()
    cam = torch.addmm(cam_from_world[:3, 3], xyz, cam_from_world[:3, :3].T)  # (N, 3)
    d = -cam[:, 2]
    in_front = d > NEAR_M
    inv_d = torch.where(in_front, 1.0 / d.clamp_min(NEAR_M), torch.zeros_like(d))
    u = torch.floor(cam[:, 0] * inv_d * K.fx + K.cx).clamp(-2, W + 1).long()
    v = torch.floor(-cam[:, 1] * inv_d * K.fy + K.cy).clamp(-2, H + 1).long()

    depth_bits = d.view(torch.int32).long() << 32
    keys = depth_bits | torch.arange(xyz.shape[0], dtype=torch.int64)
    dump = H * W  # out-of-view points land in an extra slot that is dropped
    pix = torch.where(in_front & (u >= 0) & (u < W) & (v >= 0) & (v < H), v * W + u, dump)

    big = in_front & (radius * inv_d * K.fx > FOOTPRINT_MIN_RADIUS_PX) & (pix != dump)
    all_pix, all_keys = [pix], [keys]
    if bool(big.any()):
        sel = big.nonzero().squeeze(1)
        su, sv = u[sel], v[sel]
        pen_keys = ((d[sel] * FOOTPRINT_PENALTY).view(torch.int32).long() << 32) | sel
        for dy, dx in _OFFSETS:
            nu, nv = su + dx, sv + dy
            ok = (nu >= 0) & (nu < W) & (nv >= 0) & (nv < H)
            all_pix.append(torch.where(ok, nv * W + nu, dump))
            all_keys.append(pen_keys)
    zbuf = torch.full((H * W + 1,), _EMPTY, dtype=torch.int64)
    zbuf.scatter_reduce_(0, torch.cat(all_pix), torch.cat(all_keys), reduce="amin", include_self=True)
    zbuf = zbuf[:-1]

    covered = zbuf != _EMPTY
    index = torch.where(covered, zbuf & 0xFFFFFFFF, torch.full_like(zbuf, -1))
    safe = index.clamp_min(0)
    out_rgb = rgb[safe].float().mul_(1 / 255) * covered[:, None]
    out_depth = d[safe] * covered
    out_rgb, out_depth, covered, index = _close_pinholes(out_rgb, out_depth, covered, index, H, W)
    return SplatImage(
        out_rgb.T.reshape(3, H, W).contiguous(),
        out_depth.reshape(1, H, W),
        covered.reshape(1, H, W),
        index,
    )


def _close_pinholes(rgb, depth, covered, index, H: int, W: int):
    """Fill uncovered pixels with >= 6 of 8 covered neighbours from the nearest of them.

    A real hole's edge has at most 5 covered neighbours, so holes stay holes for completion.
    """
    cov = covered.reshape(1, 1, H, W).float()
    count = torch.nn.functional.avg_pool2d(cov, 3, stride=1, padding=1, count_include_pad=False)
    count = (count * 9).round().reshape(-1)  # includes the pixel itself, which is 0 here
    pin = (~covered & (count >= 6)).nonzero().squeeze(1)
    if pin.numel() == 0:
        return rgb, depth, covered, index
    pv, pu = pin // W, pin % W
    best_d = torch.full((pin.numel(),), float("inf"))
    best_i = torch.full((pin.numel(),), -1, dtype=torch.int64)
    for dy, dx in _OFFSETS:
        nu, nv = (pu + dx).clamp(0, W - 1), (pv + dy).clamp(0, H - 1)
        n = nv * W + nu
        nd = torch.where(covered[n], depth[n], torch.full_like(best_d, float("inf")))
        better = nd < best_d
        best_d = torch.where(better, nd, best_d)
        best_i = torch.where(better, n, best_i)
    rgb, depth, covered, index = rgb.clone(), depth.clone(), covered.clone(), index.clone()
    rgb[pin], depth[pin], covered[pin], index[pin] = rgb[best_i], best_d, True, index[best_i]
    return rgb, depth, covered, index
