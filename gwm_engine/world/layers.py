"""View layers: whole RGB-D images held in the world as continuous surfaces.

A layer (the seed, and any view a generator makes at once) is rendered as the surface through
its pixel centres, not as loose points: the quad between four neighbouring pixels is one
piece of surface unless a depth discontinuity crosses it. Seen from a target camera, each
quad is sampled as densely as it is magnified there (k x k samples for a quad that spans k
target pixels), with colour and inverse depth interpolated bilinearly, so walking up to what
the seed showed keeps it closed and sharp as far as its pixels allow; quads that span a depth
edge are split between their corners (each corner's surface reaches half-way), so a
foreground object tears away from what is behind it instead of dragging a rubber sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from gwm_engine.geometry.camera import Intrinsics, pixel_rays
from gwm_engine.world.splat import NEAR_M, Samples

# Neighbouring pixels whose inverse depths differ by more than this fraction lie on different
# surfaces (a depth edge). Tilted surfaces change less than this between neighbours unless
# they are seen nearly edge-on, where tearing costs nothing visible.
EDGE_JUMP = 0.08
# A quad magnified to m target pixels gets ceil(m / SPACING) samples a side: sample spacing up to
# SPACING pixels leaves only isolated gaps, which the splat's pin-hole pass closes.
SPACING = 1.2
MAX_SUBDIVISION = 12
# Sub-sample offsets of one quad for each subdivision k, without (0, 0) (the pixel itself).
_OFFSETS: dict[int, torch.Tensor] = {}


def _offsets(k: int) -> torch.Tensor:
    """(k*k - 1, 2) sub-pixel (dy, dx) offsets in [0, 1) of a k x k lattice, minus the origin."""
    if k not in _OFFSETS:
        g = torch.arange(k, dtype=torch.float32) / k
        dy, dx = torch.meshgrid(g, g, indexing="ij")
        _OFFSETS[k] = torch.stack([dy.reshape(-1), dx.reshape(-1)], 1)[1:]
    return _OFFSETS[k]


@dataclass(eq=False)
class ViewLayer:
    """One RGB-D view kept whole. Immutable once made, so forks share it."""

    rgb: torch.Tensor  # (H, W, 3) uint8
    depth: torch.Tensor  # (H, W) float32 metres, 0 where the layer holds nothing
    pose: np.ndarray  # (4, 4) float64 world-from-camera
    K: Intrinsics
    rank: int  # lower wins where two layers or points show the same surface: the seed is 0
    xyz: torch.Tensor = field(init=False)  # (3, H*W) float32 world point of each pixel
    edge: torch.Tensor = field(init=False)  # (H, W) bool: the quad right-below of the pixel is torn
    colour: torch.Tensor = field(init=False)  # (H*W, 3) float32 0..255, what samples interpolate
    lo: torch.Tensor = field(init=False)  # (3,) bounding box of the valid points
    hi: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        H, W = self.depth.shape
        self.depth = self.depth.float().contiguous()
        valid = self.depth > 0
        self.colour = self.rgb.reshape(-1, 3).float()
        cam = pixel_rays(self.K) * self.depth[..., None]  # (H, W, 3)
        pose = torch.as_tensor(self.pose, dtype=torch.float32)
        self.xyz = torch.addmm(pose[:3, 3:], pose[:3, :3], cam.reshape(-1, 3).T).contiguous()
        inv = torch.where(valid, self.depth.clamp_min(1e-6).reciprocal(), 0.0)
        corners = torch.stack([inv[:-1, :-1], inv[:-1, 1:], inv[1:, :-1], inv[1:, 1:]])  # (4, H-1, W-1)
        lo, hi = corners.amin(0), corners.amax(0)
        torn = (lo <= 0) | (hi - lo > EDGE_JUMP * hi)
        self.edge = torch.ones(H, W, dtype=torch.bool)
        self.edge[:-1, :-1] = torn
        pts = self.xyz[:, valid.reshape(-1)]
        self.lo = pts.amin(1) if pts.numel() else torch.zeros(3)
        self.hi = pts.amax(1) if pts.numel() else torch.zeros(3)

    @property
    def valid(self) -> torch.Tensor:
        return self.depth > 0

    def points(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The valid pixels as points: xyz (M, 3) float32, rgb (M, 3) uint8."""
        keep = self.valid.reshape(-1)
        return self.xyz[:, keep].T, self.rgb.reshape(-1, 3)[keep]

    def samples(self, cam_from_world: torch.Tensor, K: Intrinsics) -> Samples:
        """This layer's surface as seen by the camera: every pixel, plus sub-samples of magnified quads."""
        H, W = self.depth.shape
        cam = torch.addmm(cam_from_world[:3, 3:], cam_from_world[:3, :3], self.xyz)  # (3, H*W)
        d = -cam[2]
        front = (d > NEAR_M) & self.valid.reshape(-1)
        inv_d = torch.where(front, d.clamp_min(NEAR_M).reciprocal(), 0.0)
        u = (cam[0] * inv_d).mul_(K.fx).add_(K.cx)
        v = (cam[1] * inv_d).mul_(-K.fy).add_(K.cy)
        parts = [Samples.make(u, v, d, self.colour, self.rank, K, front)]

        # Magnification of each intact quad: how many target pixels one pixel step spans (the
        # larger of the two image axes, summed over both layer axes, so a k-lattice with
        # spacing <= 1 covers every target pixel it spans).
        u2, v2, f2 = u.view(H, W), v.view(H, W), front.view(H, W)
        intact = ~self.edge[:-1, :-1] & f2[:-1, :-1] & f2[:-1, 1:] & f2[1:, :-1] & f2[1:, 1:]
        du_x, du_y = u2[:-1, 1:] - u2[:-1, :-1], u2[1:, :-1] - u2[:-1, :-1]
        dv_x, dv_y = v2[:-1, 1:] - v2[:-1, :-1], v2[1:, :-1] - v2[:-1, :-1]
        mag = torch.maximum(du_x.abs() + du_y.abs(), dv_x.abs() + dv_y.abs())
        k = (mag / SPACING).ceil_().clamp_(1, MAX_SUBDIVISION).to(torch.int64)
        k = torch.where(intact & _quad_in_view(u2, v2, K), k, 1)
        for kk in _levels(k):
            quads = (k == kk).reshape(-1).nonzero().squeeze(1)
            parts.append(self._subsamples(quads, kk, u, v, inv_d, K))
        torn = self._torn_subsamples(cam_from_world, K, d, front)
        if torn is not None:
            parts.append(torn)
        return Samples.cat(parts)

    def _subsamples(self, quads: torch.Tensor, k: int, u: torch.Tensor, v: torch.Tensor, inv_d: torch.Tensor, K: Intrinsics) -> Samples:
        """Bilinear sub-samples of intact quads (indices into the (H-1, W-1) quad grid)."""
        H, W = self.depth.shape
        y, x = quads // (W - 1), quads % (W - 1)
        p00 = y * W + x
        ids = torch.stack([p00, p00 + 1, p00 + W, p00 + W + 1], 1)  # (M, 4) corner pixels
        off = _offsets(k)
        a, b = off[:, 0], off[:, 1]  # (S,) down, right
        w = torch.stack([(1 - a) * (1 - b), (1 - a) * b, a * (1 - b), a * b], 1)  # (S, 4)
        su = u[ids] @ w.T  # (M, S)
        sv = v[ids] @ w.T
        sinv = inv_d[ids] @ w.T
        rgb = torch.einsum("mcz,sc->msz", self.colour[ids], w)  # (M, S, 3)
        return Samples.make(su.reshape(-1), sv.reshape(-1), sinv.reshape(-1).reciprocal(), rgb.reshape(-1, 3), self.rank, K)

    def _torn_subsamples(self, cam_from_world: torch.Tensor, K: Intrinsics, d: torch.Tensor, front: torch.Tensor) -> Samples | None:
        """Magnified quads across a depth edge: each corner's surface, at its own depth, fills the
        quarter of the quad nearest to it (so both sides reach the edge and nothing spans it)."""
        H, W = self.depth.shape
        # Magnification of a pixel seen from the camera: its distance ratio and focal ratio.
        dl = self.depth.reshape(-1)
        mag = torch.where(front, dl * (K.fx / self.K.fx) / d.clamp_min(NEAR_M), 0.0).view(H, W)
        q_mag = torch.stack([mag[:-1, :-1], mag[:-1, 1:], mag[1:, :-1], mag[1:, 1:]]).amax(0)
        k = (q_mag / SPACING).ceil_().clamp_(1, MAX_SUBDIVISION).to(torch.int64)
        k = torch.where(self.edge[:-1, :-1] & (q_mag > SPACING), k, 1)
        if not bool((k > 1).any()):
            return None
        pose = torch.as_tensor(self.pose, dtype=torch.float32)
        to_cam = cam_from_world @ pose  # target-camera-from-layer-camera
        parts = []
        for kk in _levels(k):
            quads = (k == kk).reshape(-1).nonzero().squeeze(1)
            y, x = quads // (W - 1), quads % (W - 1)
            off = _offsets(kk)
            fy, fx = off[:, 0][None], off[:, 1][None]  # (1, S)
            # The nearest corner of each sub-sample (rounding the offset), and that corner's depth.
            cy, cx = y[:, None] + (fy >= 0.5), x[:, None] + (fx >= 0.5)  # (M, S)
            corner = (cy * W + cx).reshape(-1)
            depth = dl[corner]
            ok = depth > 0
            ray_x = ((x[:, None] + fx + 0.5 - self.K.cx) / self.K.fx).reshape(-1)
            ray_y = (-(y[:, None] + fy + 0.5 - self.K.cy) / self.K.fy).reshape(-1)
            pts = torch.stack([ray_x * depth, ray_y * depth, -depth])  # (3, M*S) layer camera
            cam = torch.addmm(to_cam[:3, 3:], to_cam[:3, :3], pts)
            sd = -cam[2]
            inv = sd.clamp_min(NEAR_M).reciprocal()
            su = cam[0] * inv * K.fx + K.cx
            sv = -cam[1] * inv * K.fy + K.cy
            parts.append(Samples.make(su, sv, sd, self.colour[corner], self.rank, K, ok & (sd > NEAR_M)))
        return Samples.cat(parts)


def _levels(k: torch.Tensor) -> list[int]:
    """The subdivisions above 1 that occur in k."""
    return [i for i in torch.bincount(k.reshape(-1), minlength=2).nonzero().squeeze(1).tolist() if i > 1]


def _quad_in_view(u: torch.Tensor, v: torch.Tensor, K: Intrinsics) -> torch.Tensor:
    """(H-1, W-1) bool: the quad's corners' box meets the image."""
    cu = torch.stack([u[:-1, :-1], u[:-1, 1:], u[1:, :-1], u[1:, 1:]])
    cv = torch.stack([v[:-1, :-1], v[:-1, 1:], v[1:, :-1], v[1:, 1:]])
    return (cu.amax(0) >= 0) & (cu.amin(0) < K.width) & (cv.amax(0) >= 0) & (cv.amin(0) < K.height)
