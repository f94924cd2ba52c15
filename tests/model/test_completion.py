import pytest
import torch

from gwm_engine.model.completion import CompletionNet
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel


def test_a_widened_network_computes_what_the_trained_one_does_and_can_learn_in_its_new_channels():
    small = LearnedModel.load(DEFAULT_WEIGHTS).completion_net
    wide = small.widened((40, 64, 96, 160)).eval()
    assert sum(p.numel() for p in wide.parameters()) > 2 * sum(p.numel() for p in small.parameters())
    rgb, depth, coverage = torch.rand(2, 3, 64, 96), torch.rand(2, 1, 64, 96) * 10 + 0.5, (torch.rand(2, 1, 64, 96) > 0.5).float()
    with torch.no_grad():
        for a, b in zip(small(rgb, depth, coverage), wide(rgb, depth, coverage)):
            assert torch.allclose(a, b, atol=1e-5) and a.abs().mean() > 1e-3
    # The new channels are live: a gradient reaches their outgoing weights.
    sum(y.square().sum() for y in wide(rgb, depth, coverage)).backward()
    assert wide.unet.head.weight.grad[:, 32:].abs().sum() > 0


def test_only_a_network_with_as_many_levels_and_no_narrower_ones_widens():
    small = CompletionNet((8, 16, 16))
    for widths in ((8, 16), (8, 8, 16), (8, 16, 16, 32)):
        with pytest.raises(ValueError, match="cannot widen"):
            small.widened(widths)
