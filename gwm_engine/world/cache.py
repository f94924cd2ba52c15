"""The per-session 3D memory: coloured surfels in preallocated buffers with LRU eviction.

Memory and per-frame time stay flat on long walks because the point count is capped: when an
insert would overflow, the points seen least recently are dropped first (the current view is
always the most recent, so what the player looks at is never forgotten).
"""

from __future__ import annotations

import torch

from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.world.splat import SplatImage, splat

# What is kept when eviction runs: dropping a quarter at once makes eviction rare (it sorts).
KEEP_FRACTION = 0.75


class WorldCache:
    def __init__(self, capacity: int):
        self.capacity = int(capacity)
        self.n = 0
        self.xyz = torch.empty(self.capacity, 3, dtype=torch.float32)
        self.rgb = torch.empty(self.capacity, 3, dtype=torch.uint8)
        self.radius = torch.empty(self.capacity, dtype=torch.float32)
        self.last_seen = torch.empty(self.capacity, dtype=torch.int32)

    def __len__(self) -> int:
        return self.n

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (self.xyz, self.rgb, self.radius, self.last_seen))

    def add(self, xyz: torch.Tensor, rgb: torch.Tensor, radius: torch.Tensor, step: int) -> None:
        """Append points (M,3) float32, (M,3) uint8, (M,) float32, seen at `step`."""
        m = min(xyz.shape[0], self.capacity)
        xyz, rgb, radius = xyz[:m], rgb[:m], radius[:m]
        if self.n + m > self.capacity:
            self._evict(keep=min(int(self.capacity * KEEP_FRACTION), self.capacity - m))
        s = slice(self.n, self.n + m)
        self.xyz[s], self.rgb[s], self.radius[s] = xyz, rgb, radius
        self.last_seen[s] = step
        self.n += m

    def _evict(self, keep: int) -> None:
        order = torch.argsort(self.last_seen[: self.n], descending=True, stable=True)[:keep]
        order, _ = torch.sort(order)  # keep insertion order: older points stay first
        for buf in (self.xyz, self.rgb, self.radius, self.last_seen):
            buf[:keep] = buf[order]
        self.n = keep

    def render(self, pose: torch.Tensor, K: Intrinsics, step: int) -> SplatImage:
        """Splat at `pose` and mark the winning points as seen at `step`."""
        n = self.n
        img = splat(self.xyz[:n], self.rgb[:n], self.radius[:n], pose, K)
        seen = img.index[img.index >= 0]
        self.last_seen[seen] = step
        return img

    def clone(self) -> "WorldCache":
        out = WorldCache(self.capacity)
        n = self.n
        out.n = n
        for src, dst in ((self.xyz, out.xyz), (self.rgb, out.rgb), (self.radius, out.radius), (self.last_seen, out.last_seen)):
            dst[:n] = src[:n]
        return out

    def state(self) -> dict[str, torch.Tensor]:
        """The used part of each buffer (views, not copies)."""
        n = self.n
        return {"xyz": self.xyz[:n], "rgb": self.rgb[:n], "radius": self.radius[:n], "last_seen": self.last_seen[:n]}
