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
from gwm_engine.world import raster
from gwm_engine.world.splat import NEAR_M, Samples, table

# Neighbouring pixels whose inverse depths differ by more than this fraction lie on different
# surfaces (a depth edge). Tilted surfaces change less than this between neighbours unless
# they are seen nearly edge-on, where tearing costs nothing visible.
EDGE_JUMP = 0.08
# A quad magnified to m target pixels gets ceil(m / SPACING) samples a side: sample spacing up to
# SPACING pixels leaves only thin gaps, which the splat's pin-hole passes close.
SPACING = 1.35
MAX_SUBDIVISION = 32
# Quads are sampled in blocks this many a side, magnified as much as the block's corners say, a
# little more for perspective (a block's near side is magnified more than its average).
BLOCK = 4
BLOCK_MARGIN = 1.05


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
    colour: torch.Tensor = field(init=False)  # (H*W, 3) float32 0..255, what sub-samples interpolate
    smooth: torch.Tensor = field(init=False)  # (H*W,) bool: not edge, flat, for lookups
    torn_quads: torch.Tensor = field(init=False)  # (T,) int64 quads across a depth edge, with some valid corner
    block_corners: torch.Tensor = field(init=False)  # (4, blocks) int64 corner pixels of each block of quads
    block_span: tuple[torch.Tensor, torch.Tensor] = field(init=False)  # (blocks,) its width and height in pixels
    block_quads: torch.Tensor = field(init=False)  # (blocks, BLOCK * BLOCK) int64 its quads, -1 for none
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
        self.torn_quads = (torn & (hi > 0)).reshape(-1).nonzero().squeeze(1)
        self.smooth = ~self.edge.reshape(-1)
        self._blocks(H, W)
        pts = self.xyz[:, valid.reshape(-1)]
        self.lo = pts.amin(1) if pts.numel() else torch.zeros(3)
        self.hi = pts.amax(1) if pts.numel() else torch.zeros(3)

    def _blocks(self, H: int, W: int) -> None:
        """The quads in blocks of BLOCK x BLOCK (the last ones smaller): each block's corner pixels,
        span and quads (-1 pads the smaller ones), so magnification is estimated per block."""
        r0 = torch.arange(0, H - 1, BLOCK)
        c0 = torch.arange(0, W - 1, BLOCK)
        r1, c1 = (r0 + BLOCK).clamp_max(H - 1), (c0 + BLOCK).clamp_max(W - 1)
        R0, C0 = torch.meshgrid(r0, c0, indexing="ij")
        R1, C1 = torch.meshgrid(r1, c1, indexing="ij")
        self.block_corners = torch.stack([R0 * W + C0, R0 * W + C1, R1 * W + C0, R1 * W + C1]).reshape(4, -1)
        self.block_span = ((C1 - C0).reshape(-1).float(), (R1 - R0).reshape(-1).float())
        dy, dx = torch.meshgrid(torch.arange(BLOCK), torch.arange(BLOCK), indexing="ij")
        qy = R0.reshape(-1, 1) + dy.reshape(1, -1)
        qx = C0.reshape(-1, 1) + dx.reshape(1, -1)
        self.block_quads = torch.where((qy < H - 1) & (qx < W - 1), qy * (W - 1) + qx, -1)  # (blocks, BLOCK * BLOCK)

    @classmethod
    def from_view(cls, rgb: torch.Tensor, depth: torch.Tensor, pose: np.ndarray, K: Intrinsics, rank: int) -> ViewLayer:
        """A view (H, W) as a layer with a one-pixel ring around it: the surface continued half a
        pixel past the border pixels' centres (inverse depth extrapolated, colour repeated), so
        the view's own edge stays covered when the camera comes closer. The ring lies outside
        the view itself, so from where the view was taken nothing changes."""
        inv = torch.where(depth > 0, depth.clamp_min(1e-6).reciprocal(), 0.0)
        p = torch.nn.functional.pad(inv[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
        inner = torch.nn.functional.pad(inv[1:-1, 1:-1][None, None], (2, 2, 2, 2), mode="replicate")[0, 0]
        ring = torch.ones_like(p, dtype=torch.bool)
        ring[1:-1, 1:-1] = False
        outward = (2 * p - inner).clamp(0.5 * p, 2 * p)
        inv_padded = torch.where(ring, outward, p)
        depth_padded = torch.where(inv_padded > 0, inv_padded.clamp_min(1e-9).reciprocal(), 0.0)
        rgb_padded = torch.nn.functional.pad(rgb.permute(2, 0, 1)[None].float(), (1, 1, 1, 1), mode="replicate")[0]
        H, W = depth.shape
        K_padded = Intrinsics(K.fx, K.fy, K.cx + 1, K.cy + 1, W + 2, H + 2)
        return cls(rgb_padded.permute(1, 2, 0).to(torch.uint8).contiguous(), depth_padded, pose, K_padded, rank)

    @property
    def valid(self) -> torch.Tensor:
        return self.depth > 0

    def points(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The valid pixels as points: xyz (M, 3) float32, rgb (M, 3) uint8."""
        keep = self.valid.reshape(-1)
        return self.xyz[:, keep].T, self.rgb.reshape(-1, 3)[keep]

    def samples(self, cam_from_world: torch.Tensor, K: Intrinsics) -> list[Samples]:
        """This layer's surface as seen by the camera: every pixel, plus sub-samples of magnified quads."""
        cam = torch.addmm(cam_from_world[:3, 3:], cam_from_world[:3, :3], self.xyz)  # (3, H*W)
        d = -cam[2]
        front = (d > NEAR_M) & self.valid.reshape(-1)
        inv_d = torch.where(front, d.clamp_min(NEAR_M).reciprocal(), 0.0)
        u = (cam[0] * inv_d).mul_(K.fx).add_(K.cx)
        v = (cam[1] * inv_d).mul_(-K.fy).add_(K.cy)
        # Every pixel, its colour resampled where the target pixel's centre ray meets the surface
        # (the nearest pixel's own colour is up to half a pixel off: 0.5 dB on a walk-up).
        W = self.depth.shape[1]

        def colour(idx: torch.Tensor, du: torch.Tensor, dv: torch.Tensor) -> torch.Tensor:
            return self._resample((idx // W).float(), (idx % W).float(), u, v, du, dv)

        parts = [Samples.make(u, v, d, colour, self.rank, K, front)]
        k = self._subdivision(u, v, front, K)
        magnified = (k > 1).nonzero().squeeze(1)
        if magnified.numel():
            pix, su, sv, sd, sy, sx = (torch.from_numpy(a) for a in raster.subsamples(
                self.block_quads.index_select(0, magnified).numpy(), k.index_select(0, magnified).numpy(), u.numpy(),
                v.numpy(), inv_d.numpy(), front.numpy(), self.smooth.numpy(), W, K.width, K.height, NEAR_M))

            def sub_colour(idx: torch.Tensor, du: torch.Tensor, dv: torch.Tensor) -> torch.Tensor:
                return self._resample(sy.index_select(0, idx), sx.index_select(0, idx), u, v, du, dv)

            if su.numel():  # all on the image already
                parts.append(Samples(pix, su, sv, sd, sub_colour, self.rank))
        torn = self._torn_subsamples(cam_from_world, K, d, front, u, v)
        return parts + ([torn] if torn is not None else [])

    def _subdivision(self, u: torch.Tensor, v: torch.Tensor, front: torch.Tensor, K: Intrinsics) -> torch.Tensor:
        """(blocks,) int64: how finely to sample each block of BLOCK x BLOCK quads: its
        magnification (target pixels one layer pixel step spans, the larger image axis, summed
        over both layer axes, so a lattice that fine covers every target pixel), from its
        corners. Across a depth edge the estimate is too high: that only costs samples."""
        c = self.block_corners  # (4, blocks) pixels: top-left, top-right, bottom-left, bottom-right
        cu, cv, ok = u[c], v[c], front[c].all(0)
        w, h = self.block_span
        mag = torch.stack([
            (cu[1] - cu[0]).abs() / w + (cu[2] - cu[0]).abs() / h, (cv[1] - cv[0]).abs() / w + (cv[2] - cv[0]).abs() / h,
            (cu[3] - cu[2]).abs() / w + (cu[3] - cu[1]).abs() / h, (cv[3] - cv[2]).abs() / w + (cv[3] - cv[1]).abs() / h,
        ]).amax(0) * BLOCK_MARGIN
        in_view = (cu.amax(0) > -mag) & (cu.amin(0) < K.width + mag) & (cv.amax(0) > -mag) & (cv.amin(0) < K.height + mag)
        k = (mag / SPACING).ceil_().clamp_(1, MAX_SUBDIVISION).to(torch.int64)
        return torch.where(ok & in_view, k, 1)

    def _resample(self, py: torch.Tensor, px: torch.Tensor, u: torch.Tensor, v: torch.Tensor,
                  du: torch.Tensor, dv: torch.Tensor) -> torch.Tensor:
        """Colours (n, 3) of the surface at layer positions (py, px) (pixel centres at integers)
        moved by the target-image offsets (du, dv), through the local affine map of the quad
        there (its corners' projections u, v): what a ray through the target pixel's centre
        meets, bilinearly interpolated. At depth edges: the nearest pixel, unmoved."""
        H, W = self.depth.shape
        out = raster.resample(py.numpy(), px.numpy(), du.numpy(), dv.numpy(), u.numpy(), v.numpy(), self.smooth.numpy(),
                              self.colour.numpy(), H, W)
        return torch.from_numpy(out)

    def _torn_subsamples(self, cam_from_world: torch.Tensor, K: Intrinsics, d: torch.Tensor, front: torch.Tensor,
                         u: torch.Tensor, v: torch.Tensor) -> Samples | None:
        """Magnified quads across a depth edge: each corner's surface, at its own depth, fills the
        quarter of the quad nearest to it (so both sides reach the edge and nothing spans it),
        and the farthest corner's surface reaches on under the whole quad, so where the near
        side pulls away from the edge, the background the seed saw beside it closes the crack."""
        H, W = self.depth.shape
        torn = self.torn_quads
        if torn.numel() == 0:
            return None
        # Magnification of a corner seen from the camera: its distance ratio and focal ratio.
        y, x = torn // (W - 1), torn % (W - 1)
        p = y * W + x
        corners = torch.stack([p, p + 1, p + W, p + W + 1])  # (4, T)
        dl = self.depth.reshape(-1)
        ok = front[corners]
        mag = torch.where(ok, dl[corners] * (K.fx / self.K.fx) / d[corners].clamp_min(NEAR_M), 0.0).amax(0)
        # Off the image: the box of the corners in front, widened by the magnification (a corner's
        # surface reaches across the quad at its own depth).
        inf = torch.tensor(float("inf"))
        cu, cv = u[corners], v[corners]
        on = ((torch.where(ok, cu, -inf).amax(0) + mag >= 0) & (torch.where(ok, cu, inf).amin(0) - mag < K.width)
              & (torch.where(ok, cv, -inf).amax(0) + mag >= 0) & (torch.where(ok, cv, inf).amin(0) - mag < K.height))
        k = (mag / SPACING).ceil_().clamp_(1, MAX_SUBDIVISION).to(torch.int64)
        keep = (on & (k > 1)).nonzero().squeeze(1)
        if keep.numel() == 0:
            return None
        which, a, b = _lattice(k.index_select(0, keep))
        y, x = y.index_select(0, keep).index_select(0, which), x.index_select(0, keep).index_select(0, which)
        quad_corners = corners[:, keep].index_select(1, which)  # (4, S)
        # The nearest corner of each sub-sample (rounding the offset), and the farthest one of its quad.
        nearest = (y + (a >= 0.5)) * W + x + (b >= 0.5)
        far = quad_corners.gather(0, dl[quad_corners].argmax(0, keepdim=True))[0]
        corner = torch.cat([nearest, far])
        ray_x = ((x + b + 0.5 - self.K.cx) / self.K.fx).repeat(2)
        ray_y = (-(y + a + 0.5 - self.K.cy) / self.K.fy).repeat(2)
        depth = dl.index_select(0, corner)
        to_cam = cam_from_world @ torch.as_tensor(self.pose, dtype=torch.float32)  # target-camera-from-layer-camera
        cam = torch.addmm(to_cam[:3, 3:], to_cam[:3, :3], torch.stack([ray_x * depth, ray_y * depth, -depth]))
        sd = -cam[2]
        inv = sd.clamp_min(NEAR_M).reciprocal()
        su = cam[0] * inv * K.fx + K.cx
        sv = -cam[1] * inv * K.fy + K.cy
        return Samples.make(su, sv, sd, table(self.colour.index_select(0, corner)), self.rank, K, (depth > 0) & (sd > NEAR_M))


def _lattice(k: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """For quads with subdivisions k (M,) int64 (each > 1): every sub-sample's quad (T,) int64 and
    its offsets down and right (T,) float32 in [0, 1): a k x k lattice a quad, minus its origin
    (the pixel itself, sampled already)."""
    n = k * k - 1
    which = torch.repeat_interleave(torch.arange(k.numel()), n)
    first = torch.cumsum(n, 0) - n
    j = torch.arange(which.numel()) - first.index_select(0, which) + 1
    kk = k.index_select(0, which)
    a = torch.div(j, kk, rounding_mode="floor")
    return which, a.float() / kk, (j - a * kk).float() / kk
