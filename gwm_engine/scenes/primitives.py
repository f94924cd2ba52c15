"""Analytic solids (axis-aligned boxes, axis-aligned ellipsoids, horizontal planes) and their
exact ray intersection, vectorised over solids x rays.

Rays are `origin + t * dir`. For camera rays `dir` is the world direction of a `pixel_rays`
ray (camera-space z = -1), so the returned t *is* the metric z-depth. Ray arrays are
channel-first, (3, R, P): R bundles of P rays (a screen tile), so per-axis slices are
contiguous. Origins may be one per bundle (a camera) or one per ray (a shadow map), directions
one per ray or one shared: the arithmetic broadcasts, so a shared operand costs nothing per ray.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

EPS = 1e-4  # smallest accepted hit distance: keeps rays from hitting the surface they start on
SKY_RADIUS = 500.0  # every scene sits inside a sky dome centred on the origin, so depth is finite

UP, DOWN, SIDE = 0, 1, 2  # face groups: each primitive has one material per group


@dataclass(frozen=True)
class Primitives:
    """Every solid of a scene as flat float32 tensors. Global index: boxes first, then
    ellipsoids, then planes. A `shell` is seen from inside (a room): it never casts shadows."""

    box_lo: torch.Tensor  # (Nb, 3)
    box_hi: torch.Tensor  # (Nb, 3)
    ell_center: torch.Tensor  # (Ne, 3)
    ell_radii: torch.Tensor  # (Ne, 3)
    plane_y: torch.Tensor  # (Np,) horizontal planes y = h, seen from above
    material: torch.Tensor  # (N, 3) int64, material per face group (UP, DOWN, SIDE)
    shell: torch.Tensor  # (N,) bool

    @property
    def n_box(self) -> int:
        return self.box_lo.shape[0]

    @property
    def n_ell(self) -> int:
        return self.ell_center.shape[0]

    def normal_table(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Per primitive, then the sky dome: centre c (3, N + 1) and weight w (3, N + 1) of
        g = (p - c) * w (see `normals`), whether the surface is curved, and -1 where it is seen
        from inside (shells, the dome), else 1."""
        n_planes = len(self.plane_y)
        plane_c = torch.zeros(n_planes, 3)
        plane_c[:, 1] = self.plane_y - 1  # g = (0, 1, 0) on the plane
        center = torch.cat([(self.box_lo + self.box_hi) / 2, self.ell_center, plane_c, torch.zeros(1, 3)])
        weight = torch.cat([
            2 / (self.box_hi - self.box_lo),
            self.ell_radii**-2,
            torch.tensor([[0.0, 1.0, 0.0]]).expand(n_planes, 3),
            torch.ones(1, 3),
        ])
        curved = torch.zeros(len(center), dtype=torch.bool)
        curved[self.n_box : self.n_box + self.n_ell] = True
        curved[-1] = True
        inside = torch.ones(len(center))
        inside[: self.n_box][self.shell[: self.n_box]] = -1.0
        inside[-1] = -1.0
        return center.T.contiguous(), weight.T.contiguous(), curved, inside

    def corners(self) -> torch.Tensor:
        """(Nb + Ne, 8, 3) corners of the boxes and of the ellipsoids' bounding boxes."""
        lo = torch.cat([self.box_lo, self.ell_center - self.ell_radii])
        hi = torch.cat([self.box_hi, self.ell_center + self.ell_radii])
        pick = torch.tensor([[(k >> a) & 1 for a in range(3)] for k in range(8)], dtype=torch.bool)
        return torch.where(pick[None], hi[:, None], lo[:, None])


