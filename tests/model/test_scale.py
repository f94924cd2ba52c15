"""The user's scale hint and the guard that keeps estimated depth within the view's plausible range."""

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gwm_engine.errors import InvalidInput
from gwm_engine.model import load_model
from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.scale import FarGuard, ScaleHint, apply_scale_hint, centre_depth, guard_far_depth, open_sky, sample_quantile


def ramp(h: int = 60, w: int = 80) -> torch.Tensor:
    return torch.linspace(1.0, 9.0, h).view(1, 1, h, 1).expand(1, 1, h, w).contiguous()


# -- the scale hint ----------------------------------------------------------------------------
def test_a_centre_distance_puts_the_centre_at_that_distance_and_scales_everything_alike():
    depth = ramp()
    depth[..., 25:35, 35:45] = 4.0  # what lies at the centre
    out = apply_scale_hint(depth, ScaleHint(centre_distance_m=10.0))
    assert float(centre_depth(out)) == pytest.approx(10.0, rel=1e-5)
    assert torch.allclose(out / depth, torch.full_like(depth, 2.5))


def test_a_factor_multiplies_and_stays_within_the_world():
    depth = ramp()
    assert torch.allclose(apply_scale_hint(depth, ScaleHint(factor=0.5)), depth * 0.5)
    assert float(apply_scale_hint(depth, ScaleHint(factor=100.0)).max()) == MAX_DEPTH_M
    assert float(apply_scale_hint(depth, ScaleHint(factor=0.01)).min()) == pytest.approx(MIN_DEPTH_M)
    assert torch.equal(apply_scale_hint(depth, ScaleHint()), depth)  # no hint, no change


def test_each_map_of_a_batch_is_scaled_on_its_own():
    depth = torch.cat([ramp(), 3 * ramp()])
    out = apply_scale_hint(depth, ScaleHint(centre_distance_m=2.0))
    assert centre_depth(out).flatten().tolist() == pytest.approx([2.0, 2.0], rel=1e-5)


@pytest.mark.parametrize("hint, words", [
    (ScaleHint(centre_distance_m=0.0), "distance at the image centre must be a number of metres between 0.2 and 500"),
    (ScaleHint(centre_distance_m=-3.0), "between 0.2 and 500"),
    (ScaleHint(centre_distance_m=math.nan), "between 0.2 and 500"),
    (ScaleHint(centre_distance_m=1e4), "between 0.2 and 500"),
    (ScaleHint(factor=0.0), "scale factor must be a number between 0.01 and 100"),
    (ScaleHint(factor=math.inf), "between 0.01 and 100"),
    (ScaleHint(factor=True), "between 0.01 and 100"),
    (ScaleHint(centre_distance_m=2.0, factor=2.0), "not both"),
])
def test_bad_hints_are_refused_in_plain_words(hint, words):
    with pytest.raises(InvalidInput, match=words):
        apply_scale_hint(ramp(), hint)


# -- the far guard -----------------------------------------------------------------------------
def scene(h: int = 96, w: int = 128, sky_rows: int = 24) -> tuple[torch.Tensor, torch.Tensor]:
    """A textured mid-grey room (2-6 m) under `sky_rows` rows of smooth bright sky at 500 m."""
    g = torch.Generator().manual_seed(5)
    rgb = 0.35 + 0.3 * torch.rand(1, 3, h, w, generator=g)
    depth = torch.linspace(6.0, 2.0, h).view(1, 1, h, 1).expand(1, 1, h, w).clone()
    rgb[..., :sky_rows, :] = torch.tensor([0.6, 0.75, 0.95]).view(1, 3, 1, 1)
    depth[..., :sky_rows, :] = MAX_DEPTH_M
    return rgb, depth


def test_open_sky_is_the_bright_smooth_run_from_the_top():
    rgb, _ = scene()
    sky = open_sky(rgb)
    assert sky[..., :24, :].all() and not sky[..., 24:, :].any()
    enclosed = rgb.clone()
    enclosed[..., :10, :] = 0.1  # a dark beam along the top: the bright region below is inside the view
    assert not open_sky(enclosed)[..., 10:24, :].any()


