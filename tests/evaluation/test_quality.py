from gwm_engine.cli import main
from gwm_engine.evaluation.quality import QualityConfig, format_report, run_quality


def test_eval_compares_the_models_on_held_out_scenes():
    report = run_quality(QualityConfig(trajectories=1, steps=4, size=(64, 48), seed_scenes=1, generation_scenes=1))
    m = report["models"]
    assert set(m) == {"learned", "learned ahead", "classical", "none"}
    # Black holes are far from the truth; any filler does better.
    assert m["none"]["hole_psnr"] < m["classical"]["hole_psnr"] - 3
    assert m["none"]["hole_psnr"] < m["learned"]["hole_psnr"] - 3
    assert m["none"]["hole_psnr"] < m["learned ahead"]["hole_psnr"] - 3
    for name in ("learned", "classical"):
        assert 0 < m[name]["seed_absrel"] < 10 and 0 <= m[name]["seed_delta1"] <= 1
    for name in ("learned", "learned ahead", "classical"):
        assert m[name]["revisit_psnr"] > 20  # (inf: the loop came back to the seed exactly)
        # What the seed does not show, the same pixels for every row: any filler beats black there.
        assert m[name]["unseen_psnr"] > m["none"]["unseen_psnr"] + 3
    assert 0 < m["classical"]["hole_fraction"] < 1
    text = format_report(report)
    # Five world-model targets, the two seed-depth targets (every kind, over all) and three of generation.
    assert "| learned (gwm-small) |" in text and text.count("PASS") + text.count("MISS") == 10
    generation = report["generation"]
    assert set(generation) == {"pull-push", "per-frame network", "generator"}
    assert generation["pull-push"]["all"]["texture"] < generation["per-frame network"]["all"]["texture"] + 0.05
    assert "hole texture, learned:" in text


def test_eval_cli_rejects_a_missing_weights_file(capsys, tmp_path):
    assert main(["eval", "--trajectories", "1", "--weights", str(tmp_path / "nope.pt")]) == 2
    assert "weights file not found" in capsys.readouterr().err
