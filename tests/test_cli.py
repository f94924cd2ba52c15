"""The CLI as a user runs it: a real subprocess, real files."""

import argparse
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gwm_engine.cli import EVAL_TARGETS, SCENE_FAMILIES, build_parser


def gwm(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gwm_engine.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_demo_on_bundled_sample_writes_video(tmp_path):
    import imageio.v3 as iio

    out = tmp_path / "walk.mp4"
    r = gwm("demo", "--steps", "12", "--size", "64x48", "--out", str(out))
    assert r.returncode == 0, r.stderr
    frames = list(iio.imiter(out))
    assert len(frames) == 12 and frames[0].shape == (48, 128, 3)
    assert "wrote" in r.stdout and "points in the world" in r.stdout


def test_demo_with_image_and_depth(tmp_path, noise_image):
    Image.fromarray(noise_image).save(tmp_path / "seed.png")
    np.save(tmp_path / "depth.npy", np.full(noise_image.shape[:2], 4.0, np.float32))
    r = gwm("demo", "--image", str(tmp_path / "seed.png"), "--depth", str(tmp_path / "depth.npy"), "--steps", "3",
            "--size", "32x32", "--out", str(tmp_path / "w.mp4"))
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--image", "README.md"], "not a PNG, JPEG, WebP or BMP image"),
        (["--image", "missing.png"], "cannot read image"),
        (["--steps", "0"], "--steps"),
        (["--size", "0x0"], "out of range"),
        (["--size", "banana"], "size must look like"),
    ],
)
def test_demo_bad_input_exits_nonzero_with_message(args, message, tmp_path):
    import pathlib

    repo = pathlib.Path(__file__).resolve().parents[1]
    r = gwm("demo", *args, "--out", str(tmp_path / "x.mp4"), cwd=repo)
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def test_demo_depth_of_wrong_shape(tmp_path, noise_image):
    Image.fromarray(noise_image).save(tmp_path / "seed.png")
    np.save(tmp_path / "depth.npy", np.ones((5, 5), np.float32))
    r = gwm("demo", "--image", str(tmp_path / "seed.png"), "--depth", str(tmp_path / "depth.npy"),
            "--out", str(tmp_path / "w.mp4"))
    assert r.returncode == 2 and "like the image" in r.stderr


def test_scene_writes_rgb_and_exact_depth(tmp_path):
    r = gwm("scene", "--family", "outdoor", "--seed", "3", "--size", "64x48", "--out", str(tmp_path / "x.png"))
    assert r.returncode == 0, r.stderr
    rgb = np.asarray(Image.open(tmp_path / "x.png"))
    depth = np.load(tmp_path / "x_depth.npy")
    assert rgb.shape == (48, 64, 3) and depth.shape == (48, 64)
    assert np.all(np.isfinite(depth)) and depth.min() > 0
    # A seed-view family: its own camera, close to its subject (a table top is within 2 m).
    r = gwm("scene", "--family", "tabletop", "--size", "64x48", "--out", str(tmp_path / "t.png"))
    assert r.returncode == 0, r.stderr
    assert np.median(np.load(tmp_path / "t_depth.npy")) < 2.0
    r = gwm("scene", "--family", "moon", "--out", str(tmp_path / "y.png"))
    assert r.returncode == 2 and "invalid choice: 'moon'" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "--steps and --batch"),
        (["--networks", "everything"], "invalid choice: 'everything'"),
        (["--frozen-from", "w.pt"], "--frozen-from keeps one network fixed"),
        (["--data", "no-such-dir"], "is not a directory of shards"),
    ],
)
def test_train_bad_input_exits_nonzero_with_message(args, message, tmp_path):
    r = gwm("train", *args, "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr


def one_line_error(r: subprocess.CompletedProcess, words: str) -> None:
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert words in r.stderr, r.stderr


@pytest.mark.parametrize(
    "args, words",
    [
        (["demo", "--out", "noext"], "--out noext has no file extension; use one of .mp4"),
        (["demo", "--out", "walk.txt"], "has the extension '.txt'"),
        (["scene", "--out", "noext"], "--out noext has no file extension; use one of .png"),
        (["demo", "--out", "/proc/nope/x.mp4"], "cannot make the folder /proc/nope"),
        (["scene", "--out", "/proc/nope/x.png"], "cannot make the folder /proc/nope"),
        (["scene", "--seed", "-1"], "--seed must be at least 0, got -1"),
        (["demo", "--fps", "0"], "--fps must be 1..240, got 0"),
    ],
)
def test_bad_outputs_and_numbers_end_in_one_line_and_exit_2(args, words, tmp_path):
    one_line_error(gwm(*args, cwd=tmp_path), words)


def test_export_refuses_an_existing_file_as_its_folder(tmp_path):
    (tmp_path / "taken").write_text("mine")
    one_line_error(gwm("export", "--out", str(tmp_path / "taken")), "is a file, not a folder")
    assert (tmp_path / "taken").read_text() == "mine"


def test_a_seed_image_too_small_to_grow_a_world_is_refused(tmp_path):
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(tmp_path / "dot.png")
    one_line_error(gwm("demo", "--image", str(tmp_path / "dot.png"), "--out", str(tmp_path / "w.mp4")),
                   "is 1x1 pixels; it needs at least 16 on each side")


@pytest.mark.parametrize("command", ["demo", "scene"])
@pytest.mark.parametrize("args, words", [(["--size", "8x8"], "size 8x8 is out of range"),
                                         (["--size", "5000x5000"], "size 5000x5000 is out of range"),
                                         (["--fov", "179"], "--fov must be 10..150, got 179")])
def test_demo_and_scene_share_one_set_of_size_and_fov_limits(command, args, words, tmp_path):
    suffix = ".mp4" if command == "demo" else ".png"
    one_line_error(gwm(command, *args, "--out", str(tmp_path / f"x{suffix}")), words)


def subcommands() -> dict[str, argparse.ArgumentParser]:
    (sub,) = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", list(subcommands()))
def test_every_option_says_its_default_and_its_range(command):
    for action in subcommands()[command]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        text = " ".join((action.help or "").split())
        name = action.option_strings[0]
        assert text, f"{command} {name} has no help"
        assert "default" in text or action.required and "(required)" in text, f"{command} {name}: {text}"
        if action.type in (int, float) and not action.choices:
            assert re.search(r"\d\.\.\d|at least|at most|above", text), f"{command} {name} states no range: {text}"


def test_help_names_the_choices_a_user_needs():
    scene = subcommands()["scene"].format_help()
    from gwm_engine.scenes import ALL_FAMILIES

    assert SCENE_FAMILIES == ALL_FAMILIES and all(family in scene for family in ALL_FAMILIES)
    serve = " ".join(subcommands()["serve"].format_help().split())
    assert "engine link as hello's 'token' field or the URL's ?token=" in serve
    assert "--device {cpu,cuda}" in subcommands()["train"].format_help()
    assert "centre-cropped to the output's aspect" in " ".join(subcommands()["demo"].format_help().split())
    eval_help = " ".join(subcommands()["eval"].format_help().split())
    assert " ".join(EVAL_TARGETS.split()) in eval_help and "issue #4" in eval_help and "MISS" in eval_help
