from pathlib import Path

import numpy as np
import torch

from gwm_engine.evaluation.metrics import high_frequency, inner, psnr, ssim, ssim_map, ssim_tensor
from gwm_engine.media import decode_image
from gwm_engine.model.classical import pull_push


def test_ssim_of_flat_images_is_the_luminance_term():
    a, b = np.full((20, 30, 3), 100.0), np.full((20, 30, 3), 120.0)
    c1 = (0.01 * 255) ** 2
    expected = (2 * 100 * 120 + c1) / (100**2 + 120**2 + c1)  # no variance: contrast-structure term is 1
    np.testing.assert_allclose(ssim_map(a, b), expected, rtol=1e-9)
    assert ssim(a, a) == 1.0


def test_ssim_falls_as_noise_rises_and_psnr_agrees():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (48, 64, 3)).astype(np.float64)
    noisy = [np.clip(a + rng.normal(0, s, a.shape), 0, 255) for s in (5, 20, 60)]
    scores = [ssim(a, n) for n in noisy]
    assert scores[0] > scores[1] > scores[2]
    assert psnr(a, noisy[0]) > psnr(a, noisy[1]) > psnr(a, noisy[2])


def test_ssim_tensor_is_the_eval_metric_batched_and_differentiable():
    rng = np.random.default_rng(1)
    a, b = rng.random((2, 3, 32, 40)), rng.random((2, 3, 32, 40))
    x = torch.tensor(a, dtype=torch.float32, requires_grad=True)
    s = ssim_tensor(x, torch.tensor(b, dtype=torch.float32))
    assert s.shape == (2, 3, 32, 40)
    for i in range(2):
        want = ssim_map(a[i].transpose(1, 2, 0), b[i].transpose(1, 2, 0), peak=1.0)
        np.testing.assert_allclose(s[i].mean(0).detach().numpy(), want, atol=1e-4)
    s.mean().backward()
    assert torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0


def test_texture_energy_tells_a_blurred_fill_from_the_truth():
    """A real photo with a square cut out: the truth scores 1 against itself, pull-push's fill
    (the blur PSNR rewards) far below, and noise of the truth's own strength about as much."""
    rgb = decode_image((Path(__file__).parents[1] / "data" / "rocket.jpg").read_bytes())
    h, w = rgb.shape[:2]
    hole = np.zeros((h, w), dtype=bool)
    hole[h // 3 : h // 3 + 60, w // 3 : w // 3 + 60] = True
    x = torch.from_numpy(rgb).permute(2, 0, 1)[None].float()
    known = torch.from_numpy(~hole)[None, None].float()
    filled = pull_push(x * known, known, torch.zeros(3))[0].permute(1, 2, 0).numpy()
    fill = inner(hole)
    assert fill.sum() == 58 * 58 and not fill[~hole].any()
    truth = high_frequency(rgb)[fill].sum()
    assert truth > 0
    assert high_frequency(filled)[fill].sum() / truth < 0.2
    rng = np.random.default_rng(0)
    noisy = rgb.astype(np.float64)
    noisy[hole] = noisy[hole].mean(0) + rng.normal(0, 1, (hole.sum(), 1)) * np.sqrt(truth / fill.sum() / 20)
    assert 0.5 < high_frequency(noisy)[fill].sum() / truth < 2
