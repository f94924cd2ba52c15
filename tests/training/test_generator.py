import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gwm_engine.evaluation.generation import generation_examples
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.training.data import SeedViewConfig, write_seed_view_shards
from gwm_engine.training.generator import GeneratorConfig, train_generator


def test_a_toy_generator_trains_with_its_discriminator_and_keeps_the_shipped_networks(tmp_path: Path):
    write_seed_view_shards(tmp_path / "views", 2, per_shard=1, config=SeedViewConfig(size=64, views_per_scene=2, supersample=1))
    validation = {kind: ex for kind, ex in generation_examples(1, first_seed=500).items() if kind in ("indoor", "stylised")}
    cfg = GeneratorConfig(tmp_path / "views", tmp_path / "run", DEFAULT_WEIGHTS, widths=(8, 16, 16, 24, 24), steps=4, batch=2,
                          warmup=1, adversarial_from=0.5, validate_every=2, bf16=True)
    model = LearnedModel.load(train_generator(cfg, validation))
    assert model.preset.generator_widths == (8, 16, 16, 24, 24)
    shipped = LearnedModel.load(DEFAULT_WEIGHTS)
    for a, b in zip([*model.depth_net.state_dict().values(), *model.completion_net.state_dict().values()],
                    [*shipped.depth_net.state_dict().values(), *shipped.completion_net.state_dict().values()]):
        assert torch.equal(a.float(), b.float())
    rows = (tmp_path / "run" / "log.jsonl").read_text().splitlines()
    assert len(rows) == 4 and '"val_psnr"' in rows[1] and '"adversarial"' in rows[3] and '"adversarial"' not in rows[1]
    assert (tmp_path / "run" / "step-2.pt").is_file() and model.meta["steps"] == 4 and "val_texture" in model.meta
    rgb, depth, mask = torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64) * 10 + 0.5, torch.ones(1, 1, 64, 64)
    mask[..., :, :24] = 0
    with torch.inference_mode():
        out_rgb, out_depth = model.generate(rgb * mask, depth * mask, mask)
    assert torch.isfinite(out_rgb).all() and (out_depth > 0).all()


@pytest.mark.parametrize("extra, message", [([], "no seed-view shards in"),
                                            (["--scenes", "2", "--textures", "missing.npz"], "texture library not found"),
                                            (["--scenes", "-1"], "--scenes must be at least 0")])
def test_the_command_refuses_bad_input_in_plain_words(tmp_path: Path, extra: list[str], message: str):
    run = subprocess.run([sys.executable, "-m", "gwm_engine.training.generator", "--data", str(tmp_path), "--out",
                          str(tmp_path / "run"), *extra], capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and message in run.stderr and "Traceback" not in run.stderr
    assert not list(tmp_path.glob("views-*"))  # nothing rendered before the refusal


def test_the_generator_starts_as_the_per_frame_network_widened(tmp_path: Path):
    write_seed_view_shards(tmp_path / "views", 1, per_shard=1, config=SeedViewConfig(size=64, views_per_scene=2, supersample=1))
    cfg = GeneratorConfig(tmp_path / "views", tmp_path / "run", DEFAULT_WEIGHTS, widths=(40, 48, 64, 96), steps=1, batch=2,
                          lr=1e-12, warmup=1, adversarial=0.0)
    model = LearnedModel.load(train_generator(cfg))
    rgb, depth, mask = torch.rand(1, 3, 64, 64), torch.rand(1, 1, 64, 64) * 10 + 0.5, torch.ones(1, 1, 64, 64)
    mask[..., :, :24] = 0
    with torch.inference_mode():
        generated, _ = model.generate(rgb * mask, depth * mask, mask)
        per_frame, _ = LearnedModel.load(DEFAULT_WEIGHTS).complete(rgb * mask, depth * mask, mask)
    assert (generated - per_frame).abs().max() < 2e-3  # float16 weights, as saved
