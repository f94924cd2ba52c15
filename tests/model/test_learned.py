import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.actions import CameraAction
from gwm_engine.media import load_image
from gwm_engine.model import LearnedModel, load_model
from gwm_engine.model.classical import fill_holes
from gwm_engine.model.depth import MAX_DEPTH_M
from gwm_engine.model.learned import DEFAULT_WEIGHTS, PRESETS, SMALL_HOLES, completed, resize_depth
from gwm_engine.world.session import SessionConfig, WorldSession

PHOTO = Path(__file__).parent.parent / "data" / "rocket.jpg"  # a real photo: see tests/data/README.md


def test_shipped_weights_are_small_and_load_by_default():
    weights = list(DEFAULT_WEIGHTS.parent.glob("*.pt"))
    assert sum(p.stat().st_size for p in weights) <= 30 * 2**20
    model = load_model()
    assert isinstance(model, LearnedModel) and model.name == "gwm-small"


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_builds_the_widths_it_names_and_runs(name):
    preset = PRESETS[name]
    model = LearnedModel(preset)
    assert preset.depth_arch == "structure-scale" and model.name == f"gwm-{name}"
    for net, widths in ((model.depth_net, preset.depth_widths), (model.completion_net, preset.completion_widths)):
        channels = {m.out_channels for m in net.modules() if isinstance(m, torch.nn.Conv2d)}
        assert set(widths) <= channels, (name, widths, sorted(channels))
    rgb, depth, mask = torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64) * 10 + 0.5, torch.ones(1, 1, 64, 64)
    mask[..., 20:40, 20:40] = 0
    with torch.inference_mode():
        out_rgb, out_depth = model.complete(rgb * mask, depth * mask, mask)
        est = model.estimate_depth(rgb, 60.0)
    assert torch.isfinite(out_rgb).all() and torch.isfinite(out_depth).all() and torch.isfinite(est).all()


@pytest.mark.parametrize("size", [(64, 64), (100, 150), (360, 640)])
def test_outputs_are_finite_and_full_frame(size):
    model = load_model()
    H, W = size
    rgb = torch.rand(2, 3, H, W)
    depth = torch.rand(2, 1, H, W) * 10 + 0.5
    mask = (torch.rand(2, 1, H, W) > 0.3).float()
    with torch.inference_mode():
        out_rgb, out_depth = model.complete(rgb * mask, depth * mask, mask)
        est = model.estimate_depth(rgb, 60.0)
    assert out_rgb.shape == (2, 3, H, W) and out_depth.shape == (2, 1, H, W) and est.shape == (2, 1, H, W)
    for t in (out_rgb, out_depth, est):
        assert torch.isfinite(t).all()
    assert 0 <= float(out_rgb.min()) and float(out_rgb.max()) <= 1
    assert float(out_depth.min()) > 0 and float(est.min()) > 0


def test_only_views_with_more_than_a_few_cracks_go_through_the_network():
    """In one batch: a view missing a few pixels is closed by pull-push alone, one missing a
    block gets the network's fill, exactly as it would alone."""
    model = load_model()
    torch.manual_seed(0)
    rgb, depth = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64) * 10 + 0.5
    mask = torch.ones(2, 1, 64, 64)
    mask[0, 0, 10, 10:14] = 0  # 4 pixels: under SMALL_HOLES
    mask[1, 0, 20:40, 20:40] = 0  # 400 pixels: over
    assert (1 - mask[0].mean()) <= SMALL_HOLES < (1 - mask[1].mean())
    with torch.inference_mode():
        out_rgb, out_depth = model.complete(rgb * mask, depth * mask, mask)
        alone_rgb, alone_depth = completed(model._completion, rgb[1:] * mask[1:], depth[1:] * mask[1:], mask[1:], model.preset)
    pull_rgb, pull_depth = fill_holes(rgb[:1] * mask[:1], depth[:1] * mask[:1], mask[:1])
    assert torch.equal(out_rgb[:1], pull_rgb) and torch.equal(out_depth[:1], pull_depth)
    assert torch.allclose(out_rgb[1:], alone_rgb) and torch.allclose(out_depth[1:], alone_depth)
    assert not torch.allclose(alone_rgb, fill_holes(rgb[1:] * mask[1:], depth[1:] * mask[1:], mask[1:])[0])


def test_a_batch_of_views_with_only_cracks_is_pull_pushed_whole_and_the_quick_fill_never_runs_the_network():
    model = load_model()
    torch.manual_seed(0)
    rgb, depth = torch.rand(2, 3, 64, 64), torch.rand(2, 1, 64, 64) * 10 + 0.5
    mask = torch.ones(2, 1, 64, 64)
    mask[0, 0, 10, 10:14] = 0  # a crack; the second view has none
    big = torch.ones(2, 1, 64, 64)
    big[:, :, 20:40, 20:40] = 0
    with torch.inference_mode():
        out_rgb, out_depth = model.complete(rgb * mask, depth * mask, mask)
        pull_rgb, pull_depth = fill_holes(rgb * mask, depth * mask, mask)
        assert torch.equal(out_rgb[:1], pull_rgb[:1]) and torch.equal(out_depth[:1], pull_depth[:1])
        assert torch.equal(out_rgb[1:], rgb[1:]) and torch.equal(out_depth[1:], depth[1:])  # nothing to fill
        quick_rgb, _ = model.quick_fill(rgb * big, depth * big, big)
        assert torch.equal(quick_rgb, fill_holes(rgb * big, depth * big, big)[0])
        whole_rgb, whole_depth = model.quick_fill(rgb, depth, torch.ones(2, 1, 64, 64))
        assert whole_rgb is rgb and whole_depth is depth


