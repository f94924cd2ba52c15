import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.training.data import DataConfig, TrajectoryDataset, render_trajectory, replay, write_shards
from gwm_engine.training.train import Losses, OwnFill, TrainConfig, train

SMALL = DataConfig(height=48, width=64, steps=6, supersample=1)


def test_a_few_steps_reduce_the_loss_on_a_fixed_batch():
    torch.manual_seed(0)
    batch = next(iter(torch.utils.data.DataLoader(TrajectoryDataset(None, SMALL), batch_size=4)))
    losses = Losses(LearnedModel()).train()
    opt = torch.optim.AdamW(losses.parameters(), lr=2e-3)
    history = []
    for _ in range(25):
        torch.manual_seed(1)  # the same sensor noise every step: only the weights change
        out = losses(batch)
        opt.zero_grad()
        out["loss"].backward()
        opt.step()
        history.append(out)
    first, last = history[0], history[-1]
    assert last["loss"].item() < 0.7 * first["loss"].item()
    assert last["seed_depth"].item() < first["seed_depth"].item()
    assert last["fill_rgb"].item() < first["fill_rgb"].item()


def test_train_writes_loadable_weights_and_resumes(tmp_path: Path):
    cfg = TrainConfig(out=tmp_path, steps=2, batch=2, workers=0, checkpoint_every=1, data_config=SMALL)
    weights = train(cfg)
    model = LearnedModel.load(weights)
    assert model.meta["steps"] == 2
    cfg.steps, cfg.resume = 4, True
    train(cfg)
    steps = [json.loads(line)["step"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4]
    assert LearnedModel.load(weights).meta["steps"] == 4


def test_one_network_trains_while_the_other_keeps_its_weights(tmp_path: Path):
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    cfg = TrainConfig(out=tmp_path, steps=2, batch=2, workers=0, data_config=SMALL, networks="completion",
                      frozen_from=DEFAULT_WEIGHTS)
    model = LearnedModel.load(train(cfg))
    for name, kept in (("depth_net", True), ("completion_net", False)):
        ours, theirs = getattr(model, name).state_dict(), getattr(shipped, name).state_dict()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours) == kept, name
    assert model.meta["networks"] == "completion"


def test_init_starts_the_trained_network_from_a_weights_file(tmp_path: Path):
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    cfg = TrainConfig(out=tmp_path, steps=1, batch=2, workers=0, lr=1e-6, warmup=1, data_config=SMALL, networks="depth",
                      init=DEFAULT_WEIGHTS)
    model = LearnedModel.load(train(cfg))
    ours, theirs = model.depth_net.state_dict(), shipped.depth_net.state_dict()
    assert not all(torch.equal(ours[k], theirs[k]) for k in ours)  # it trained...
    assert max(float((ours[k] - theirs[k]).abs().max()) for k in ours) < 1e-3  # ...from the shipped weights
    assert model.meta["init"] == str(DEFAULT_WEIGHTS)


def test_torchrun_trains_one_model_on_two_processes(tmp_path: Path):
    shards = tmp_path / "shards"
    write_shards(shards, trajectories=4, per_shard=2, config=SMALL)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2",
           "-m", "gwm_engine.cli", "train",
           "--data", str(shards), "--out", str(out), "--steps", "2", "--batch", "2", "--workers", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=os.environ | {"OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    meta = LearnedModel.load(out / "weights.pt").meta
    assert meta["processes"] == 2 and meta["batch"] == 4 and meta["steps"] == 2


def test_own_fill_is_the_network_as_inference_runs_it_live_or_as_a_snapshot(tmp_path: Path):
    model = LearnedModel.load(DEFAULT_WEIGHTS)
    sample = list(replay(render_trajectory(2, SMALL), stride=3))[-1]
    view = (sample.rgb[None], sample.depth[None], sample.mask[None])
    assert (view[2] == 0).any()
    expected_rgb, _ = model.complete(*view)
    live, snapshot = (OwnFill(model.completion_net, model.preset, snapshot=s) for s in (False, True))
    for fill in (live, snapshot):
        assert torch.allclose(fill(*view)[0], expected_rgb, atol=1e-5)
    with torch.no_grad():
        model.completion_net.unet.head.bias.add_(0.2)  # a training step, in effect
    assert not torch.allclose(live(*view)[0], expected_rgb, atol=1e-3)
    assert torch.allclose(snapshot(*view)[0], expected_rgb, atol=1e-5)
    # and a run that fuses only its own fills trains
    cfg = TrainConfig(out=tmp_path, steps=2, batch=2, workers=0, data_config=SMALL, networks="completion",
                      frozen_from=DEFAULT_WEIGHTS, init=DEFAULT_WEIGHTS, own_fill=1.0)
    assert LearnedModel.load(train(cfg)).meta["config"]["own_fill"] == 1.0


def test_bf16_precision_runs_the_step_in_bf16_and_keeps_float32_weights(tmp_path: Path):
    first_loss = {}
    for precision in ("fp32", "bf16"):
        cfg = TrainConfig(out=tmp_path / precision, steps=1, batch=2, workers=0, precision=precision, data_config=SMALL)
        model = LearnedModel.load(train(cfg))
        first_loss[precision] = json.loads((cfg.out / "log.jsonl").read_text().splitlines()[0])["loss"]
        assert model.meta["config"]["precision"] == precision
    # The same seed, weights and batch: only bf16 rounding tells the two losses apart.
    assert first_loss["bf16"] != first_loss["fp32"]
    assert abs(first_loss["bf16"] - first_loss["fp32"]) < 0.05 * first_loss["fp32"]
    state = torch.load(tmp_path / "bf16" / "last.pt", weights_only=False)
    assert all(v.dtype == torch.float32 for v in state["nets"].values() if v.is_floating_point())
