"""The seed-depth table: per kind, and a row of the same held-out scenes with real textures that
stays out of "all"."""

import numpy as np
import pytest
import torch

from gwm_engine.cli import main
from gwm_engine.evaluation.seed_depth import TEXTURED, SeedDepthEvalConfig, eval_views, format_table, score_model
from gwm_engine.model import load_model
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.scenes.texture_library import TextureLibrary


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> str:
    """A stand-in library: two rough, strongly coloured images."""
    rng = np.random.default_rng(0)
    blotches = torch.from_numpy(rng.random((2, 1, 8, 8), dtype=np.float32)).repeat_interleave(4, 2).repeat_interleave(4, 3)
    images = blotches * torch.tensor([1.0, 0.2, 0.1]).reshape(1, 3, 1, 1)  # (2, 3, 32, 32) reds
    path = tmp_path_factory.mktemp("textures") / "lib.npz"
    TextureLibrary(images, ("a.png", "b.png"), ("stand-in (test)",) * 2).save(path)
    return str(path)


def test_the_textured_row_scores_every_family_and_stays_out_of_all(library):
    cfg = SeedDepthEvalConfig(scenes=1, size=64, textures=library)
    views = eval_views(cfg)
    assert list(views[TEXTURED].family) == list(ALL_FAMILIES)
    # The same scenes and cameras as the plain rows, other colours.
    plain = np.concatenate([views[f].depth for f in ALL_FAMILIES])
    assert np.array_equal(views[TEXTURED].depth, plain)
    assert not np.array_equal(views[TEXTURED].rgb, np.concatenate([views[f].rgb for f in ALL_FAMILIES]))
    model = load_model()
    with_textured = score_model(model, views)
    without = score_model(model, {k: v for k, v in views.items() if k != TEXTURED})
    assert with_textured["all"] == pytest.approx(without["all"])
    assert TEXTURED in with_textured and with_textured[TEXTURED] != with_textured["all"]
    text = format_table({"learned": with_textured}, cfg)
    assert "| textured (real images; not in all) |" in text and text.count("PASS") + text.count("MISS") == 2


def test_eval_refuses_a_missing_texture_library(capsys, tmp_path):
    assert main(["eval", "--trajectories", "1", "--textures", str(tmp_path / "nope.npz")]) == 2
    assert "texture library not found" in capsys.readouterr().err
