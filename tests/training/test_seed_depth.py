from pathlib import Path

import numpy as np
import pytest
import torch

from gwm_engine.evaluation.seed_depth import score_model
from gwm_engine.model.depth import DepthNet
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.training.data import SeedViewConfig, SeedViews, held_out_seed_views, write_seed_view_shards
from gwm_engine.training.seed_depth import SeedDepthConfig, batches, main, train_seed_depth

VIEWS = SeedViewConfig(size=64, views_per_scene=2, supersample=1, stylised=0.5)


def test_a_new_shape_trains_from_scratch_under_bf16_and_keeps_the_shipped_completion(tmp_path: Path):
    write_seed_view_shards(tmp_path / "views", 3, per_shard=2, config=VIEWS)
    validation = held_out_seed_views(1, 500, SeedViewConfig(size=64, views_per_scene=1, supersample=1, stylised=0.0),
                                     ("indoor", "figures"))
    cfg = SeedDepthConfig(tmp_path / "views", tmp_path / "run", DEFAULT_WEIGHTS, widths=(8, 16, 16, 24, 24), steps=4,
                          batch=2, warmup=1, validate_every=2, bf16=True)
    model = LearnedModel.load(train_seed_depth(cfg, validation))
    assert isinstance(model.depth_net, DepthNet) and model.preset.depth_widths == (8, 16, 16, 24, 24)
    assert model.preset.multiple == 32
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    for a, b in zip(model.completion_net.state_dict().values(), shipped.completion_net.state_dict().values()):
        assert torch.equal(a.float(), b.float())
    rows = [line for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and '"val_aligned"' in rows[1]
    depth = model.estimate_depth(torch.rand(1, 3, 90, 160), 60.0)
    assert depth.shape == (1, 1, 90, 160) and torch.isfinite(depth).all() and (depth > 0).all()


def test_the_same_shape_starts_from_the_init_network_and_is_chosen_on_its_run_time_depth(tmp_path: Path):
    write_seed_view_shards(tmp_path / "views", 1, per_shard=1, config=VIEWS)
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    validation = held_out_seed_views(1, 500, SeedViewConfig(size=128, views_per_scene=1, supersample=1, stylised=0.0),
                                     ("indoor", "figures"))
    cfg = SeedDepthConfig(tmp_path / "views", tmp_path / "run", DEFAULT_WEIGHTS, steps=1, batch=2, lr=1e-12, warmup=1)
    model = LearnedModel.load(train_seed_depth(cfg, validation))
    assert model.preset.depth_widths == shipped.preset.depth_widths
    rgb = torch.from_numpy(np.random.default_rng(0).random((1, 3, 64, 64), dtype=np.float32))
    # At a vanishing learning rate the network is the one it started from.
    assert torch.allclose(model.estimate_depth(rgb, 60.0), shipped.estimate_depth(rgb, 60.0), rtol=1e-2)
    # It is chosen on the depth it gives at run time (mirror average, far guard), as `eval` scores it.
    scored = score_model(shipped, {"validation": validation})["all"]
    assert scored["aligned_absrel"] == pytest.approx(model.meta["val_aligned_absrel"], rel=1e-3)
    assert scored["metric_absrel"] == pytest.approx(model.meta["val_metric_absrel"], rel=1e-3)


def test_oversampled_kinds_are_drawn_that_many_times_as_often():
    n = 40
    family = np.array(["indoor"] * (n // 2) + ["tabletop"] * (n // 2))
    depth = np.where(family == "tabletop", 2.0, 1.0)[:, None, None] * np.ones((n, 8, 8))  # tells the kinds apart
    views = SeedViews(np.zeros((n, 8, 8, 3), np.uint8), depth.astype(np.float16), np.zeros((n, 8, 8), bool),
                      np.full(n, 60.0), family, np.arange(n))
    def tabletop_share(oversample):
        stream = batches(views, 50, np.random.default_rng(0), oversample)
        return float(np.mean([(next(stream)[2][:, 0, 0, 0] == 2.0).float().mean() for _ in range(8)]))
    assert 0.4 < tabletop_share(None) < 0.6
    assert 0.7 < tabletop_share({"tabletop": 3.0}) < 0.8  # 3 of 4


@pytest.mark.parametrize("bad", ["tabletop", "tabletop=0", "kitchens=2", "figures=x"])
def test_a_bad_oversample_is_refused_in_plain_words(monkeypatch, capsys, tmp_path: Path, bad: str):
    monkeypatch.setattr("sys.argv", ["seed_depth", "--data", str(tmp_path), "--out", str(tmp_path / "run"), "--oversample", bad])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2 and "--oversample wants KIND=FACTOR" in capsys.readouterr().err