class PrimitiveBuilder:
    """Collects solids while a scene family lays them out; `build` freezes them into tensors."""

    def __init__(self) -> None:
        self._boxes: list[tuple[np.ndarray, np.ndarray, tuple[int, int, int], bool]] = []
        self._ells: list[tuple[np.ndarray, np.ndarray, int]] = []
        self._planes: list[tuple[float, int]] = []

    def box(self, lo, hi, up: int, side: int | None = None, down: int | None = None, shell: bool = False) -> None:
        lo, hi = np.asarray(lo, dtype=np.float64), np.asarray(hi, dtype=np.float64)
        assert np.all(hi > lo), (lo, hi)
        side = up if side is None else side
        self._boxes.append((lo, hi, (up, side if down is None else down, side), shell))

    def ellipsoid(self, center, radii, material: int) -> None:
        self._ells.append((np.asarray(center, dtype=np.float64), np.asarray(radii, dtype=np.float64), material))

    def plane(self, y: float, material: int) -> None:
        self._planes.append((float(y), material))

    def build(self) -> Primitives:
        def f32(rows, width=3):
            return torch.tensor(np.array(rows, dtype=np.float64).reshape(-1, width), dtype=torch.float32)

        mats = [b[2] for b in self._boxes] + [(m, m, m) for *_, m in self._ells + self._planes]
        shell = [b[3] for b in self._boxes] + [False] * (len(self._ells) + len(self._planes))
        return Primitives(
            box_lo=f32([b[0] for b in self._boxes]),
            box_hi=f32([b[1] for b in self._boxes]),
            ell_center=f32([e[0] for e in self._ells]),
            ell_radii=f32([e[1] for e in self._ells]),
            plane_y=f32([p[0] for p in self._planes], 1).reshape(-1),
            material=torch.tensor(mats, dtype=torch.int64).reshape(-1, 3),
            shell=torch.tensor(shell, dtype=torch.bool),
        )


# The hot loops below avoid torch.where, masked_fill and min-with-indices: on CPU those run as
# branchy scalar loops, ten times slower than plain arithmetic on incoherent masks. A miss is
# instead pushed to MISS by a large penalty (finite, so differences never turn into NaN).
MISS = 1e30
_FAR = 1e7


def _penalise(t_near: torch.Tensor, t_far: torch.Tensor) -> torch.Tensor:
    """Entry distance where a ray enters a solid ahead of it (t_near <= t_far, t_near > 0),
    else MISS. For a solid seen from outside both roots share a sign, so a solid behind the
    ray has |t_near| >= |t_far| = -t_far and fails the same test as a plain miss."""
    near = t_near.abs_()
    miss = (near - t_far).mul_(MISS).clamp_(max=MISS)
    return torch.maximum(near, miss)


def _slabs(center: torch.Tensor, half: torch.Tensor, o: torch.Tensor, inv_d: torch.Tensor):
    """Slab test entry and exit distances (K, R, P) of boxes with centres and half sizes
    (3, K, R|1) for rays with origins (3, R|1, 1|P) and inverse directions (3, R|1, P|1).

    Per axis the slab's two planes are met at m -+ |1/d| h with m = (c - o) / d: the nearer
    one first whatever the ray's direction, without a min/max per plane pair."""
    t_near = t_far = None
    for a in range(3):
        # The per-ray factor goes first: torch then vectorises along the rays.
        m = inv_d[a][None] * (center[a][:, :, None] - o[a][None])
        spread, h = inv_d[a].abs()[None], half[a][:, :, None]
        near, far = torch.addcmul(m, spread, h, value=-1.0), torch.addcmul(m, spread, h)
        t_near = near if t_near is None else torch.maximum(t_near, near)
        t_far = far if t_far is None else torch.minimum(t_far, far)
    return t_near, t_far


