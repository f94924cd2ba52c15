"""Seed-depth networks: sky only where open, the previous architecture still loads and seeds the
new one, and the shipped network keeps closed scenes closed."""

from dataclasses import asdict

import numpy as np
import torch

from gwm_engine.model.depth import MAX_DEPTH_M, SKY_CELL, DepthNet, GroundPriorDepthNet, open_sky
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel, Preset, ray_channels
from gwm_engine.training.data import SeedViewConfig, held_out_seed_views


def test_open_sky_keeps_sky_that_reaches_the_top_and_drops_enclosed_patches():
    sky = torch.zeros(1, 1, 64, 96, dtype=torch.bool)
    sky[..., :20, :] = True  # the sky above a horizon
    sky[..., 10:40, 60:70] = True  # a gap between buildings reaching down from it
    sky[..., 44:56, 8:32] = True  # a sky-blue patch inside a wall
    out = open_sky(sky)
    assert out[..., :20, :].all() and out[..., 24:40, 60:70].all()
    assert not out[..., 44:56, 8:32].any()
    assert not (out & ~sky).any(), "open sky is always a part of the sky"


def test_new_network_starts_as_the_previous_one():
    torch.manual_seed(0)
    old = GroundPriorDepthNet().eval()
    new = DepthNet()
    new.start_from(old)
    new.eval()
    rgb, rays = torch.rand(2, 3, 64, 96), ray_channels(2, 64, 96, 55.0)
    with torch.no_grad():
        assert torch.allclose(new(rgb, rays), old(rgb, rays), rtol=1e-5)
        structure, shift, sky = new.parts(rgb, rays)
    assert torch.equal(shift, torch.zeros_like(shift)) and (sky < 0).all()


def test_weights_files_of_the_previous_architecture_still_load(tmp_path):
    model = LearnedModel(Preset(depth_arch="ground-prior"))
    path = tmp_path / "old.pt"
    model.save(path)
    doc = torch.load(path, weights_only=True)
    del doc["preset"]["depth_arch"]  # as files written before the field existed
    torch.save(doc, path)
    loaded = LearnedModel.load(path)
    assert isinstance(loaded.depth_net, GroundPriorDepthNet)
    assert asdict(loaded.preset)["depth_arch"] == "ground-prior"


def test_sky_is_never_inside_a_closed_scene_and_depth_stays_near_the_truth():
    """Held-out rooms, shelves and close-ups (no sky in view): no estimate of the shipped network
    exceeds twice the farthest true depth."""
    model = LearnedModel.load(DEFAULT_WEIGHTS)
    config = SeedViewConfig(size=128, views_per_scene=1, stylised=0.0)
    views = held_out_seed_views(3, 0, config, ("indoor", "shelves", "tabletop"))
    assert not views.sky.any()
    for i in range(len(views.fov_deg)):
        rgb = torch.from_numpy(views.rgb[i]).permute(2, 0, 1)[None].float() / 255
        est = model.estimate_depth(rgb, float(views.fov_deg[i]))[0, 0].numpy()
        farthest = float(views.depth[i].astype(np.float32).max())
        assert est.max() <= 2 * farthest, (views.family[i], est.max(), farthest)
        assert est.max() < MAX_DEPTH_M


def test_sky_cells_divide_the_working_sizes():
    assert Preset().multiple % SKY_CELL == 0
