import numpy as np
import pytest
import torch

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def model():
    from gwm_engine.model import load_model

    return load_model()


@pytest.fixture(scope="session")
def noise_image() -> np.ndarray:
    """A 240x320 image with structure at several scales (not a flat colour)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:240, 0:320] / 40.0
    base = np.stack([np.sin(x * 1.3 + y), np.cos(y * 0.7 - x * 0.4), np.sin(x * y * 0.2)], axis=-1)
    img = 127 + 90 * base + rng.normal(0, 15, (240, 320, 3))
    return img.clip(0, 255).astype(np.uint8)
