"""The per-session 3D memory: whole views kept as layers, and coloured surfels with LRU eviction.

The seed (and any view generated whole) is a `ViewLayer`: a continuous surface that stays
closed however near the camera comes, never evicted. What the per-frame fill adds goes in as
surfels, each with the step that made it (its priority where it meets an older surface) and
the step it was last seen. A surfel that would float in space the seed saw through (in front of
the surface it showed) is not kept: the seed saw nothing there, so a revisit must not
either.

Memory and per-frame time stay flat on long walks:
- the point count is capped: when an insert would overflow, the points seen least recently are
  dropped first (what the player looks at is always the most recent, so it is never forgotten),
  except pinned points (the seed's surfels in world files written before layers), which are
  never dropped;
- points are kept in blocks of BLOCK points with a bounding box each, packed in Z-order so
  that a block holds a compact piece of space: each step's points as they come, each run of
  RUN newest points once it is complete (one step's fill lies along the frame's border, so
  blocks of several steps' fills would each span the view), and each eviction's survivors;
  a render splats only the blocks whose box meets the view frustum, so its cost follows what
  is in view, not the cache size.
"""

from __future__ import annotations

import numpy as np
import torch

from gwm_engine.geometry.camera import Intrinsics, unproject
from gwm_engine.world.layers import ViewLayer
from gwm_engine.world.splat import NEAR_M, SAME_SURFACE, SplatImage, composite, point_samples

# What is kept when eviction runs: dropping a quarter at once makes eviction rare (it repacks
# the whole cache).
KEEP_FRACTION = 0.75
BLOCK = 1024
RUN = 32 * BLOCK
PINNED = torch.iinfo(torch.int32).max  # the last_seen of pinned points: newer than any step
# A new surfel covers half a pixel (radius) where it was seen, so it gets a footprint only
# once the camera comes about 1.5x closer (see splat.FOOTPRINT_MIN_RADIUS_PX).
SURFEL_RADIUS_PX = 0.5
# A surfel nearer than the seed's surface by more than this fraction lies in space the seed saw through.
FREE_SPACE_MARGIN = SAME_SURFACE
_CORNERS = torch.tensor([[i & 1, (i >> 1) & 1, (i >> 2) & 1] for i in range(8)], dtype=torch.float32)


