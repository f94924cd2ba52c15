"""The CLI as a user runs it: a real subprocess, real files."""

import subprocess
import sys

import numpy as np
import pytest
from PIL import Image


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
        (["--image", "README.md"], "not a decodable image"),
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
    r = gwm("scene", "--family", "moon", "--out", str(tmp_path / "y.png"))
    assert r.returncode == 2 and "unknown family" in r.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "0"], "--steps and --batch"),
        (["--networks", "everything"], "unknown --networks"),
        (["--frozen-from", "w.pt"], "--frozen-from keeps one network fixed"),
        (["--data", "no-such-dir"], "is not a directory of shards"),
    ],
)
def test_train_bad_input_exits_nonzero_with_message(args, message, tmp_path):
    r = gwm("train", *args, "--out", str(tmp_path / "run"))
    assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
