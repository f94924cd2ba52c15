"""The Godot plugin (plugins/godot): every Godot 4 script passes gdtoolkit's parser and linter,
and the Godot 3 port of its client speaks the engine link from a real engine.

No Godot 4 binary is packaged for these machines, so the Godot 4 addon is checked statically.
Debian ships Godot 3.2 headless (`godot3-server`): the port of the addon's client and msgpack
codec (plugins/godot/godot3) runs under it against the real daemon and the golden vectors.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GODOT = ROOT / "plugins" / "godot"
GODOT3 = GODOT / "godot3"
VECTORS = ROOT / "proto" / "link_vectors"
SAMPLE_PNG = ROOT / "gwm_engine" / "assets" / "sample.png"
# 128x96 frames are 86 KB, over Godot 3's default 64 KiB inbound buffer, and cheap for the model.
FRAMES, WIDTH, HEIGHT = 100, 128, 96


def godot4_scripts() -> list[Path]:
    """Every .gd file but the Godot 3 port's: Godot 3 syntax (yield, PoolByteArray, ...) is not
    Godot 4's, and gdtoolkit 4 reads Godot 4 only."""
    return sorted(p for p in GODOT.rglob("*.gd") if GODOT3 not in p.parents)


def test_the_addon_has_its_parts():
    addon = GODOT / "addons" / "gwm_engine"
    for name in ("plugin.cfg", "plugin.gd", "icon.svg", "gwm_link.gd", "gwm_msgpack.gd", "gwm_world_view.gd",
                 "gwm_camera_input.gd", "dock.gd"):  # fmt: skip
        assert (addon / name).is_file(), name
    assert (GODOT / "project.godot").is_file() and (GODOT / "demo" / "main.tscn").is_file()
    # Godot 4 opening the demo project must not try to load the Godot 3 scripts.
    assert (GODOT3 / ".gdignore").is_file()


@pytest.mark.parametrize("tool", ["gdparse", "gdlint"])
def test_godot4_scripts_pass_gdtoolkit(tool):
    scripts = godot4_scripts()
    assert len(scripts) >= 10, scripts
    executable = Path(sys.executable).with_name(tool)
    if not executable.exists():  # a venv-less run: the tool on PATH
        executable = shutil.which(tool)
    assert executable, f"{tool} (gdtoolkit, in the [test] extra) is not installed"
    result = subprocess.run([str(executable), *map(str, scripts)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def expected_vector_counts() -> tuple[int, int, int]:
    """(decoded, re-encoded, skipped) as the Godot 3 test reports them: a signed 64-bit codec
    skips the uint64-above-int64 vectors, and re-encodes the canonical rest byte for byte."""
    vectors = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))["vectors"]
    skipped = [v for v in vectors if "uint64-above-int64" in v["tags"]]
    kept = [v for v in vectors if v not in skipped]
    return len(kept), sum(v["canonical"] for v in kept), len(skipped)


def test_godot3_client_against_the_daemon_and_the_golden_vectors(daemon, tmp_path):
    godot3 = shutil.which("godot3-server")
    if godot3 is None:
        pytest.skip("godot3-server (Debian's Godot 3.2 headless) is not installed; .ci/run installs it")
    # Godot writes its user data under HOME; LANG=C makes it print locale errors.
    env = {**os.environ, "HOME": str(tmp_path), "LANG": "en_US.UTF-8"}
    command = [
        godot3, "--no-window", "--path", str(GODOT3), "-s", "res://test_client.gd", "--",
        "--url", daemon.link_url, "--png", str(SAMPLE_PNG), "--vectors", str(VECTORS),
        "--frames", str(FRAMES), "--width", str(WIDTH), "--height", str(HEIGHT), "--timeout-ms", "20000",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Godot 3 reports script errors and carries on (a parse error even exits 0): only the last
    # line says every check ran.
    assert result.stdout.strip().splitlines()[-1] == "PASS", output
    assert "ERROR" not in output, output
    decoded, encoded, skipped = expected_vector_counts()
    assert f"ok vectors: {decoded} decoded, {encoded} re-encoded byte-exact, {skipped} skipped" in output
    assert "ok refusals:" in output
    assert f"ok play: {FRAMES} actions, {FRAMES} frames {WIDTH}x{HEIGHT}" in output
    assert "seq and client_time_us echoed" in output
    assert "ok play burst:" in output and "ok step, fork, save_world" in output
    assert "ok errors: NOT_FOUND (5)" in output and "INVALID_ARGUMENT (3)" in output
    assert "ok scale: median depth " in output and "ok reset: the start pose" in output
    assert "ok export_geometry glb: " in output
