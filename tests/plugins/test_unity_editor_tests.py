"""The Unity package's edit-mode tests (plugins/unity/Tests/Editor): an assembly Unity's Test
Runner builds only in projects that include the package's tests (UNITY_INCLUDE_TESTS), with
NUnit [Test]s over the engine-free core. Unity is not here, so they are built with mono's mcs
against Debian's NUnit and every [Test] is run by a small reflection runner; without NUnit in
mono they are parse-checked only. The mono test program (Tests/Mono) stays beside them.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins" / "unity"
EDITOR_TESTS = PACKAGE / "Tests" / "Editor"
CORE = sorted((PACKAGE / "Runtime" / "Core").rglob("*.cs"))
MCS, MONO = shutil.which("mcs"), shutil.which("mono")
LANGVERSION = "-langversion:7.2"
NUNIT = sorted(Path("/usr/lib/mono").glob("**/nunit.framework.dll")) + sorted(Path("/usr/lib/cli").glob("**/nunit.framework.dll"))

needs_mono = pytest.mark.skipif(MCS is None or MONO is None, reason="mono's mcs and mono are not installed")

# Runs every public [Test] method of every type in the assembly given; prints one line per
# failure and "RAN n" (NUnit's own console is not packaged with Debian's mono).
RUNNER = r"""
using System;
using System.Linq;
using System.Reflection;

static class Runner
{
    static int Main(string[] args)
    {
        var assembly = Assembly.LoadFrom(args[0]);
        int ran = 0, failed = 0;
        foreach (var type in assembly.GetTypes())
        {
            var tests = type.GetMethods()
                .Where(m => m.GetCustomAttributes(false).Any(a => a.GetType().Name == "TestAttribute")).ToList();
            if (tests.Count == 0) continue;
            var fixture = Activator.CreateInstance(type);
            foreach (var test in tests)
            {
                ran++;
                try { test.Invoke(fixture, null); }
                catch (TargetInvocationException e)
                {
                    failed++;
                    Console.WriteLine("FAIL " + type.Name + "." + test.Name + ": " + e.InnerException.Message);
                }
            }
        }
        Console.WriteLine("RAN " + ran);
        return failed == 0 ? 0 : 1;
    }
}
"""


def test_the_editor_test_assembly_is_declared_for_unitys_test_runner():
    asmdef = json.loads((EDITOR_TESTS / "GwmEngine.EditorTests.asmdef").read_text())
    assert asmdef["defineConstraints"] == ["UNITY_INCLUDE_TESTS"], "built only where the project includes tests"
    assert asmdef["includePlatforms"] == ["Editor"]
    assert {"GwmEngine.Core", "UnityEngine.TestRunner", "UnityEditor.TestRunner"} <= set(asmdef["references"])
    assert asmdef["overrideReferences"] is True and asmdef["precompiledReferences"] == ["nunit.framework.dll"]
    assert asmdef["autoReferenced"] is False
    sources = sorted(EDITOR_TESTS.glob("*.cs"))
    assert sources, "no test files"
    tests = sum(len(re.findall(r"^\s*\[Test\]", p.read_text(), re.M)) for p in sources)
    assert tests >= 10
    for source in sources:
        text = source.read_text()
        assert "using NUnit.Framework;" in text and "[TestFixture]" in text, source.name
        assert not re.search(r"^using (static )?Unity", text, re.M), f"{source.name}: the tests cover the engine-free core only"


@needs_mono
def test_the_editor_tests_build_and_pass_under_mono(tmp_path: Path):
    if not NUNIT:
        # No NUnit in this mono: the files must still be C# 7.2.
        sources = map(str, EDITOR_TESTS.glob("*.cs"))
        result = subprocess.run([MCS, LANGVERSION, "--parse", *sources], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stdout + result.stderr
        pytest.skip("NUnit is not in this mono (Debian: libnunit-cil-dev): parse-checked only")

    def mcs(*args: str) -> None:
        result = subprocess.run([MCS, LANGVERSION, "-warnaserror+", *args], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"mcs failed:\n{result.stdout}\n{result.stderr}"

    nunit = NUNIT[0]
    shutil.copy(nunit, tmp_path / "nunit.framework.dll")
    # GlbWorld reads glTF's JSON with DataContractJsonSerializer; Unity references it by default.
    mcs("-target:library", "-r:System.Runtime.Serialization", f"-out:{tmp_path / 'GwmEngine.Core.dll'}", *map(str, CORE))
    mcs(
        "-target:library",
        f"-r:{tmp_path / 'GwmEngine.Core.dll'}",
        f"-r:{tmp_path / 'nunit.framework.dll'}",
        f"-out:{tmp_path / 'GwmEngine.EditorTests.dll'}",
        *map(str, sorted(EDITOR_TESTS.glob("*.cs"))),
    )
    (tmp_path / "Runner.cs").write_text(RUNNER)
    mcs(f"-out:{tmp_path / 'Runner.exe'}", str(tmp_path / "Runner.cs"))
    result = subprocess.run(
        [MONO, "--debug", str(tmp_path / "Runner.exe"), str(tmp_path / "GwmEngine.EditorTests.dll")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    ran = int(re.search(r"^RAN (\d+)$", result.stdout, re.M).group(1))
    declared = sum(len(re.findall(r"^\s*\[Test\]", p.read_text(), re.M)) for p in EDITOR_TESTS.glob("*.cs"))
    assert ran == declared, result.stdout