def test_seed_depth_of_a_mirrored_photo_is_the_mirrored_depth():
    """The estimate averages a view and its mirror image, so it has no left-right bias."""
    model = load_model()
    rgb = torch.from_numpy(load_image(PHOTO)).permute(2, 0, 1)[None].float() / 255
    with torch.inference_mode():
        est, mirrored = model.estimate_depth(rgb, 60.0), model.estimate_depth(rgb.flip(-1), 60.0)
    assert torch.allclose(mirrored.flip(-1), est, rtol=1e-4)
    assert not torch.allclose(est, est.flip(-1), rtol=1e-2)  # the photo itself is not symmetric


@pytest.mark.parametrize("size", [(256, 256), (200, 360), (48, 48)])
def test_resized_depth_is_sky_or_a_surface_never_a_blend(size):
    """A head and shoulders at 2-3 m against the sky: resized up or down, every pixel is the sky
    dome or lies within the surfaces' own range, and the sky keeps its share of the view."""
    y, x = torch.meshgrid(torch.linspace(-1, 1, 128), torch.linspace(-1, 1, 128), indexing="ij")
    figure = ((x / 0.35) ** 2 + ((y + 0.2) / 0.45) ** 2 < 1) | (y > 0.4)
    depth = torch.where(figure, 2.0 + (y + 1) / 2, torch.tensor(MAX_DEPTH_M))[None, None]
    out = resize_depth(depth, size)
    assert out.shape == (1, 1, *size)
    sky = out == MAX_DEPTH_M
    assert ((out[~sky] >= 2.0 - 1e-4) & (out[~sky] <= 3.0 + 1e-4)).all()
    assert abs(sky.float().mean() - (~figure).float().mean()) < 0.02


def test_a_natural_photo_gets_sane_depth_and_a_100_step_walk():
    model = load_model()
    session = WorldSession.create(load_image(PHOTO), None, SessionConfig(160, 128), model)
    seed = session.step()
    median = float(np.median(seed.depth))
    assert 1.0 < median < 200.0, f"median seed depth {median:.2f} m"  # metres, not millimetres or kilometres
    assert seed.depth.min() >= 0.2 and np.isfinite(seed.depth).all()
    rng = np.random.default_rng(0)
    for i in range(100):
        action = CameraAction(move=(rng.uniform(-0.1, 0.1), 0, 0.1), turn=(rng.uniform(-5, 5), rng.uniform(-2, 2), 0))
        frame = session.step(action)
        assert frame.rgb.shape == (128, 160, 3) and frame.index == i + 2
        assert np.isfinite(frame.depth).all() and frame.depth.min() > 0


def test_bad_weights_are_a_clear_error(tmp_path: Path):
    with pytest.raises(InvalidInput, match="not found"):
        load_model(str(tmp_path / "missing.pt"))
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a weights file")
    with pytest.raises(InvalidInput, match="cannot read"):
        load_model(str(junk))
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else"}, other)
    with pytest.raises(InvalidInput, match="not a gwm-engine weights file"):
        load_model(str(other))


def test_a_generator_is_saved_loaded_listed_and_used_only_at_seed_time_on_a_cpu(tmp_path: Path):
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    assert [spec.name for _, spec in shipped.networks()] == ["depth", "completion", "generator"]
    plain = LearnedModel(dataclasses.replace(shipped.preset, generator_widths=()), shipped.depth_net, shipped.completion_net)
    model = LearnedModel(dataclasses.replace(shipped.preset, generator_widths=(8, 16, 16, 24, 24)), shipped.depth_net,
                         shipped.completion_net)
    torch.nn.init.normal_(model.generator_net.unet.head.bias, 0.3)  # a generator that visibly differs
    model.save(tmp_path / "g.pt")
    loaded = LearnedModel.load(tmp_path / "g.pt")
    assert loaded.preset.generator_widths == (8, 16, 16, 24, 24) and loaded.preset.multiple == 32
    rgb, depth, mask = torch.rand(1, 3, 64, 96), torch.rand(1, 1, 64, 96) * 10 + 0.5, torch.ones(1, 1, 64, 96)
    mask[..., :, :40] = 0
    with torch.inference_mode():
        generated, _ = loaded.generate(rgb * mask, depth * mask, mask)
        completed_, _ = loaded.complete(rgb * mask, depth * mask, mask)
        per_frame, _ = plain.complete(rgb * mask, depth * mask, mask)
        ahead, _ = loaded.generate_ahead(rgb * mask, depth * mask, mask)
    hole = mask.expand_as(rgb) == 0
    assert torch.equal(completed_, per_frame)  # the frame's fill is the completion network's
    assert not loaded.backend.on_gpu and torch.equal(ahead, per_frame)  # on a CPU, so is the fill ahead of a walk
    assert (generated - per_frame)[hole].abs().mean() > 0.05  # generation is the generator's
    # Weights without a generator generate with their completion network.
    assert plain.generator_net is None and len(plain.networks()) == 2
    with torch.inference_mode():
        assert torch.equal(plain.generate(rgb * mask, depth * mask, mask)[0], per_frame)
