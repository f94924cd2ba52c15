import pytest
import torch

from gwm_engine.model.classical import FAR_M, ClassicalModel, _pull_push_tensors, extend_depth, fill_holes, pull_push
from gwm_engine.model.depth import MAX_DEPTH_M


def test_pull_push_keeps_known_pixels_and_fills_holes_smoothly():
    m = ClassicalModel()
    rgb = torch.rand(2, 3, 40, 50)
    depth = torch.rand(2, 1, 40, 50) * 5 + 1
    mask = torch.ones(2, 1, 40, 50)
    mask[:, :, 10:20, 10:30] = 0
    out_rgb, out_depth = m.complete(rgb * mask, depth * mask, mask)
    keep = mask.bool().expand_as(rgb)
    assert torch.allclose(out_rgb[keep], rgb[keep], atol=1e-6)
    hole = out_depth[:, :, 10:20, 10:30]
    assert torch.all(hole > 1) and torch.all(hole < 6)  # within the range of the known depth


def test_nothing_known_gives_grey_far_wall_not_zero_depth():
    m = ClassicalModel()
    z = torch.zeros(1, 3, 16, 16)
    rgb, depth = m.complete(z, z[:, :1], z[:, :1])
    assert torch.allclose(rgb, torch.full_like(rgb, 0.5)) and torch.allclose(depth, torch.full_like(depth, FAR_M))


def test_depth_prior_is_positive_and_ground_gets_closer_downwards():
    d = ClassicalModel().estimate_depth(torch.rand(1, 3, 48, 64), fov_deg=60)
    assert d.shape == (1, 1, 48, 64) and torch.all(d > 0)
    assert d[0, 0, -1, 0] < d[0, 0, 30, 0] <= d[0, 0, 0, 0]


@pytest.mark.parametrize("size", [(1, 1), (1, 9), (7, 1), (5, 3), (37, 53), (64, 48), (120, 200)])
def test_the_compiled_pull_push_is_the_tensor_one(size):
    """The CPU path (compiled loops) and the GPU/training path (tensor operations) give one fill,
    at odd sizes too (pull windows over the edge, bilinear push onto odd levels)."""
    g = torch.Generator().manual_seed(size[0] * 1000 + size[1])
    x = torch.rand(3, 4, *size, generator=g) * 10
    w = (torch.rand(3, 1, *size, generator=g) > 0.4).float() * torch.rand(3, 1, *size, generator=g).clamp_min(0.5)
    w[0] = 0  # nothing known: the default everywhere
    w[1, :, :, : size[1] // 3] = 0  # a band of new territory
    default = torch.tensor([0.5, 0.5, 0.5, FAR_M])
    fast, reference = pull_push(x, w, default), _pull_push_tensors(x, w, default)
    assert torch.allclose(fast, reference, rtol=1e-5, atol=1e-5)
    known = (w == 1).expand_as(x)
    assert torch.equal(fast[known], x[known])  # known pixels come back bit for bit


def test_hole_depth_continues_along_rows_from_the_background_side():
    rows = torch.linspace(2.0, 30.0, 8).view(1, 1, 8, 1).expand(1, 1, 8, 16).clone()  # a level camera's ground
    rows[..., :2, :] = MAX_DEPTH_M  # sky above it
    depth, mask = rows.clone(), torch.ones(1, 1, 8, 16)
    mask[..., :, :6] = 0  # a turn's new territory past the left edge
    depth[..., 4, 10:12] = 1.0  # a near post ...
    mask[..., 4, 12:14] = 0  # ... and what a step uncovered beside it
    mask[..., 7, :] = 0  # a row with nothing known: its column's
    _, filled = fill_holes(torch.rand(1, 3, 8, 16) * mask, depth * mask, mask)
    assert torch.equal(filled[..., :7, :6], rows[..., :7, :6])  # ground keeps its row's depth, the sky stays sky
    assert torch.equal(filled[..., 4, 12:14], rows[..., 4, 12:14])  # the background, not the post
    assert torch.equal(filled[..., 7, 6:], depth[..., 6, 6:])  # the nearest known along the column
    assert (filled[..., 7, :6] > 0).all()


def test_the_compiled_depth_extension_matches_the_tensor_ops_that_serve_gpus_and_training():
    g = torch.Generator().manual_seed(0)
    depth = torch.rand(3, 1, 40, 64, generator=g) * 20 + 0.5
    mask = (torch.rand(3, 1, 40, 64, generator=g) > 0.3).float()
    mask[0, :, :, :30] = 0
    mask[1, :, 25:] = 0  # rows with nothing known
    fallback = torch.full_like(depth, 7.0)
    compiled = extend_depth(depth, mask, fallback)
    tensors = extend_depth(depth.clone().requires_grad_(True), mask, fallback)  # autograd: the tensor path
    assert torch.equal(compiled, tensors.detach()) and (compiled > 0).all()