def test_pale_narrow_things_and_warm_walls_touching_the_top_are_not_sky():
    rgb, _ = scene(sky_rows=0)
    rgb[..., :60, 20:30] = 0.9  # a pale book spine, 10 of 128 columns wide
    rgb[..., :60, 60:120] = torch.tensor([0.85, 0.6, 0.7]).view(1, 3, 1, 1)  # a smooth pink wall
    assert not open_sky(rgb).any()
    rgb[..., :60, 60:120] = torch.tensor([0.8, 0.8, 0.82]).view(1, 3, 1, 1)  # grey-white: overcast
    assert open_sky(rgb)[..., :60, 60:120].all()


def test_sky_stays_far_and_a_wall_sent_to_the_horizon_comes_back():
    rgb, depth = scene()
    depth[..., 40:70, 10:40] = MAX_DEPTH_M  # a textured wall the estimator put at the sky dome
    out = guard_far_depth(depth, rgb)
    assert (out[..., :24, :] == MAX_DEPTH_M).all()  # the sky
    below = torch.linspace(6.0, 2.0, 96)[24:].view(-1, 1).expand(72, 128)
    limit = FarGuard().multiple * torch.quantile(torch.cat([below[:16, :].flatten(), below[46:, :].flatten(),
                                                             below[16:46, 30:].flatten(), torch.full((900,), MAX_DEPTH_M)]), 0.75)
    assert float(out[..., 40:70, 10:40].max()) == pytest.approx(float(limit), rel=1e-4)
    assert float(out[..., 40:70, 10:40].max()) < 20.0  # three times the room's far depth, not 500 m
    untouched = torch.ones_like(depth, dtype=torch.bool)
    untouched[..., 40:70, 10:40] = False
    assert torch.equal(out[untouched], depth[untouched])


def test_a_bright_smooth_wall_inside_the_view_or_where_the_network_sees_no_infinity_is_not_sky():
    rgb, depth = scene()
    rgb[..., 30:60, 50:90] = 0.8  # bright and smooth, but not reached from the top edge
    depth[..., 30:60, 50:90] = MAX_DEPTH_M
    assert guard_far_depth(depth, rgb)[..., 30:60, 50:90].max() < 20.0
    rgb, depth = scene(sky_rows=12)
    nowhere = torch.zeros_like(depth, dtype=torch.bool)
    assert guard_far_depth(depth, rgb, far=nowhere)[..., :12, :].max() < 20.0  # sky by looks, but the network disagrees
    assert (guard_far_depth(depth, rgb, far=~nowhere)[..., :12, :] == MAX_DEPTH_M).all()


def test_a_plausible_view_passes_unchanged():
    _, depth = scene()
    rgb = 0.2 * torch.ones(1, 3, 96, 128)  # dark: no sky at all
    depth[..., :24, :] = 7.0
    assert torch.equal(guard_far_depth(depth, rgb), depth)


def test_on_the_bundled_street_photo_the_sky_is_found_and_kept_far():
    assets = Path(__file__).parents[2] / "gwm_engine" / "assets"
    rgb = torch.from_numpy(np.asarray(Image.open(assets / "sample.png").convert("RGB")).copy()).permute(2, 0, 1)[None].float() / 255
    true = torch.from_numpy(np.load(assets / "sample_depth.npy"))[None, None]
    sky, true_sky = open_sky(rgb), true >= 400  # the renderer's sky dome
    assert (sky & true_sky).sum() >= 0.95 * sky.sum() and (sky & true_sky).sum() >= 0.8 * true_sky.sum()
    depth = load_model(backend="torch", device="cpu").estimate_depth(rgb, 60.0)
    guarded = guard_far_depth(depth, rgb)
    assert torch.equal(guarded[sky], depth[sky].clamp(MIN_DEPTH_M, MAX_DEPTH_M)) and float(guarded[sky].median()) > 100.0
    limit = 3.0 * sample_quantile(depth[~sky], 0.75)  # the guard's own percentile, of an even sample of pixels
    assert float(guarded[~sky].max()) <= float(limit) * (1 + 1e-6)
