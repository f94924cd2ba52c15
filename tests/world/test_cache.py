import math

import torch

from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.world.cache import BLOCK, WorldCache


def _view(gen: torch.Generator, n: int) -> torch.Tensor:
    """n points a player looking in a random direction leaves: half near ground, half far sky."""
    yaw = float(torch.rand(1, generator=gen)) * 2 * math.pi
    spread = math.radians(20) * (torch.rand(n, generator=gen) - 0.5) + yaw
    dist = torch.cat([1 + 4 * torch.rand(n // 2, generator=gen), 200 + 300 * torch.rand(n - n // 2, generator=gen)])
    height = torch.where(dist < 10, torch.full_like(dist, -1.6), 50 * torch.rand(n, generator=gen))
    return torch.stack([dist * torch.sin(spread), height, -dist * torch.cos(spread)], dim=1)


def test_culling_keeps_dropping_blocks_after_eviction():
    """Eviction keeps scattered survivors of many steps (whatever renders marked seen); packed
    in insertion order, each block would mix near and far points of many directions and its
    box would meet every view (99 % of the points pass here). The cache repacks them in
    Z-order, so a view drops a good part of the cache (69 % pass; 13 % are in view)."""
    gen = torch.Generator().manual_seed(0)
    K = Intrinsics.from_fov(256, 256, 60.0)
    cache = WorldCache(32 * BLOCK)
    for step in range(400):
        xyz = _view(gen, 1024)
        cache.add(xyz, torch.zeros(1024, 3, dtype=torch.uint8), torch.full((1024,), 0.01), step)
        # Renders mark scattered points seen, so what survives eviction is scattered too.
        cache.last_seen[: cache.n] = torch.randint(0, step + 1, (cache.n,), generator=gen, dtype=torch.int32)
    assert cache.n <= cache.capacity
    shown = 0
    for yaw in range(0, 360, 30):
        c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
        cam_from_world = torch.tensor([[c, 0, -s, 0], [0, 1, 0, 0], [s, 0, c, 0], [0, 0, 0, 1.0]])
        shown += int(cache._visible_blocks(cam_from_world, K).sum()) * BLOCK
    assert shown / (12 * cache.n) < 0.8  # a 60-degree view of points all around


def test_eviction_keeps_the_most_recently_seen_points():
    gen = torch.Generator().manual_seed(1)
    cache = WorldCache(1000)
    cache.add(torch.rand(1000, 3, generator=gen), torch.zeros(1000, 3, dtype=torch.uint8), torch.ones(1000), 0)
    # Ties included: 200 points each seen last at steps 0..4.
    cache.last_seen[:1000] = torch.randperm(1000, generator=gen).to(torch.int32) // 200
    newest = cache.xyz[:, cache.last_seen[:1000] >= 3].T
    cache.add(torch.rand(300, 3, generator=gen) + 10, torch.zeros(300, 3, dtype=torch.uint8), torch.ones(300), 5)
    assert cache.n == 1000  # 700 kept (not 750: 300 had to fit), then 300 added
    kept = cache.last_seen[: cache.n]
    assert int((kept == 5).sum()) == 300 and int((kept == 4).sum()) == 200 and int((kept == 3).sum()) == 200
    assert int((kept == 2).sum()) == 200 and int((kept == 1).sum()) == 100  # ties fill what is left
    assert int((kept == 0).sum()) == 0
    # The newest points are the same ones, wherever they now sit.
    moved = cache.xyz[:, (kept >= 3) & (kept < 5)].T
    assert torch.equal(torch.sort(moved[:, 0]).values, torch.sort(newest[:, 0]).values)
