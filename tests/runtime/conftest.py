"""Runtime test helpers; the daemon, client and seed fixtures are in tests/conftest.py."""

import os
from collections.abc import Iterator

import pytest

from gwm_engine.model import LearnedModel, load_model


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory) -> Iterator:
    """A fresh cache (ONNX exports, TensorRT engines) for these tests; daemons inherit it."""
    path = tmp_path_factory.mktemp("gwm-cache")
    before = os.environ.get("GWM_CACHE_DIR")
    os.environ["GWM_CACHE_DIR"] = str(path)
    yield path
    if before is None:
        del os.environ["GWM_CACHE_DIR"]
    else:
        os.environ["GWM_CACHE_DIR"] = before


@pytest.fixture(scope="session")
def torch_model(cache_dir) -> LearnedModel:
    return load_model(backend="torch", device="cpu")


@pytest.fixture(scope="session")
def onnx_model(cache_dir) -> LearnedModel:
    """onnxruntime on the CPU; loading it first also fills the cache the daemons then reuse."""
    return load_model(backend="onnx", device="cpu")
