"""benchmarks/gpu_job.py end to end at toy scale on the CPU: every stage's output, the figures
table and the verdict line. The budget is generous so a busy machine does not time a stage out;
MAX_STEPS keeps the training runs to a few steps (a warm-up of 2, resumed to 4)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gwm_engine.model.learned import LearnedModel

ROOT = Path(__file__).resolve().parents[2]
TOY = {
    "DEVICE": "cpu", "BUDGET_S": "1200", "SIZE": "64x64", "TRAJECTORIES": "2", "WORKERS": "1", "LOADER_WORKERS": "0",
    "OWN_FILL_WORKERS": "0", "BATCH": "2", "WARMUP_STEPS": "2", "MAX_STEPS": "4", "EVAL_TRAJECTORIES": "1",
    "EVAL_STEPS": "2", "EVAL_SIZE": "64x64", "EVAL_SEED_SCENES": "0", "FRAME_SIZES": "64x48,96x64", "FRAME_STEPS": "3",
    "GEN_SIZE": "64x64", "GEN_BATCH": "2", "GEN_REPEAT": "2", "GENERATOR_SCENES": "2", "GENERATOR_WIDTHS": "48,96,128,192",
    "EVAL_GENERATION_SCENES": "1",
}


@pytest.mark.slow
@pytest.mark.timeout(1500)
def test_the_gpu_job_runs_end_to_end_at_toy_scale_on_the_cpu(tmp_path: Path):
    out = tmp_path / "job"
    env = {**os.environ, **TOY, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_job.py"), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=1400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    assert len(list((out / "shards").glob("shard-*.npz"))) == 1
    first, cont = LearnedModel.load(out / "train" / "weights.pt"), LearnedModel.load(out / "own-fill" / "weights.pt")
    for model in (first, cont):
        assert model.preset.name == "large" and model.meta["steps"] == 4 and model.meta["config"]["precision"] == "bf16"
    assert cont.meta["networks"] == "completion" and cont.meta["config"]["own_fill"] == 0.8
    # The generator: the continued model's per-frame network widened, trained on seed views it rendered.
    generator = LearnedModel.load(out / "generator" / "main" / "weights.pt")
    assert generator.preset.generator_widths == (48, 96, 128, 192) and generator.meta["steps"] == 4
    assert generator.meta["init"] == str(out / "own-fill" / "weights.pt") and generator.meta["config"]["bf16"]
    assert len(list((out / "views").glob("views-*.npz"))) == 1
    assert (out / "weights.pt").read_bytes() == (out / "generator" / "main" / "weights.pt").read_bytes()
    # Warm-up then resume: one log of steps 1..4 per run, on the same learning-rate schedule.
    for run in ("train", "own-fill"):
        rows = [json.loads(line) for line in (out / run / "log.jsonl").read_text().splitlines()]
        assert [r["step"] for r in rows] == [1, 2, 3, 4]
    assert (out / "logs" / "train-warmup-bf16.log").exists() and (out / "logs" / "train-main.log").exists()

    manifest = json.loads((out / "onnx" / "manifest.json").read_text())
    names = sorted(n["file"] for n in manifest["networks"])
    assert names and all((out / "onnx" / n).stat().st_size > 0 for n in names)
    assert names == ["completion.onnx", "depth.onnx", "generator.onnx"]

    table = (out / "figures.md").read_text()
    assert table in done.stdout
    for row in ("| training data | 1 shards", "| train large (bf16) | 4 steps x 2",
                "| own-fill continuation (bf16, 0.8) | 4 steps", "| generator 48,96,128,192 (bf16) | 4 steps x 2 on 1 shards",
                "| onnx export | ",
                "| eval hole PSNR, new vs shipped | hole PSNR ", "| eval revisit dB",
                "| frame time 64x48 per eye, mono | p50 ", "| frame time 96x64 per eye, stereo (both eyes) | p50 ",
                "| per-frame network throughput (64x64, batch 2, ", "| generator throughput (64x64, batch 2, ",
                "| job wall time | "):
        assert row in table, row
    assert "manifest.json" in table and "failed" not in table
    assert ("To ship them:\n    cp " in done.stdout) != ("do not beat the shipped ones" in done.stdout)
