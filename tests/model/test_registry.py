"""The model registry: every name builds, models describe where their networks really run."""

import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.model import MODELS, load_model
from gwm_engine.model.learned import DEFAULT_WEIGHTS


@pytest.mark.parametrize("name", list(MODELS))
def test_every_registered_name_builds_the_model_it_names(name):
    info = load_model(name, backend="torch", device="cpu").describe()
    assert info.name == name and info.version
    assert info.backends == ["torch-cpu"]


def test_describe_says_what_runs_the_networks():
    onnx = load_model(backend="onnx", device="cpu").describe()
    assert [p.network for p in onnx.networks] == ["depth", "completion", "generator"]
    assert onnx.backends == ["onnx-cpu"] and onnx.runs_on() == "onnx on CPUExecutionProvider"
    torch_ = load_model(str(DEFAULT_WEIGHTS), backend="torch", device="cpu").describe()
    assert torch_.backends == ["torch-cpu"] and torch_.runs_on() == "torch on cpu"
    assert torch_.settings["preset"]["name"] == "small"
    classical = load_model("classical").describe()
    assert classical.networks == () and classical.runs_on() == "no network"


def test_an_unknown_name_lists_the_models():
    with pytest.raises(InvalidInput, match="not found: gwm-huge \\(nor is it a model name: gwm-small, classical\\)"):
        load_model("gwm-huge")
