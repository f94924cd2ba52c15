"""The Unity plugin (plugins/unity): its C# core built with mono's mcs and run against the real daemon.

Unity itself is not available here, so the package keeps its logic in Runtime/Core (no
UnityEngine dependency, C# 7.2) and this suite builds that core with Debian's mono, runs the
test program in Tests/Mono (offline checks, the golden vectors, a real daemon over the engine
link) and compares its pose conversion with tests/geometry/unity_pose.py. The Unity-only
scripts are checked for C# 7.2 syntax under each input back end, and the package layout
(manifest, assembly definitions, .meta files) for what Unity needs to import it.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from geometry.unity_pose import pose_from_unity, pose_to_unity
from gwm_engine.geometry import CameraAction, apply_action

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "unity"
CORE = sorted((PACKAGE / "Runtime" / "Core").rglob("*.cs"))
TESTS = sorted((PACKAGE / "Tests" / "Mono").glob("*.cs"))
VECTORS = ROOT / "proto" / "link_vectors"
SAMPLE = ROOT / "gwm_engine" / "assets"
MCS, MONO = shutil.which("mcs"), shutil.which("mono")
LANGVERSION = "-langversion:7.2"  # the newest C# Debian mono's mcs speaks; Unity's compiler takes it too
# .NET base-library assemblies the core uses beyond mcs's defaults (Unity references them itself):
# DataContractJsonSerializer reads the .glb's JSON chunk (GlbWorld.cs).
REFERENCES = ("-r:System.Runtime.Serialization",)

needs_mono = pytest.mark.skipif(
    MCS is None or MONO is None, reason="mono's mcs and mono are not installed (CI installs mono-complete in .ci/run)"
)


def _mcs(*args: str) -> None:
    result = subprocess.run([MCS, LANGVERSION, "-warnaserror+", *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"mcs failed:\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("unity")
    # The core alone, as Unity builds it: a library referencing nothing beyond the .NET base.
    _mcs("-target:library", *REFERENCES, f"-out:{out / 'GwmEngine.Core.dll'}", *map(str, CORE))
    # The test program is built with the core's sources: it checks internals (request builders).
    _mcs(*REFERENCES, f"-out:{out / 'GwmEngineTests.exe'}", *map(str, CORE + TESTS))
    return out / "GwmEngineTests.exe"


def _run(program: Path, *args: str, timeout: float = 60) -> str:
    result = subprocess.run([MONO, "--debug", str(program), *args], capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"the C# test program failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


@needs_mono
def test_core_units(program: Path):
    out = _run(program, "units")
    assert "OK units" in out and "PASS units" in out


@needs_mono
def test_codec_against_every_golden_vector(program: Path):
    index = json.loads((VECTORS / "index.json").read_text())["vectors"]
    out = _run(program, "vectors", str(VECTORS))
    counts = re.search(r"OK vectors: (\d+) decoded, (\d+) canonical re-encoded byte-exact, (\d+) replies read as typed "
                       r"messages, (\d+) requests built by the client \((\d+) byte-exact\)", out)
    assert counts, out
    decoded, encoded, replies, built, exact = map(int, counts.groups())
    assert decoded == len(index)
    assert encoded == sum(v["canonical"] for v in index)
    assert replies == sum(v.get("direction") == "daemon_to_client" for v in index)
    assert built >= 10 and exact >= 8


def _pose_cases() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    poses = [np.eye(4)]
    # A half turn about each axis takes every branch of the matrix-to-quaternion conversion.
    for R in (np.diag([1.0, -1, -1]), np.diag([-1.0, 1, -1]), np.diag([-1.0, -1, 1])):
        pose = np.eye(4)
        pose[:3, :3] = R
        pose[:3, 3] = rng.normal(size=3)
        poses.append(pose)
    for _ in range(20):
        action = CameraAction(move=tuple(rng.normal(size=3)), turn=tuple(rng.uniform(-170, 170, 3)))
        poses.append(apply_action(apply_action(np.eye(4), action), CameraAction(turn=(rng.uniform(-180, 180), 0, 0))))
    return poses


@needs_mono
def test_pose_conversion_matches_python(program: Path, tmp_path: Path):
    poses = _pose_cases()
    rng = np.random.default_rng(4)
    unity = [(rng.normal(size=3) * 5, rng.normal(size=4) * rng.uniform(0.2, 3)) for _ in range(20)]  # unnormalised too
    unity.append((np.zeros(3), np.array([0.0, 0.0, 0.0, 1.0])))
    lines = [" ".join(["to_unity", *map(repr, pose.ravel().tolist())]) for pose in poses]
    lines += [" ".join(["from_unity", *map(repr, [*p.tolist(), *q.tolist()])]) for p, q in unity]
    cases = tmp_path / "poses.txt"
    cases.write_text("\n".join(lines) + "\n")

    out = _run(program, "poses", str(cases))
    results = [[float(x) for x in line.split()[2:]] for line in out.splitlines() if line.startswith("POSE ")]
    assert f"OK poses: {len(lines)} conversions" in out and len(results) == len(lines)
    for pose, got in zip(poses, results[: len(poses)]):
        position, rotation = pose_to_unity(pose)
        np.testing.assert_allclose(got, [*position, *rotation], atol=1e-12)
    for (position, rotation), got in zip(unity, results[len(poses):]):
        np.testing.assert_allclose(np.array(got).reshape(4, 4), pose_from_unity(position, rotation), atol=1e-12)


@needs_mono
def test_core_against_the_daemon(program: Path, daemon, tmp_path: Path):
    depth = tmp_path / "sample_depth.f16"
    depth.write_bytes(np.load(SAMPLE / "sample_depth.npy").astype("<f2").tobytes())
    out = _run(program, "daemon", daemon.link_url, str(SAMPLE / "sample.png"), str(depth), timeout=120)
    for expected in (
        "OK hello: server ",
        "OK create_session: ",
        "OK play: 100 actions, ",
        "last seq 100",
        "OK errors: NOT_FOUND, INVALID_ARGUMENT and UNIMPLEMENTED",
        "OK fork: same view at the fork",
        "OK save/load: ",
        "OK concurrent: 4 steps and a get_info",
        "OK stereo: both eyes per frame",
        "OK export_geometry: ",
        "OK scale: walk speed ",
        "OK reset: the start pose",
        "OK export_geometry glb: ",
        "OK close: ",
        "PASS daemon",
    ):
        assert expected in out, f"missing {expected!r} in:\n{out}"


UNITY_SCRIPTS = sorted([*(PACKAGE / "Runtime" / "Components").glob("*.cs"), *(PACKAGE / "Editor").glob("*.cs"),
                        *(PACKAGE / "Samples~").rglob("*.cs")])  # fmt: skip


@needs_mono
@pytest.mark.parametrize("defines", [(), ("ENABLE_INPUT_SYSTEM", "GWM_INPUT_SYSTEM"), ("ENABLE_LEGACY_INPUT_MANAGER",)],
                         ids=["no-input", "input-system", "legacy-input"])  # fmt: skip
def test_unity_scripts_are_csharp_7_2(defines: tuple[str, ...]):
    """Without Unity they cannot be compiled, but they must parse as C# 7.2 in every #if branch."""
    assert UNITY_SCRIPTS
    result = subprocess.run([MCS, LANGVERSION, "--parse", *(f"-define:{d}" for d in defines), *map(str, UNITY_SCRIPTS)],
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"


def test_package_layout():
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert manifest["name"] == "com.gwm-engine.unity" and manifest["unity"] == "2022.3"
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    for sample in manifest["samples"]:
        assert (PACKAGE / sample["path"]).is_dir()
    assert (PACKAGE / "Documentation~" / "index.md").is_file()

    asmdefs = {p.relative_to(PACKAGE).as_posix(): json.loads(p.read_text()) for p in PACKAGE.rglob("*.asmdef")}
    core = asmdefs["Runtime/Core/GwmEngine.Core.asmdef"]
    assert core["noEngineReferences"] is True and core["references"] == []
    assert not any(re.search(r"^using (static )?Unity", p.read_text(), re.M) for p in CORE)
    assert "GwmEngine.Core" in asmdefs["Runtime/Components/GwmEngine.Components.asmdef"]["references"]
    assert asmdefs["Editor/GwmEngine.Editor.asmdef"]["includePlatforms"] == ["Editor"]
    assert asmdefs["Tests/Mono/GwmEngine.MonoTests.asmdef"]["defineConstraints"], "Unity must not build the mono test program"

    # Unity ignores files without a .meta in immutable (git or registry) packages; folders ending
    # in ~ are never imported and have none.
    guids = {}
    for path in sorted(PACKAGE.rglob("*")):
        relative = path.relative_to(PACKAGE)
        if path.suffix == ".meta" or any(part.endswith("~") for part in relative.parts):
            continue
        meta = path.with_name(path.name + ".meta")
        assert meta.is_file(), f"{relative} has no .meta"
        guid = re.search(r"^guid: ([0-9a-f]{32})$", meta.read_text(), re.M)
        assert guid, f"{meta.name} has no guid"
        assert guid.group(1) not in guids, f"{relative} and {guids.get(guid.group(1))} share a guid"
        guids[guid.group(1)] = relative
    for meta in PACKAGE.rglob("*.meta"):
        assert meta.with_suffix("").exists(), f"{meta.relative_to(PACKAGE)} describes nothing"


def test_namespaces_hide_none_of_unitys():
    """A namespace GwmEngine.Unity would make `Unity.Collections` (and every other Unity.*
    namespace) unreachable by that name from code inside GwmEngine."""
    sources = list(PACKAGE.rglob("*.cs"))
    declared = {m for p in sources for m in re.findall(r"^\s*namespace\s+([\w.]+)", p.read_text(), re.M)}
    declared |= {json.loads(p.read_text())["rootNamespace"] for p in PACKAGE.rglob("*.asmdef")}
    assert "GwmEngine" in declared and "GwmEngine.Components" in declared, declared
    for namespace in declared:
        assert not {"Unity", "UnityEngine", "UnityEditor", "System"} & set(namespace.split(".")[1:]), namespace
