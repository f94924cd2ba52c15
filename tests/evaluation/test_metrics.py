import numpy as np
import torch

from gwm_engine.evaluation.metrics import psnr, ssim, ssim_map, ssim_tensor


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
