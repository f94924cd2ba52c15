"""The Unity core's PosePrediction (the pose GwmReprojection draws from between frames) applies
actions exactly as the daemon does: compared with gwm_engine.geometry.apply_action on chains
of random turns and moves, built and run with mono."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from gwm_engine.geometry import CameraAction, apply_action

ROOT = Path(__file__).resolve().parents[2]
CORE = sorted((ROOT / "plugins" / "unity" / "Runtime" / "Core").rglob("*.cs"))
MCS, MONO = shutil.which("mcs"), shutil.which("mono")

# Each input line: 16 numbers of the start pose, then 6 per action (right, up, forward, yaw,
# pitch, roll); each output line: the 16 numbers of the pose after them.
HARNESS = r"""
using System;
using System.Globalization;
using System.Linq;

static class Harness
{
    static void Main()
    {
        string line;
        while ((line = Console.ReadLine()) != null)
        {
            var v = line.Split(' ').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            var prediction = new GwmEngine.PosePrediction();
            prediction.FrameArrived(v.Take(16).ToArray(), 0);
            ulong seq = 0;
            for (int i = 16; i + 6 <= v.Length; i += 6)
                prediction.Sent(new GwmEngine.CameraAction { MoveRightM = v[i], MoveUpM = v[i + 1], MoveForwardM = v[i + 2],
                    TurnYawDeg = v[i + 3], TurnPitchDeg = v[i + 4], TurnRollDeg = v[i + 5] }, ++seq);
            Console.WriteLine(string.Join(" ", prediction.Pose.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
        }
    }
}
"""


@pytest.mark.skipif(MCS is None or MONO is None, reason="mono's mcs and mono are not installed")
def test_pose_prediction_matches_the_daemon(tmp_path: Path):
    (tmp_path / "Harness.cs").write_text(HARNESS)
    build = subprocess.run(
        [MCS, "-langversion:7.2", "-r:System.Runtime.Serialization", f"-out:{tmp_path / 'harness.exe'}",
         str(tmp_path / "Harness.cs"), *map(str, CORE)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout + build.stderr

    rng = np.random.default_rng(5)
    lines, expected = [], []
    for _ in range(30):
        start = np.eye(4)
        start[:3, 3] = rng.uniform(-2, 2, 3)
        pose, numbers = start, list(start.ravel())
        for _ in range(5):
            move, turn = rng.uniform(-0.5, 0.5, 3), rng.uniform(-50, 50, 3)
            pose = apply_action(pose, CameraAction(move=tuple(move), turn=tuple(turn)))
            numbers += [*move, *turn]
        lines.append(" ".join(repr(float(x)) for x in numbers))
        expected.append(pose.ravel())
    run = subprocess.run([MONO, str(tmp_path / "harness.exe")], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0, run.stderr
    got = np.array([[float(x) for x in line.split()] for line in run.stdout.splitlines()])
    assert got.shape == (30, 16)
    assert np.allclose(got, np.array(expected), atol=1e-9)
