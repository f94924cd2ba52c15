import numpy as np
import torch

from gwm_engine.evaluation.generation import format_generation_table, generation_examples, score_fills
from gwm_engine.evaluation.seed_depth import KINDS
from gwm_engine.model.classical import ClassicalModel


def test_every_kind_gets_reproducible_holes_and_a_blur_scores_no_texture_where_noise_scores_plenty():
    examples = generation_examples(1)
    again = generation_examples(1)
    assert list(examples) == list(KINDS)
    for kind, (views, mask) in examples.items():
        assert mask.shape == (1, 1, 128, 128) and 0.02 <= 1 - mask.mean() < 0.8, kind
        assert torch.equal(mask, again[kind][1]) and np.array_equal(views.rgb, again[kind][0].rgb)
    classical = ClassicalModel()
    noise = lambda rgb, depth, mask: (torch.rand_like(rgb), depth + (1 - mask) * 5.0)  # noqa: E731
    grey = lambda rgb, depth, mask: (torch.full_like(rgb, 0.5), depth + (1 - mask) * 5.0)  # noqa: E731
    table = score_fills({"pull-push": classical.complete, "noise": noise, "grey": grey}, examples)
    assert set(table["pull-push"]) == {*KINDS, "all"}
    pull_push, noisy, flat = table["pull-push"]["all"], table["noise"]["all"], table["grey"]["all"]
    assert pull_push["texture"] < 0.1 < 1 < noisy["texture"] and flat["texture"] == 0
    assert pull_push["psnr"] > noisy["psnr"] + 3 and pull_push["ssim"] > noisy["ssim"]
    assert 0 < pull_push["depth_absrel"] < flat["depth_absrel"] + 10
    text = format_generation_table({"pull-push": table["pull-push"], "generator": table["noise"]}, 1)
    assert text.count("PASS") + text.count("MISS") == 3 and "| **all** |" in text
