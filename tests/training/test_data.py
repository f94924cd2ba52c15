from pathlib import Path

import numpy as np
import torch

from gwm_engine.model.classical import fill_holes
from gwm_engine.scenes.families import ALL_FAMILIES
from gwm_engine.training.data import (
    HELD_OUT_SEEDS,
    VALIDATION_SEEDS,
    DataConfig,
    SeedViewConfig,
    TrajectoryDataset,
    generation_mask,
    held_out_seed_views,
    load_seed_views,
    load_shard,
    render_trajectory,
    replay,
    validation_views,
    write_seed_view_shards,
    write_shards,
)

SMALL = DataConfig(height=48, width=64, steps=6, supersample=1)


def test_training_trajectories_never_use_held_out_scenes():
    for i in range(6):
        traj = render_trajectory(i, SMALL)
        assert traj.scene_seed >= HELD_OUT_SEEDS
        assert traj.rgb.shape == (7, 48, 64, 3) and traj.depth.shape == (7, 48, 64)
    assert {render_trajectory(i, SMALL).family for i in range(3)} == {"indoor", "outdoor", "street"}


def test_replay_gives_holes_to_fill_and_the_truth_behind_them():
    traj = render_trajectory(1, SMALL)
    samples = list(replay(traj, stride=2))
    assert len(samples) == 3  # poses 2, 4 and 6
    assert any(0 < float(s.mask.mean()) < 1 for s in samples), "steps should leave some, not all, pixels uncovered"
    for s in samples:
        assert s.rgb.shape == (3, 48, 64) and s.mask.shape == (1, 48, 64)
        # Where the cache covers the view it agrees with the truth (same world, exact depth).
        covered = s.mask[0].bool()
        if covered.any():
            assert torch.isfinite(s.depth[:, covered]).all() and float(s.depth[:, covered].min()) > 0
            assert float((s.rgb - s.target_rgb).abs()[:, covered].mean()) < 0.1


def test_replay_can_fuse_fills_so_later_views_hold_a_completers_smears():
    traj = render_trajectory(2, SMALL)
    truth, fills = list(replay(traj, stride=1)), list(replay(traj, stride=1, fill=fill_holes))
    assert torch.equal(truth[0].rgb, fills[0].rgb)  # nothing fused yet
    def covered_error(samples):
        return sum(float(((s.rgb - s.target_rgb).abs() * s.mask).sum()) for s in samples[1:])
    assert covered_error(fills) > covered_error(truth)


def test_shards_round_trip_and_feed_the_dataset(tmp_path: Path):
    paths = write_shards(tmp_path, trajectories=3, per_shard=2, config=SMALL)
    assert [p.name for p in paths] == ["shard-0-00000.npz", "shard-0-00001.npz"]
    loaded = load_shard(paths[0])
    again = render_trajectory(0, SMALL)
    assert np.array_equal(loaded[0].rgb, again.rgb) and loaded[0].family == again.family
    batch = next(iter(torch.utils.data.DataLoader(TrajectoryDataset(tmp_path, SMALL), batch_size=4)))
    assert batch["rgb"].shape == (4, 3, 48, 64) and batch["target_depth"].shape == (4, 1, 48, 64)


def test_seed_view_shards_cycle_families_on_training_scenes(tmp_path):
    config = SeedViewConfig(size=32, views_per_scene=2, supersample=1, stylised=0.5)
    paths = write_seed_view_shards(tmp_path, 3, per_shard=2, config=config)
    assert [p.name for p in paths] == ["views-0-00000.npz", "views-0-00001.npz"]
    views = load_seed_views(paths)
    assert views.rgb.shape == (6, 32, 32, 3) and views.rgb.dtype == np.uint8
    assert views.depth.shape == views.sky.shape == (6, 32, 32) and views.sky.dtype == bool
    assert list(views.family) == [f for f in ALL_FAMILIES[:3] for _ in range(2)]
    assert (views.scene_seed >= HELD_OUT_SEEDS).all()
    assert np.isfinite(views.depth.astype(np.float32)).all() and (views.depth > 0).all()
    # Resumable: existing shards are kept as they are.
    before = paths[0].stat().st_mtime_ns
    write_seed_view_shards(tmp_path, 3, per_shard=2, config=config)
    assert paths[0].stat().st_mtime_ns == before


def test_held_out_seed_views_are_reproducible_and_below_the_training_seeds():
    config = SeedViewConfig(size=32, views_per_scene=1, supersample=1, stylised=0.0)
    a = held_out_seed_views(2, 0, config, ("figures", "city"))
    b = held_out_seed_views(1, 1, config, ("city",))
    assert list(a.family) == ["figures", "figures", "city", "city"] and (a.scene_seed < VALIDATION_SEEDS).all()
    assert np.array_equal(a.rgb[3], b.rgb[0]) and np.array_equal(a.depth[3], b.depth[0])
    assert (validation_views(1).scene_seed == VALIDATION_SEEDS).all()


def test_generation_holes_are_a_turns_band_or_the_background_beside_a_near_surface():
    flat = torch.full((1, 64, 64), 10.0)
    box = flat.clone()
    box[..., 24:40, 24:40] = 2.0
    near = torch.zeros(1, 64, 64, dtype=torch.bool)
    near[..., 24:40, 24 - 64 // 8:40 + 64 // 8] = True  # what a box's edge can uncover, row by row
    near[..., 24:40, 24:40] = False
    stepped = 0
    for seed in range(40):
        holes = generation_mask(box, np.random.default_rng(seed)) < 0.5
        band = generation_mask(flat, np.random.default_rng(seed)) < 0.5  # the same draws, no edges to step past
        assert 0.02 <= holes.float().mean() < 0.8
        assert not (holes & ~band & ~near).any()  # nothing but a band and the background beside the box
        stepped += bool((holes & ~band).any())
    assert stepped >= 10