def _quadric(center: torch.Tensor, radii: torch.Tensor, o: torch.Tensor, d: torch.Tensor):
    """Roots of |(o + t d - c) / r| = 1 for ellipsoids (3, K, R|1): (t_near, t_far, disc), each
    (K, R, P). Cancellation-free form: with s = sqrt(disc) - b, t_near = c / s, t_far = s / a."""
    inv_r = (1.0 / radii)[..., None]
    a = b = c = None
    for k in range(3):
        q = (o[k][None] - center[k][:, :, None]) * inv_r[k]  # origin in unit-sphere space
        dk = d[k][None]
        # Per-ray factors first (torch vectorises along the rays), fused multiply-adds after.
        a = (dk * dk) * (inv_r[k] * inv_r[k]) if a is None else a.addcmul_(dk * dk, inv_r[k] * inv_r[k])
        b = dk * (q * inv_r[k]) if b is None else b.addcmul_(dk, q * inv_r[k])
        c = q * q if c is None else c.addcmul_(q, q)
    c = c - 1.0
    disc = torch.addcmul(b * b, a, c, value=-1.0)
    s = disc.clamp_min(0).sqrt_().sub_(b)
    return c / s, s / a, disc


def _nearest(t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Minimum over candidates of t (K, R, P) and the last candidate reaching it (ties are
    rare but real: a table leg's top lies in the plane of the table top's underside)."""
    t_min = t.amin(dim=0)
    rank = torch.arange(1, t.shape[0] + 1, dtype=t.dtype)[:, None, None]
    # Only the minimum scores its rank; any larger distance scores below zero.
    score = (t - t_min).mul_(-MISS).add_(rank)
    return t_min, score.amax(dim=0).long().sub_(1)


def _merge(best_t: torch.Tensor, best_i: torch.Tensor, t: torch.Tensor, i: torch.Tensor) -> None:
    """Keep, per ray, the nearer of the running best and a new hit (ties keep the running best)."""
    closer = t < best_t
    best_t.copy_(torch.minimum(best_t, t))
    best_i.copy_(torch.where(closer, i, best_i))


def _backdrop(prims: Primitives, o, inv_d, best_t: torch.Tensor, best_i: torch.Tensor) -> None:
    """Hits of every ray on the planes and the shells (rooms): they span the whole view, so
    they are not worth culling."""
    rows, p = best_t.shape
    for j, y in enumerate(prims.plane_y.tolist()):
        t = inv_d[1] * (y - o[1])
        t = torch.where(t > EPS, t, math.inf).expand(rows, p)
        _merge(best_t, best_i, t, torch.full_like(best_i, prims.n_box + prims.n_ell + j))
    for j in prims.shell[: prims.n_box].nonzero().squeeze(1).tolist():
        center, half = (prims.box_lo[j] + prims.box_hi[j]) / 2, (prims.box_hi[j] - prims.box_lo[j]) / 2
        t_near, t_far = _slabs(center.reshape(3, 1, 1), half.reshape(3, 1, 1), o, inv_d)
        t = torch.where(t_near > EPS, t_near, t_far)[0]  # from inside: the exit
        t = torch.where((t_near[0] <= t_far[0]) & (t > EPS), t, math.inf).expand(rows, p)
        _merge(best_t, best_i, t, torch.full_like(best_i, j))


def _sky(o: torch.Tensor, d: torch.Tensor, best_t: torch.Tensor, best_i: torch.Tensor) -> None:
    """Put the sky dome behind everything. Only rays whose hit is not surely nearer than the
    dome (the dome is at least SKY_RADIUS - |o| away) need it."""
    rows = best_t.shape[0]
    o_full, d_full = o.expand(3, rows, o.shape[2]), d.expand(3, rows, d.shape[2])
    reach = SKY_RADIUS - (o[0] * o[0] + o[1] * o[1] + o[2] * o[2]).sqrt()
    far = (best_t >= reach).nonzero(as_tuple=True)
    if not len(far[0]):
        return

    def pick(x: torch.Tensor) -> torch.Tensor:
        return x[:, far[0], far[1] if x.shape[2] > 1 else 0][:, None, :]

    _, t_far, _ = _quadric(torch.zeros(3, 1, 1), torch.full((3, 1, 1), SKY_RADIUS), pick(o_full), pick(d_full))
    t_old = best_t[far]
    sky = t_far[0, 0] < t_old
    best_t[far] = torch.minimum(t_old, t_far[0, 0])
    best_i[far] = torch.where(sky, -1, best_i[far])


def _compact(mask: torch.Tensor, k: int) -> torch.Tensor:
    """(C, N) bool with at most k set per row -> (k, C) column indices of the set entries, -1 after."""
    rows, cols = mask.nonzero(as_tuple=True)
    per_row = mask.sum(dim=1)
    slot = torch.arange(len(rows)) - (per_row.cumsum(0) - per_row).repeat_interleave(per_row)
    ids = torch.full((k, mask.shape[0]), -1, dtype=torch.int64)
    ids[slot, rows] = cols
    return ids


def _solids(prims: Primitives) -> tuple[tuple[int, torch.Tensor, torch.Tensor], ...]:
    """(first global index, centres (3, N + 1), sizes (3, N + 1)) of the boxes (half sizes) and
    the ellipsoids (radii). Index -1, which pads candidate lists, picks the appended unit solid
    at _FAR, farther than any real hit."""
    far, unit = torch.full((3, 1), _FAR), torch.ones(3, 1)
    boxes = ((prims.box_lo + prims.box_hi).T / 2, (prims.box_hi - prims.box_lo).T / 2)
    ellipsoids = (prims.ell_center.T, prims.ell_radii.T)
    return tuple(
        (first, torch.cat([centers, far], 1), torch.cat([sizes, unit], 1))
        for first, (centers, sizes) in ((0, boxes), (prims.n_box, ellipsoids))
    )


def _batches(mask: torch.Tensor, n_rays: int, block: int):
    """Bundles (rows of `mask`) grouped by falling candidate count into batches of about
    `block` (ray, solid) pairs: yields (bundle indices, longest candidate list)."""
    counts = mask.sum(dim=1)
    order = counts.argsort(descending=True, stable=True)
    sorted_counts = counts[order].tolist()
    start = 0
    while start < len(order) and sorted_counts[start] > 0:
        k = sorted_counts[start]
        sel = order[start : start + max(1, block // (k * n_rays))]
        start += len(sel)
        yield sel, k


def cast(
    prims: Primitives,
    origins: torch.Tensor,
    dirs: torch.Tensor,
    candidates: torch.Tensor | None = None,
    backdrop: bool = True,
    block: int = 1 << 17,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest hit of bundles of rays: (t (R, P), global primitive index (R, P), -1 = sky/none).

    origins (3, R or 1, 1 or P), dirs (3, R or 1, P or 1), channel-first so that every
    per-axis slice is contiguous: R bundles of P rays, typically the pixels of one screen tile
    sharing one camera centre. candidates (R, n_box + n_ell) bool: the solid boxes and
    ellipsoids each bundle may hit (None: all); solids are seen from outside. `backdrop`:
    also the sky dome, the planes and the shells (rooms), which a shadow map leaves out.

    Per solid type, bundles are sorted by candidate count and processed in batches of about
    `block` (ray, solid) pairs, each padded only to its own longest candidate list."""
    # Finite inverses: 0 * inf would be NaN in the slab test when an origin lies on a slab plane.
    inv_d = (1.0 / dirs).clamp_(-1e20, 1e20)
    rows, n_rays = max(origins.shape[1], dirs.shape[1]), max(origins.shape[2], dirs.shape[2])
    best_t = torch.full((rows, n_rays), math.inf)
    best_i = torch.full((rows, n_rays), -1, dtype=torch.int64)
    if backdrop:
        _backdrop(prims, origins, inv_d, best_t, best_i)
    if candidates is None:
        candidates = torch.ones(rows, prims.n_box + prims.n_ell, dtype=torch.bool)
    candidates = candidates.clone()
    candidates[:, : prims.n_box] &= ~prims.shell[: prims.n_box]  # shells are in the backdrop

    def pick(x: torch.Tensor, sel: torch.Tensor) -> torch.Tensor:
        return x if x.shape[1] == 1 else x[:, sel]

    for first, centers, sizes in _solids(prims):
        mask = candidates[:, first : first + centers.shape[1] - 1]
        for sel, k in _batches(mask, n_rays, block):
            ids = _compact(mask[sel], k)
            o = pick(origins, sel)
            if first == 0:
                t = _penalise(*_slabs(centers[:, ids], sizes[:, ids], o, pick(inv_d, sel)))
            else:
                # On a miss (disc < 0, clamped to 0) the roots come out with t_near > t_far.
                t = _penalise(*_quadric(centers[:, ids], sizes[:, ids], o, pick(dirs, sel))[:2])
            t_min, k_min = _nearest(t)
            flat = (k_min * len(sel) + torch.arange(len(sel))[:, None]).reshape(-1)
            prim = ids.reshape(-1).index_select(0, flat).reshape(k_min.shape)
            t_sel, i_sel = best_t[sel], best_i[sel]
            _merge(t_sel, i_sel, t_min, torch.where(prim >= 0, prim + first, -1))
            best_t[sel], best_i[sel] = t_sel, i_sel
    if backdrop:
        _sky(origins, dirs, best_t, best_i)
    best_t.masked_fill_(best_t >= MISS, math.inf)
    return best_t, best_i


def intersect(prims: Primitives, origins: torch.Tensor, dirs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest hits of rays (N, 3) from origins (N or 1, 3) against everything: (t (N,), index (N,))."""
    t, i = cast(prims, origins.T[:, None, :], dirs.T[:, None, :])
    return t[0], i[0]


def normals(prims: Primitives, idx: torch.Tensor, points: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Unit normals (3, M) at hit points (3, M) of primitives `idx` (-1: the sky dome), facing
    the viewer, and the world axis (M,) each normal is closest to.

    One formula for all: g = (p - c) * w is the outward normal's direction on curved solids;
    on flat ones (boxes, planes) its dominant component is +-1 and marks the face."""
    center, weight, curved, inside = prims.normal_table()
    row = idx.remainder(len(curved))  # the sky, -1, is the last row
    g = (points - center.index_select(1, row)) * weight.index_select(1, row)
    mag = g.abs()
    keep = (mag >= mag.amax(dim=0)) | curved.index_select(0, row)
    n = g * keep
    # Seen from inside (a room, the sky dome) the outward normal faces away from the viewer.
    n *= inside.index_select(0, row) / (n * n).sum(dim=0).sqrt_()
    axis = torch.where((mag[0] >= mag[1]) & (mag[0] >= mag[2]), 0, torch.where(mag[1] >= mag[2], 1, 2))
    return n, axis


def clearance(prims: Primitives, points: torch.Tensor) -> torch.Tensor:
    """A lower bound on the distance (M,) from each point to the nearest solid surface;
    negative inside a solid or outside a shell. Planes (the ground) are not obstacles."""
    p = points[None]
    half = (prims.box_hi - prims.box_lo)[:, None] / 2
    q = (p - (prims.box_lo + prims.box_hi)[:, None] / 2).abs() - half
    outside = q.clamp_min(0).norm(dim=-1) + q.amax(dim=-1).clamp_max(0)
    dist = torch.where(prims.shell[: prims.n_box, None], -outside, outside)
    # Scaling an ellipsoid to the unit sphere shrinks distances by at most its smallest radius.
    u = ((p - prims.ell_center[:, None]) / prims.ell_radii[:, None]).norm(dim=-1)
    ell = (u - 1) * prims.ell_radii.amin(dim=1)[:, None]
    sky = SKY_RADIUS - points.norm(dim=-1)
    return torch.cat([dist, ell, sky[None]]).amin(dim=0)
