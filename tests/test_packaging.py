"""Installs on every desktop a game developer uses: pyproject.toml's environment markers give
each platform exactly one ONNX runtime (onnxruntime-gpu has no macOS wheels; the two packages
must never be installed together), and the README gives the install commands for each shell."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # the test extra brings tomli where the standard library has no TOML reader
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("onnxruntime", "onnxruntime-gpu")

# What `packaging` reads from each platform (PEP 508 environment markers), by wheel tag.
PLATFORMS = {
    "manylinux_2_28_x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
                              "os_name": "posix"},
    "manylinux_2_28_aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64",
                               "os_name": "posix"},
    "win_amd64": {"sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64", "os_name": "nt"},
    "macosx_11_0_arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64",
                          "os_name": "posix"},
    "macosx_10_15_x86_64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "x86_64",
                            "os_name": "posix"},
}


def requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


@pytest.mark.parametrize("tag", list(PLATFORMS))
@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_each_platform_gets_exactly_one_onnx_runtime(tag, python):
    environment = {**PLATFORMS[tag], "python_version": python, "python_full_version": f"{python}.0"}
    chosen = [r.name for r in requirements() if r.name in RUNTIMES and (r.marker is None or r.marker.evaluate(environment))]
    expected = "onnxruntime" if tag.startswith("macosx") else "onnxruntime-gpu"
    assert chosen == [expected], f"{tag}: {chosen}"


def test_every_other_dependency_installs_everywhere():
    assert all(r.marker is None for r in requirements() if r.name not in RUNTIMES)


def test_the_readme_gives_the_install_commands_for_both_shells():
    readme = (ROOT / "README.md").read_text()
    bash = re.search(r"```bash\n(.*?)```", readme, re.S).group(1)
    powershell = re.search(r"```powershell\n(.*?)```", readme, re.S).group(1)
    for script, pip in ((bash, ".venv/bin/pip install"), (powershell, ".venv\\Scripts\\pip install")):
        installs = re.findall(re.escape(pip) + r" ([^\n&]+)", script)
        assert [i.strip() for i in installs] == ['torch==2.13.0 -e .', 'torch==2.13.0 -e ".[test]"'], script
    assert "&&" not in powershell  # Windows PowerShell 5 has no &&
    assert ".venv\\Scripts\\gwm-engine demo --out walk.mp4" in powershell
    assert ".venv\\Scripts\\python -m pytest" in powershell
