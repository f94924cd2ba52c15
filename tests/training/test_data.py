from pathlib import Path

import numpy as np
import torch

from gwm_engine.model.classical import fill_holes
from gwm_engine.training.data import HELD_OUT_SEEDS, DataConfig, TrajectoryDataset, load_shard, render_trajectory, replay, write_shards

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
