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
    hull: torch.Tensor = field(init=False)  # (8, 3) world corners of a frustum slice holding every sample

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
        torn = _torn(lo, hi)
        self.edge = torch.ones(H, W, dtype=torch.bool)
        self.edge[:-1, :-1] = torn
        self.torn_quads = (torn & (hi > 0)).reshape(-1).nonzero().squeeze(1)
        self.smooth = ~self.edge.reshape(-1)
        self._blocks(H, W)
        self.hull = self._hull(valid)

    def _hull(self, valid: torch.Tensor) -> torch.Tensor:
        """The corners of the pixel rectangle around the valid pixels, at their nearest and
        farthest depths: a frustum slice that holds every sample of the layer (pixels and the
        quads between them), so a camera looking away from it culls it (a world box around a
        wide view reaching the sky meets almost any view)."""
        if not bool(valid.any()):
            return self.xyz.new_zeros(8, 3)
        rows, cols = valid.any(1).nonzero().squeeze(1), valid.any(0).nonzero().squeeze(1)
        depths = self.depth[valid]
        u = torch.tensor([float(cols[0]), float(cols[-1]) + 1.0])
        v = torch.tensor([float(rows[0]), float(rows[-1]) + 1.0])
        d = torch.stack([depths.min(), depths.max()])
        uu, vv, dd = torch.meshgrid(u, v, d, indexing="ij")
        cam = torch.stack([(uu - self.K.cx) / self.K.fx * dd, -(vv - self.K.cy) / self.K.fy * dd, -dd], -1).reshape(8, 3)
        pose = torch.as_tensor(self.pose, dtype=torch.float32)
        return cam @ pose[:3, :3].T + pose[:3, 3]

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
        the view itself, so from where the view was taken nothing changes. Where the border
        pixel and the one inside it lie across a depth edge (as the layer tears them), the
        border pixel is repeated instead: extrapolating a skyline would put the sky's edge
        twice as far as the sky."""
        inv = torch.where(depth > 0, depth.clamp_min(1e-6).reciprocal(), 0.0)
        p = torch.nn.functional.pad(inv[None, None], (1, 1, 1, 1), mode="replicate")[0, 0]
        inner = torch.nn.functional.pad(inv[1:-1, 1:-1][None, None], (2, 2, 2, 2), mode="replicate")[0, 0]
        ring = torch.ones_like(p, dtype=torch.bool)
        ring[1:-1, 1:-1] = False
        outward = torch.where(_torn(torch.minimum(p, inner), torch.maximum(p, inner)), p, 2 * p - inner)
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
        w, h = self.block_span
        return torch.from_numpy(raster.subdivision(self.block_corners.numpy(), w.numpy(), h.numpy(), u.numpy(), v.numpy(),
                                                   front.numpy(), K.width, K.height, BLOCK_MARGIN, SPACING, MAX_SUBDIVISION))

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
        if self.torn_quads.numel() == 0:
            return None
        to_cam = cam_from_world @ torch.as_tensor(self.pose, dtype=torch.float32)  # target-camera-from-layer-camera
        su, sv, sd, corner, valid = (torch.from_numpy(a) for a in raster.torn_subsamples(
            self.torn_quads.numpy(), self.depth.reshape(-1).numpy(), u.numpy(), v.numpy(), d.numpy(), front.numpy(),
            self.depth.shape[1], K.fx / self.K.fx, _camera(self.K), to_cam.numpy(), _camera(K), K.width, K.height, NEAR_M,
            SPACING, MAX_SUBDIVISION))
        if su.numel() == 0:
            return None
        return Samples.make(su, sv, sd, table(self.colour.index_select(0, corner)), self.rank, K, valid)


def _torn(lo: torch.Tensor, hi: torch.Tensor) -> torch.Tensor:
    """Whether inverse depths spanning lo..hi lie across a depth edge (or touch an empty pixel)."""
    return (lo <= 0) | (hi - lo > EDGE_JUMP * hi)


def _camera(K: Intrinsics) -> np.ndarray:
    """(fx, fy, cx, cy) as the compiled loops take them."""
    return np.array([K.fx, K.fy, K.cx, K.cy], dtype=np.float32)
