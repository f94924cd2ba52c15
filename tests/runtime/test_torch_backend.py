"""Torch eager: its speed options keep the reference's outputs, and inputs are checked."""

import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.model.learned import LearnedModel, network_specs
from gwm_engine.runtime.torch_backend import TorchBackend, TorchOptions


def test_channels_last_changes_nothing_but_the_layout(torch_model):
    spec = torch_model.networks()[1][1]
    plain = TorchBackend(TorchOptions(channels_last=False)).load(LearnedModel(torch_model.preset).completion_net, spec)
    plain.module.load_state_dict(torch_model.completion_net.state_dict())
    fast = TorchBackend(TorchOptions(channels_last=True)).load(torch_model.completion_net, spec)
    xs = spec.sample(2, 64, 96)
    for a, b in zip(fast(*xs), plain(*xs)):
        assert a.is_contiguous() and float((a - b).abs().max()) <= 1e-5


def test_bf16_runs_within_its_own_looser_tolerance(torch_model):
    module, spec = torch_model.networks()[1]
    xs = spec.sample(1, 32, 32)
    want = TorchBackend().load(module, spec)(*xs)
    got = TorchBackend(TorchOptions(bf16=True)).load(module, spec)(*xs)
    assert all(g.dtype == torch.float32 and float((g - w).abs().max()) <= 3e-2 for g, w in zip(got, want))


def test_inputs_that_do_not_fit_the_spec_are_clear_errors(torch_model):
    depth = torch_model._depth
    with pytest.raises(InvalidInput, match="takes 2 inputs"):
        depth(torch.rand(1, 3, 32, 32))
    with pytest.raises(InvalidInput, match=r"rays must be \(1, 2, 32, 32\)"):
        depth(torch.rand(1, 3, 32, 32), torch.rand(1, 3, 32, 32))
    with pytest.raises(InvalidInput, match=f"multiples of {torch_model.preset.multiple}"):
        depth(torch.rand(1, 3, 40, 32), torch.rand(1, 2, 40, 32))


def test_profile_covers_the_working_sizes_of_common_frames():
    preset = LearnedModel().preset
    depth, completion = network_specs(preset)
    (b0, h0, w0), opt, (b1, h1, w1) = completion.profile
    for H, W in [(256, 256), (360, 640), (720, 1280), (64, 96)]:
        h, w = preset.work_size(H, W)
        assert h0 <= h <= h1 and w0 <= w <= w1
    assert opt[1:] == preset.work_size(720, 1280) and b1 >= 16
    assert completion.shapes(1) == "rgb:1x3x128x224,depth:1x1x128x224,coverage:1x1x128x224"