class WorldCache:
    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self.n = 0
        self.packed = 0  # points [0, packed) are in Z-order runs; the newer ones in their steps' order
        self.xyz = torch.empty(3, self.capacity, dtype=torch.float32)  # one row per coordinate: see splat()
        self.rgb = torch.empty(self.capacity, 3, dtype=torch.uint8)
        self.radius = torch.empty(self.capacity, dtype=torch.float32)
        self.last_seen = torch.empty(self.capacity, dtype=torch.int32)
        self.born = torch.empty(self.capacity, dtype=torch.int32)
        self.layers: list[ViewLayer] = []
        n_blocks = -(-self.capacity // BLOCK)
        self.block_lo = torch.zeros(n_blocks, 3)
        self.block_hi = torch.zeros(n_blocks, 3)

    def __len__(self) -> int:
        """Points in the world: the surfels and every layer's pixels."""
        return self.n + sum(int(layer.valid.sum()) for layer in self.layers)

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.xyz, self.rgb, self.radius, self.last_seen, self.born))

    def add_layer(self, layer: ViewLayer) -> None:
        self.layers.append(layer)

    def add(self, xyz: torch.Tensor, rgb: torch.Tensor, radius: torch.Tensor, step: int) -> None:
        """Append points made at `step`: xyz (M, 3) float32, rgb (M, 3) uint8, radius (M,) float32
        (step PINNED: never evicted). Points in space the seed saw through are dropped."""
        if xyz.shape[0]:
            keep = ~self.in_free_space(xyz)
            xyz, rgb, radius = xyz[keep], rgb[keep], radius[keep]
        m = min(xyz.shape[0], self.capacity)
        if m == 0:
            return
        order = _z_order(xyz[:m])
        xyz, rgb, radius = xyz[order], rgb[order], radius[order]
        if self.n + m > self.capacity:
            self._evict(keep=min(int(self.capacity * KEEP_FRACTION), self.capacity - m))
        s = slice(self.n, self.n + m)
        self.xyz[:, s], self.rgb[s], self.radius[s] = xyz.T, rgb, radius
        self.last_seen[s] = step
        self.born[s] = 0 if step == PINNED else step
        self._update_bounds(self.n, self.n + m)
        self.n += m
        if self.n - self.packed >= RUN:
            self._pack(self.packed, self.n)

    def fuse_view(self, rgb8: torch.Tensor, depth: torch.Tensor, where: torch.Tensor, pose: np.ndarray, K: Intrinsics,
                  step: int) -> None:
        """Add the pixels `where` (H, W) bool of an RGB-D view (H, W, 3) uint8 / (H, W) metres at
        `pose` as surfels made at `step`."""
        if not bool(where.any()):
            return
        pts = unproject(depth, K, pose, where)
        self.add(pts, rgb8[where], depth[where] * (SURFEL_RADIUS_PX / K.fx), step)

    def in_free_space(self, xyz: torch.Tensor) -> torch.Tensor:
        """(M,) bool: the point (M, 3) lies in space an observed view (the seed) saw through."""
        seen = [layer for layer in self.layers if layer.rank == 0]  # what was observed, not generated
        if not seen:
            return torch.zeros(xyz.shape[0], dtype=torch.bool)
        return torch.stack([_in_free_space(layer, xyz) for layer in seen]).any(0)

    def _evict(self, keep: int) -> None:
        if keep <= 0:
            self.n = self.packed = 0
            return
        # The `keep` most recently seen: all newer than the keep-th newest, then ties as fit (a
        # selection, not a sort: this runs every few dozen steps on a million points).
        seen = self.last_seen[: self.n]
        cut = torch.kthvalue(seen, self.n - keep + 1).values
        survive = seen > cut
        survive[(seen == cut).nonzero().squeeze(1)[: keep - int(survive.sum())]] = True
        order = survive.nonzero().squeeze(1)
        # The survivors in Z-order too: in insertion order, each block would gather the few
        # survivors of many steps, near and far mixed, and its box would meet every frustum.
        self._permute(0, order)
        self.n = keep
        self._pack(0, keep)

    def pack(self) -> None:
        """All points in Z-order runs, as a saved and loaded cache holds them (ties between
        samples of one surface go by point order, so frames match across save and load)."""
        if self.packed < self.n:
            self._pack(self.packed, self.n)

    def _pack(self, start: int, end: int) -> None:
        """Points [start, end) in Z-order, their blocks' boxes updated."""
        self._permute(start, start + _z_order(self.xyz[:, start:end].T))
        self._update_bounds(start, end)
        self.packed = end

    def _permute(self, start: int, order: torch.Tensor) -> None:
        """Points from `start` on become points `order` (M,), in that order."""
        end = start + order.numel()
        self.xyz[:, start:end] = self.xyz[:, order]
        for buf in (self.rgb, self.radius, self.last_seen, self.born):
            buf[start:end] = buf[order]

    def _update_bounds(self, start: int, end: int) -> None:
        """Recompute the boxes of the blocks that points [start, end) fall in."""
        if end <= start:
            return
        b0, b1 = start // BLOCK, (end - 1) // BLOCK + 1
        pts = self.xyz[:, b0 * BLOCK : end]
        pad = b1 * BLOCK - end  # the last block may be partly filled: pad with its own first point
        if pad:
            pts = torch.cat([pts, pts[:, -1:].expand(3, pad)], dim=1)
        blocks = pts.reshape(3, b1 - b0, BLOCK)
        self.block_lo[b0:b1] = blocks.amin(dim=2).T
        self.block_hi[b0:b1] = blocks.amax(dim=2).T

    def _visible_blocks(self, cam_from_world: torch.Tensor, K: Intrinsics) -> torch.Tensor:
        """Bool per used block: its box may meet the view frustum (conservative)."""
        nb = -(-self.n // BLOCK)
        return boxes_in_view(self.block_lo[:nb], self.block_hi[:nb], cam_from_world, K)

    def render(self, pose: torch.Tensor, K: Intrinsics, step: int) -> SplatImage:
        """Composite the layers and surfels at `pose`; mark the surfels that show as seen at `step`."""
        cam_from_world = torch.linalg.inv(pose.double()).float()
        parts = []
        if self.layers:
            shown = corners_in_view(torch.stack([x.hull for x in self.layers]), cam_from_world, K)
            for layer, ok in zip(self.layers, shown.tolist()):
                if ok:
                    parts += layer.samples(cam_from_world, K)
        if self.n:
            n = self.n
            vis = self._visible_blocks(cam_from_world, K)
            ids = (vis.nonzero().squeeze(1)[:, None] * BLOCK + torch.arange(BLOCK)).view(-1)
            ids = ids[ids < n] if int(vis[-1]) else ids  # only the last block can be part-full
            parts += point_samples(self.xyz, self.rgb, self.radius, self.born, ids, cam_from_world, K)
        img = composite(parts, K)
        seen = self.last_seen.index_select(0, img.points)
        self.last_seen.index_copy_(0, img.points, seen.clamp_min(step))  # pinned points stay pinned
        return img

    def clone(self) -> WorldCache:
        # Copies the block boxes rather than recomputing them (from_state): a fork is a user's
        # request, and recomputing costs several times the copy (benchmarks/RESULTS.md).
        # Layers are immutable, so the fork shares them.
        out = WorldCache(self.capacity)
        out.n = n = self.n
        out.packed = self.packed
        out.xyz[:, :n] = self.xyz[:, :n]
        for src, dst in ((self.rgb, out.rgb), (self.radius, out.radius), (self.last_seen, out.last_seen), (self.born, out.born)):
            dst[:n] = src[:n]
        out.block_lo.copy_(self.block_lo)
        out.block_hi.copy_(self.block_hi)
        out.layers = list(self.layers)
        return out

    @classmethod
    def from_state(cls, state: dict[str, torch.Tensor], capacity: int, layers: list[ViewLayer] = (),
                   packed: int | None = None) -> WorldCache:
        """The cache `state()` describes, points in the same order and the first `packed` of them
        (default: all) in Z-order runs, so it renders and grows as the cache it came from."""
        out = cls(capacity)
        out.n = n = min(state["xyz"].shape[0], out.capacity)
        out.xyz[:, :n] = state["xyz"][:n].T
        for key, buf in (("rgb", out.rgb), ("radius", out.radius), ("last_seen", out.last_seen), ("born", out.born)):
            buf[:n] = state[key][:n]
        out._update_bounds(0, n)
        out.packed = n if packed is None else min(packed, n)
        out.layers = list(layers)
        return out

    def state(self) -> dict[str, torch.Tensor]:
        """The used part of each surfel buffer (views, not copies), in their order; xyz as (n, 3).
        With `packed`, from_state makes a cache that renders and grows as this one: packing here
        would change the order of samples that tie, and so the frames, of the session saved."""
        n = self.n
        return {
            "xyz": self.xyz[:, :n].T, "rgb": self.rgb[:n], "radius": self.radius[:n],
            "last_seen": self.last_seen[:n], "born": self.born[:n],
        }

    def all_points(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Every point of the world, layers' pixels and surfels: xyz (M, 3) float32, rgb (M, 3) uint8."""
        parts = [layer.points() for layer in self.layers] + [(self.xyz[:, : self.n].T, self.rgb[: self.n])]
        return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts])


