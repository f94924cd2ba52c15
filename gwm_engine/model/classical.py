"""The classical world model: a ground-plane depth prior and pull-push hole filling.

It needs no weights and runs everywhere; it is the baseline the learned networks must beat.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch
import torch.nn.functional as F

from gwm_engine.model.base import WorldModel

# Depth prior: a camera 1.6 m above a flat ground, looking at the horizon, with everything
# above the horizon (and ground beyond it) at a wall FAR_M away.
CAMERA_HEIGHT_M = 1.6
FAR_M = 20.0
# Filled depth never comes closer than this: a hole is never a surface touching the lens.
NEAR_FILL_M = 0.2


def pull_push(x: torch.Tensor, w: torch.Tensor, default: torch.Tensor) -> torch.Tensor:
    """Fill x (B, C, H, W) where w (B, 1, H, W) is 0 from the weighted pyramid of the rest.

    Pull: average known values down a pyramid of halvings; push: upsample coarse fills back
    into the unknown pixels of each finer level. Known pixels come back unchanged; an image
    with nothing known at all gets `default` (C,) everywhere.

    On the CPU, outside autograd, compiled loops run it (the same arithmetic as the tensor
    operations of `_pull_push_tensors`, which serve GPUs and training): it runs every frame,
    and a dozen tensor operations a level cost 2-3x the loops (benchmarks/RESULTS.md).
    """
    if x.device.type != "cpu" or x.requires_grad or w.requires_grad or x.dtype != torch.float32:
        return _pull_push_tensors(x, w, default)
    out = torch.empty_like(x)
    for b in range(x.shape[0]):
        _pull_push_compiled(x[b].contiguous().numpy(), w[b, 0].float().contiguous().numpy(), default.float().numpy(),
                            out[b].numpy())
    return out


def _pull_push_tensors(x: torch.Tensor, w: torch.Tensor, default: torch.Tensor) -> torch.Tensor:
    levels = []
    while min(x.shape[-2:]) > 1:
        levels.append((x, w))
        ws = F.avg_pool2d(w, 2, ceil_mode=True)
        x = F.avg_pool2d(x * w, 2, ceil_mode=True) / ws.clamp_min(1e-8)
        w = (ws * 4).clamp(max=1.0)
    x = torch.lerp(default.view(1, -1, 1, 1).expand_as(x), x, w)
    for xf, wf in reversed(levels):
        up = F.interpolate(x, size=xf.shape[-2:], mode="bilinear", align_corners=False)
        x = torch.lerp(up, xf, wf)
    return x


@numba.njit(cache=True, nogil=True)
def _pull_push_compiled(x: np.ndarray, w: np.ndarray, default: np.ndarray, out: np.ndarray) -> None:
    """pull_push of one image: x (C, H, W) float32, w (H, W), default (C,), into out (C, H, W).
    Windows of the 2x2 pull that hang over an odd edge average the pixels they hold (as
    avg_pool2d with ceil_mode does); the push is bilinear with half-pixel centres (as
    F.interpolate with align_corners=False does)."""
    C = x.shape[0]
    levels_x, levels_w = [x], [w]
    while min(levels_w[-1].shape[0], levels_w[-1].shape[1]) > 1:
        fx, fw = levels_x[-1], levels_w[-1]
        H, W = fw.shape
        h, wd = (H + 1) // 2, (W + 1) // 2
        sw = np.zeros((h, wd), dtype=np.float32)  # sum of the weights under each window
        n = np.zeros((h, wd), dtype=np.float32)  # pixels under it (4 but over an odd edge)
        for y in range(H):
            for z in range(W):
                sw[y // 2, z // 2] += fw[y, z]
                n[y // 2, z // 2] += 1
        cx = np.zeros((C, h, wd), dtype=np.float32)
        for c in range(C):
            for y in range(H):
                for z in range(W):
                    cx[c, y // 2, z // 2] += fx[c, y, z] * fw[y, z]
            for i in range(h):
                for j in range(wd):
                    cx[c, i, j] = (cx[c, i, j] / n[i, j]) / max(sw[i, j] / n[i, j], np.float32(1e-8))
        cw = np.minimum(sw / n * 4, np.float32(1.0))
        levels_x.append(cx)
        levels_w.append(cw)
    cur = levels_x[-1].copy()
    cwt = levels_w[-1]
    for c in range(C):
        cur[c] = default[c] + cwt * (cur[c] - default[c])
    for k in range(len(levels_x) - 2, -1, -1):
        fx, fw = levels_x[k], levels_w[k]
        H, W = fw.shape
        h, wd = cur.shape[1], cur.shape[2]
        nxt = out if k == 0 else np.empty((C, H, W), dtype=np.float32)
        sy, sx = np.float32(h / H), np.float32(wd / W)
        z0, z1, lz = np.empty(W, dtype=np.int64), np.empty(W, dtype=np.int64), np.empty(W, dtype=np.float32)
        for j in range(W):
            f = max(sx * (j + np.float32(0.5)) - np.float32(0.5), np.float32(0.0))
            z0[j] = int(f)
            z1[j] = min(z0[j] + 1, wd - 1)
            lz[j] = f - z0[j]
        for c in range(C):
            for i in range(H):
                f = max(sy * (i + np.float32(0.5)) - np.float32(0.5), np.float32(0.0))
                y0 = int(f)
                y1 = min(y0 + 1, h - 1)
                ly = f - y0
                for j in range(W):
                    if fw[i, j] >= 1:  # known: kept as it is (most of a frame), no lookup
                        nxt[c, i, j] = fx[c, i, j]
                        continue
                    a, b = z0[j], z1[j]
                    up = ((1 - ly) * ((1 - lz[j]) * cur[c, y0, a] + lz[j] * cur[c, y0, b])
                          + ly * ((1 - lz[j]) * cur[c, y1, a] + lz[j] * cur[c, y1, b]))
                    nxt[c, i, j] = up + fw[i, j] * (fx[c, i, j] - up)
        cur = nxt
    if len(levels_x) == 1:
        out[:] = cur


def fill_holes(rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The splatted rgb (B, 3, H, W) and depth (B, 1, H, W) with holes (mask 0) filled: colour by
    pull-push, depth continued along rows (`extend_depth`); a view with nothing known at all
    (turned to face unseen territory) is grey at the far wall."""
    filled = pull_push(torch.cat([rgb, depth], dim=1), mask, torch.tensor([0.5, 0.5, 0.5, FAR_M], dtype=rgb.dtype, device=rgb.device))
    return filled[:, :3].clamp(0, 1), extend_depth(depth, mask, filled[:, 3:]).clamp_min(NEAR_FILL_M)


