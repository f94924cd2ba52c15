"""Scale and plausible range of an estimated seed depth: the user's scale hint, and the guard
against far outliers.

One image does not fix the scale of a scene: a toy car at 30 cm and a car at 3 m look alike.
The user often knows better, so a `ScaleHint` (a distance measured at the image centre, or a
plain factor) rescales the estimate.

Estimators also fail far: the bundled network has put a portrait's wall partly at 500 m, its
sky dome. `guard_far_depth` clamps every pixel to at most `FarGuard.multiple` times the view's
`FarGuard.percentile` depth (measured without the sky), unless the pixel is open sky: the
unbroken run of bright, smooth pixels down from the top edge in its column (and, where the
depth network says which pixels it thinks are at infinity, one of those). A wall inside the
view, a dark region or a textured one is never sky, so it cannot be sent to the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from gwm_engine.errors import InvalidInput
from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M

# A factor beyond these is more likely a unit mistake (cm for m) than a scene 100x off.
MIN_FACTOR, MAX_FACTOR = 0.01, 100.0
# The centre window the known distance is compared with: this share of the short side, square.
CENTRE_WINDOW = 0.1


@dataclass(frozen=True)
class ScaleHint:
    """The user's scale for the estimated depth: the distance in metres to what lies at the image
    centre, or a factor to multiply the estimate by. Give one of them (or none: no change)."""

    centre_distance_m: float | None = None
    factor: float | None = None

    def validate(self) -> None:
        """Raise InvalidInput, in plain words, for a hint that cannot be applied."""
        if self.centre_distance_m is not None and self.factor is not None:
            raise InvalidInput("give the scale as a distance at the image centre or as a factor, not both")
        if self.centre_distance_m is not None:
            d = self.centre_distance_m
            if isinstance(d, bool) or not isinstance(d, (int, float)) or not math.isfinite(d) or not MIN_DEPTH_M <= d <= MAX_DEPTH_M:
                raise InvalidInput(f"the distance at the image centre must be a number of metres between {MIN_DEPTH_M:g} "
                                   f"and {MAX_DEPTH_M:g}, got {d!r}")
        if self.factor is not None:
            f = self.factor
            if isinstance(f, bool) or not isinstance(f, (int, float)) or not math.isfinite(f) or not MIN_FACTOR <= f <= MAX_FACTOR:
                raise InvalidInput(f"the scale factor must be a number between {MIN_FACTOR:g} and {MAX_FACTOR:g}, got {f!r}")


def centre_depth(depth: torch.Tensor) -> torch.Tensor:
    """The median depth of the central window (CENTRE_WINDOW of the short side, at least one
    pixel) of each (..., H, W) map, shape (...)."""
    h, w = depth.shape[-2:]
    side = max(1, round(CENTRE_WINDOW * min(h, w)))
    top, left = (h - side) // 2, (w - side) // 2
    window = depth[..., top:top + side, left:left + side]
    return window.flatten(-2).median(dim=-1).values


def apply_scale_hint(depth: torch.Tensor, hint: ScaleHint) -> torch.Tensor:
    """`depth` (..., H, W) metres rescaled by the user's hint, each map on its own: with a centre
    distance, so that the median of its central window becomes that distance; with a factor,
    multiplied by it. Clamped to the depth range the world holds."""
    hint.validate()
    if hint.centre_distance_m is not None:
        scale = (hint.centre_distance_m / centre_depth(depth).clamp_min(MIN_DEPTH_M))[..., None, None]
    elif hint.factor is not None:
        scale = hint.factor
    else:
        return depth
    return (depth * scale).clamp(MIN_DEPTH_M, MAX_DEPTH_M)


@dataclass(frozen=True)
class FarGuard:
    """How far the view may reach beyond its own far depth, and what looks like sky.

    percentile: the view's reference depth, over its pixels that are not sky; the 75th rather
        than the farthest, so a wrong region of up to a quarter of the view cannot raise it.
    multiple: nothing but sky lies beyond this many times the reference (a room's back wall is
        within 3x its 75th percentile; a street's far end may be cut to 3x).
    sky_brightness: smallest luminance (0..1) of sky; night skies are not sky here.
    sky_warmth: how much redder than blue sky may be; blue and grey-white skies pass, a pink or
        wooden wall does not (nor does a sunset, which then gets the limit, not the horizon).
    sky_texture: largest standard deviation of luminance in some 5x5 window around a sky pixel,
        in the view at `work_rows` rows; clear or overcast sky sits near 0.01, walls with any
        pattern above.
    sky_opening: the shortest stretch of the top edge, as a share of the width, that a sky
        meets in one piece; a pale book spine or a lamp post touching the top does not open it.
    """

    percentile: float = 0.75
    multiple: float = 3.0
    sky_brightness: float = 0.45
    sky_warmth: float = 0.05
    sky_texture: float = 0.03
    sky_opening: float = 0.125
    work_rows: int = 96


def open_sky(rgb: torch.Tensor, guard: FarGuard = FarGuard()) -> torch.Tensor:
    """(B, 1, H, W) bool: pixels in the unbroken run of bright, smooth, blue or grey pixels from
    the top edge down their column, in columns where such pixels meet the top edge in a stretch
    of at least `guard.sky_opening` of the width. Measured at `guard.work_rows` rows, so the
    texture test means the same at every image size."""
    B, _, H, W = rgb.shape
    rows = min(H, guard.work_rows)
    size = (rows, max(1, round(W * rows / H)))
    small = F.interpolate(rgb.float(), size=size, mode="area") if size != (H, W) else rgb.float()
    lum = (0.299 * small[:, 0:1] + 0.587 * small[:, 1:2] + 0.114 * small[:, 2:3])
    mean = F.avg_pool2d(lum, 5, stride=1, padding=2, count_include_pad=False)
    var = F.avg_pool2d(lum * lum, 5, stride=1, padding=2, count_include_pad=False) - mean * mean
    # A pixel is smooth when some 5x5 window holding it is: the sky's own edge stays sky.
    smooth = F.max_pool2d((var.clamp_min(0).sqrt() <= guard.sky_texture).float(), 5, stride=1, padding=2) > 0
    cool = small[:, 2:3] >= small[:, 0:1] - guard.sky_warmth
    candidate = (lum >= guard.sky_brightness) & smooth & cool
    from_top = torch.cumprod(candidate.to(torch.uint8), dim=2).bool()
    wide = torch.stack([_long_runs(top, guard.sky_opening * top.numel()) for top in from_top[:, 0, 0]])
    sky = from_top & wide[:, None, None, :]
    return F.interpolate(sky.float(), size=(H, W), mode="nearest").bool()


def _long_runs(row: torch.Tensor, shortest: float) -> torch.Tensor:
    """The True entries of a 1-D bool `row` that lie in runs of at least `shortest` entries."""
    starts = torch.ones_like(row)
    starts[1:] = row[1:] != row[:-1]
    run = torch.cumsum(starts.long(), 0) - 1  # which run each entry is in
    return row & (torch.bincount(run)[run] >= shortest)


def sample_quantile(x: torch.Tensor, q: float, samples: int = 20_000) -> float:
    """The q-quantile (0..1) of the values of `x`, from an even spread of at most `samples` of
    them: a percentile of a whole view does not need every pixel, and sorting them all is slow."""
    flat = x.flatten()
    flat = flat[:: max(1, flat.numel() // samples)].float()
    return float(flat.kthvalue(max(1, min(flat.numel(), round(q * flat.numel())))).values)


def guard_far_depth(depth: torch.Tensor, rgb: torch.Tensor, far: torch.Tensor | None = None,
                    guard: FarGuard = FarGuard()) -> torch.Tensor:
    """`depth` (B, 1, H, W) metres with every pixel that is not open sky clamped to at most
    `guard.multiple` x the `guard.percentile` depth of the view's non-sky pixels.

    rgb (B, 3, H, W) in [0, 1] is the image the depth was estimated from; `far` (B, 1, H, W)
    bool, when given, marks where the depth network itself is confident of infinity, and sky
    must be both that and open sky by appearance."""
    sky = open_sky(rgb, guard)
    if far is not None:
        sky = sky & far
    out = []
    for d, s in zip(depth, sky):
        ground = d[~s]
        if ground.numel() == 0:  # all sky: nothing to measure the view by
            out.append(d)
            continue
        limit = guard.multiple * sample_quantile(ground, guard.percentile)
        out.append(torch.where(s, d, d.clamp(max=limit)))
    return torch.stack(out).clamp(MIN_DEPTH_M, MAX_DEPTH_M)


__all__ = ["ScaleHint", "FarGuard", "apply_scale_hint", "centre_depth", "open_sky", "sample_quantile", "guard_far_depth"]