def boxes_in_view(lo: torch.Tensor, hi: torch.Tensor, cam_from_world: torch.Tensor, K: Intrinsics) -> torch.Tensor:
    """Bool per axis-aligned box (n, 3) lo/hi: it may meet the view frustum (conservative)."""
    return corners_in_view(lo[:, None] + (hi - lo)[:, None] * _CORNERS, cam_from_world, K)


def corners_in_view(corners: torch.Tensor, cam_from_world: torch.Tensor, K: Intrinsics) -> torch.Tensor:
    """Bool per convex solid given by its 8 corners (n, 8, 3): it may meet the view frustum (conservative)."""
    cam = corners @ cam_from_world[:3, :3].T + cam_from_world[:3, 3]
    d = -cam[..., 2]
    # A solid is outside when all 8 corners are beyond the same frustum plane.
    x_lim = d * (K.width / 2 + 2) / K.fx
    y_lim = d * (K.height / 2 + 2) / K.fy
    outside = (
        (d <= NEAR_M).all(1)
        | (cam[..., 0] > x_lim).all(1)
        | (cam[..., 0] < -x_lim).all(1)
        | (cam[..., 1] > y_lim).all(1)
        | (cam[..., 1] < -y_lim).all(1)
    )
    return ~outside


def _in_free_space(layer: ViewLayer, xyz: torch.Tensor) -> torch.Tensor:
    """(M,) bool: the point (M, 3) lies nearer than the surface the layer shows along its ray."""
    to_cam = torch.linalg.inv(torch.as_tensor(layer.pose, dtype=torch.float64)).float()
    cam = xyz @ to_cam[:3, :3].T + to_cam[:3, 3]
    d = -cam[:, 2]
    inv = d.clamp_min(NEAR_M).reciprocal()
    u = (cam[:, 0] * inv * layer.K.fx + layer.K.cx).floor().long()
    v = (-cam[:, 1] * inv * layer.K.fy + layer.K.cy).floor().long()
    H, W = layer.depth.shape
    inside = (d > NEAR_M) & (u >= 0) & (u < W) & (v >= 0) & (v < H)
    surface = layer.depth.reshape(-1)[(v.clamp(0, H - 1) * W + u.clamp(0, W - 1))]
    return inside & (surface > 0) & (d < surface * (1 - FREE_SPACE_MARGIN))


def _spread_bits(q: torch.Tensor) -> torch.Tensor:
    """Put bit i of each 10-bit value at bit 3i."""
    q = (q | (q << 16)) & 0x030000FF
    q = (q | (q << 8)) & 0x0300F00F
    q = (q | (q << 4)) & 0x030C30C3
    return (q | (q << 2)) & 0x09249249


def _z_order(xyz: torch.Tensor) -> torch.Tensor:
    """The order of points (M, 3) along a Z-order (Morton) curve over their bounding box.

    One view's points span from the ground at the camera's feet to the sky: appended in pixel
    order, every block would hold a strip from near to far, and its box would meet almost any
    frustum. In Z-order each block holds a compact piece of space, so culling can drop it."""
    if xyz.shape[0] < 2:
        return torch.arange(xyz.shape[0])
    lo, hi = xyz.amin(0), xyz.amax(0)
    q = ((xyz - lo) * (1023 / (hi - lo).clamp_min(1e-6))).int()  # 3 x 10 bits fit an int32
    return torch.argsort(_spread_bits(q[:, 0]) | (_spread_bits(q[:, 1]) << 1) | (_spread_bits(q[:, 2]) << 2))