def extend_depth(depth: torch.Tensor, mask: torch.Tensor, fallback: torch.Tensor) -> torch.Tensor:
    """Depth (B, 1, H, W) with its holes (mask < 0.5) continued along their rows from the nearest
    known pixels: the farther of the two where both sides have one (a hole beside a nearer surface
    is what that surface uncovered: the background), the one side's where only one has (new
    territory past the view's edge: a level camera's ground keeps its depth along a row, the sky
    stays sky). Rows with nothing known take the same along columns, and `fallback` is kept where
    neither has anything. Pull-push's average would blend ground with the sky dome behind it
    and put generated ground hundreds of metres out (benchmarks/RESULTS.md).

    On the CPU, compiled loops run it (one pass each way along a row), as they run pull-push."""
    known = mask >= 0.5
    value = _along(depth, known)
    missing = value < 0  # rows with nothing known
    if bool(missing.any()):
        columns = _along(depth.transpose(-1, -2).contiguous(), known.transpose(-1, -2).contiguous()).transpose(-1, -2)
        value = torch.where(missing, torch.where(columns < 0, fallback, columns), value)
    return value


def _along(depth: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
    """depth (B, 1, H, W) where known; elsewhere the farther depth of the nearest known pixels to
    the left and right (or the one side's), and -1 in a row with nothing known."""
    W = depth.shape[-1]
    if depth.device.type == "cpu" and not depth.requires_grad and depth.dtype == torch.float32:
        out = torch.empty_like(depth)
        _along_compiled(depth.contiguous().view(-1, W).numpy(), known.contiguous().view(-1, W).numpy(), out.view(-1, W).numpy())
        return out
    index = torch.arange(W, device=depth.device).expand_as(depth)
    none = torch.full_like(index, -1)
    left = torch.where(known, index, none).cummax(-1).values  # nearest known at or left of each pixel; -1: none
    right = (W - 1 - torch.where(known.flip(-1), index, none).cummax(-1).values).flip(-1)  # W: none
    has_left, has_right = left >= 0, right < W
    d_left, d_right = depth.gather(-1, left.clamp_min(0)), depth.gather(-1, right.clamp_max(W - 1))
    value = torch.where(has_left & has_right, torch.maximum(d_left, d_right), torch.where(has_left, d_left, d_right))
    return torch.where(known, depth, torch.where(has_left | has_right, value, torch.full_like(value, -1.0)))


@numba.njit(cache=True, nogil=True)
def _along_compiled(depth: np.ndarray, known: np.ndarray, out: np.ndarray) -> None:
    """_along on rows (N, W) float32 / bool into out (N, W)."""
    N, W = depth.shape
    for i in range(N):
        last = np.float32(-1.0)
        for j in range(W):
            if known[i, j]:
                last = depth[i, j]
            out[i, j] = last
        last = np.float32(-1.0)
        for j in range(W - 1, -1, -1):
            if known[i, j]:
                last = depth[i, j]
            elif last > out[i, j]:  # the farther side, or the only one
                out[i, j] = last


class ClassicalModel(WorldModel):
    name = "classical"
    version = "1.0.0"

    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        B, _, H, W = rgb.shape
        fy = 0.5 * H / math.tan(math.radians(fov_deg) / 2)
        below = torch.arange(H, dtype=torch.float32) + 0.5 - H / 2  # rows under the horizon > 0
        ground = CAMERA_HEIGHT_M * fy / below.clamp_min(1e-6)
        rows = torch.where(below > 0, ground.clamp(max=FAR_M), torch.full_like(ground, FAR_M))
        return rows.view(1, 1, H, 1).expand(B, 1, H, W).contiguous()

    def complete(self, rgb, depth, mask):
        if bool(mask.all()):  # nothing to fill: the session takes only holes from here
            return rgb, depth
        return fill_holes(rgb, depth, mask)
