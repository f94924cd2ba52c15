"""The plugins agree with each other and with the daemon where they copy the same thing.

The Godot 3 port (plugins/godot/godot3) is a port of the Godot 4 addon's codec and client
(plugins/godot/addons/gwm_engine). The surface the two share, and so must keep in step:

- gwm_msgpack.gd whole: every function with its parameter names, the inner classes F32 and
  Decoded with their members, and the constants (MAX_DEPTH by value). Only the element types
  of _ARRAY_TYPES differ (Godot 4's Packed*Array are Godot 3's Pool*Array).
- gwm_link.gd's connection core: PROTOCOL_VERSION, the `server` hello reply, the
  message_received signal, open / close / is_open, and next_id / send / request with the same
  parameters; the same inbound and outbound buffer sizes (bytes in Godot 4, KiB in Godot 3);
  and the local failures' status codes (GwmReply's constants in Godot 4, literals in the port),
  which are gRPC's.
- Not shared: the addon's client is an asynchronous Node (coroutines returning GwmReply, a
  GwmPlayStream, typed calls for every request); the port is a blocking Reference for tools
  and tests (poll, take, wait, a list-in list-out play). Those functions are listed below, so
  a function added to one side must be added to the other or listed here on purpose.

The protocol version is copied into every codec (C#, both GDScripts, the playground's
JavaScript) and into the spec's examples; every copy must be the Python package's.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from gwm_engine.protocol.version import PROTOCOL_VERSION, SUPPORTED_VERSIONS

ROOT = Path(__file__).resolve().parents[2]
ADDON = ROOT / "plugins" / "godot" / "addons" / "gwm_engine"
GODOT3 = ROOT / "plugins" / "godot" / "godot3"

# The addon's asynchronous API around GwmReply and GwmPlayStream, and its Node callbacks.
ADDON_LINK_ONLY = {
    "_exit_tree", "_process", "_receive", "_route", "_drop", "get_info", "create_session", "step", "fork",
    "save_world", "load_world", "export_geometry", "close_session", "reset",
}  # fmt: skip
# The port's blocking API and its Reference plumbing.
PORT_LINK_ONLY = {"_init", "poll", "take", "wait", "_on_server_close_request", "error_text", "_local_error"}
# In both, but with each side's own signature: the addon's open takes its exported url and
# token as defaults, and its play returns a stream where the port's plays a list of actions.
SAME_NAME_OWN_SIGNATURE = {"open", "play"}


@dataclass
class Script:
    """A GDScript file's declarations, read with regular expressions: enough for Godot 3 and 4,
    whose declaration syntax is the same apart from type names."""

    functions: dict[str, list[str]] = field(default_factory=dict)  # name -> parameter names
    constants: dict[str, str] = field(default_factory=dict)  # name -> the value's source text
    signals: set[str] = field(default_factory=set)
    variables: set[str] = field(default_factory=set)
    classes: dict[str, Script] = field(default_factory=dict)


def _parameters(source: str) -> list[str]:
    names, depth, current = [], 0, ""
    for char in source + ",":
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        if char == "," and depth == 0:
            if current.strip():
                names.append(re.match(r"\s*(\w+)", current).group(1))
            current = ""
        else:
            current += char
    return names


def read_script(text: str, indent: str = "") -> Script:
    script = Script()
    ind = re.escape(indent)
    for match in re.finditer(rf"^{ind}(?:static\s+)?func\s+(\w+)\s*\((.*?)\)\s*(?:->\s*[\w.]+\s*)?:", text, re.M | re.S):
        script.functions[match.group(1)] = _parameters(match.group(2))
    for match in re.finditer(rf"^{ind}const\s+(\w+)\s*:?=\s*(.+?)\s*(?:#.*)?$", text, re.M):
        script.constants[match.group(1)] = match.group(2)
    script.signals = set(re.findall(rf"^{ind}signal\s+(\w+)", text, re.M))
    script.variables = set(re.findall(rf"^{ind}(?:@export\s+)?var\s+(\w+)", text, re.M))
    if not indent:
        for match in re.finditer(r"^class\s+(\w+)\s*:\s*\n((?:(?:\t.*)?\n)*)", text, re.M):
            script.classes[match.group(1)] = read_script(match.group(2), "\t")
    return script


def _script(path: Path) -> Script:
    return read_script(path.read_text(encoding="utf-8"))


def _integer(source: str) -> int:
    """A constant's value: an integer literal, or a shift or product of them."""
    assert re.fullmatch(r"[\d\s<*x]+", source), source
    return eval(source)  # digits, << and * only (checked above)


def test_the_reader_sees_each_kind_of_declaration():
    script = read_script(
        "signal done(code: int)\nconst A := 1 << 4  # why\nconst B = \"x\"\nvar v := {}\n@export var w := 2\n\n"
        "static func f(a: int, b := {}, c := [1, 2]) -> Dictionary:\n\treturn {}\n\n"
        "func g(\n\tx: int, y: Array\n) -> void:\n\tpass\n\nclass K:\n\textends Reference\n\tvar m := 0\n\n"
        "\tfunc _init(v: float) -> void:\n\t\tm = v\n\n\nfunc h():\n\tpass\n"
    )
    assert script.functions == {"f": ["a", "b", "c"], "g": ["x", "y"], "h": []}
    assert script.constants == {"A": "1 << 4", "B": '"x"'}
    assert script.signals == {"done"} and script.variables == {"v", "w"}
    assert script.classes["K"].functions == {"_init": ["v"]} and script.classes["K"].variables == {"m"}


def test_the_msgpack_port_matches_the_addon():
    addon, port = _script(ADDON / "gwm_msgpack.gd"), _script(GODOT3 / "gwm_msgpack.gd")
    assert len(addon.functions) >= 10 and {"encode", "decode"} <= set(addon.functions)
    assert port.functions == addon.functions
    assert port.constants.keys() == addon.constants.keys()
    assert port.constants["MAX_DEPTH"] == addon.constants["MAX_DEPTH"]
    assert port.classes.keys() == addon.classes.keys() == {"F32", "Decoded"}
    for name, inner in addon.classes.items():
        assert (port.classes[name].functions, port.classes[name].variables) == (inner.functions, inner.variables), name
    assert port.signals == addon.signals and port.variables == addon.variables


def test_the_link_port_shares_the_addons_connection_core():
    addon, port = _script(ADDON / "gwm_link.gd"), _script(GODOT3 / "gwm_link.gd")
    shared = set(addon.functions) & set(port.functions)
    assert set(addon.functions) - shared == ADDON_LINK_ONLY
    assert set(port.functions) - shared == PORT_LINK_ONLY
    assert shared == {"open", "close", "is_open", "next_id", "send", "request", "play"}
    for name in shared - SAME_NAME_OWN_SIGNATURE:
        assert port.functions[name] == addon.functions[name], name

    assert port.constants["PROTOCOL_VERSION"] == addon.constants["PROTOCOL_VERSION"]
    assert "server" in addon.variables & port.variables
    assert "message_received" in addon.signals & port.signals
    assert _integer(addon.constants["INBOUND_BUFFER_BYTES"]) == _integer(port.constants["IN_BUFFER_KB"]) * 1024
    assert _integer(addon.constants["OUTBOUND_BUFFER_BYTES"]) == _integer(port.constants["OUT_BUFFER_KB"]) * 1024


def test_local_failures_carry_grpcs_status_codes_in_both():
    reply = _script(ADDON / "gwm_reply.gd")
    addon_codes = {name: int(value) for name, value in reply.constants.items() if re.fullmatch(r"\d+", value)}
    port_codes = re.findall(r'_local_error\([^,]+,\s*(\d+),\s*"(\w+)"', (GODOT3 / "gwm_link.gd").read_text(encoding="utf-8"))
    assert len(addon_codes) >= 3 and len(port_codes) >= 3
    assert {name: int(code) for code, name in port_codes} == addon_codes
    for name, code in addon_codes.items():
        assert grpc.StatusCode[name].value[0] == code, name


# Golden vectors (proto/link_vectors, and tools/, which generates them) are recorded messages: a
# hello recorded at 1.0.0 stays a valid 1.x hello after a minor bump, and one deliberately says
# 1.2.0. Tests assert versions on their own. Everything else that names a version copies it.
SCANNED = ("gwm_engine", "plugins", "proto", "docs", "benchmarks", "README.md")
NOT_SCANNED = ("proto/link_vectors/",)
TEXT = {".py", ".cs", ".gd", ".js", ".html", ".md", ".proto", ".json", ".cfg", ".toml", ".txt"}
VERSION_LINE = re.compile(r"protocol_?version", re.I)
SEMVER = re.compile(r"[\"'](\d+\.\d+\.\d+)[\"']")
# Each codec, found by where it lives rather than by file name, so that moving a file within its
# plugin keeps this test honest without editing it.
REQUIRED_COPIES = {
    "Python": r"gwm_engine/.*\.py",
    "C# (Unity)": r"plugins/unity/Runtime/.*\.cs",
    "GDScript (Godot 4)": r"plugins/godot/addons/.*\.gd",
    "GDScript (Godot 3)": r"plugins/godot/godot3/.*\.gd",
    "JavaScript (playground)": r"gwm_engine/.*\.js",
    "the spec (ENGINE_LINK.md)": r"proto/ENGINE_LINK\.md",
}


def _text_files() -> list[Path]:
    files = []
    for name in SCANNED:
        path = ROOT / name
        candidates = [path] if path.is_file() else path.rglob("*") if path.is_dir() else []
        for file in candidates:
            relative = file.relative_to(ROOT).as_posix()
            if file.suffix in TEXT and file.is_file() and not relative.startswith(NOT_SCANNED) and "__pycache__" not in relative:
                files.append(file)
    return files


def version_copies(root: Path, files: list[Path]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every version on a line that names the protocol version, and every quoted
    supported_protocol_versions list, by "path:line"."""
    copies: dict[str, str] = {}
    supported: dict[str, list[str]] = {}
    for file in files:
        for number, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            where = f"{file.relative_to(root).as_posix()}:{number}"
            listed = re.search(r"supported_protocol_versions\W*\[([^\]]*)\]", line)
            if listed and re.search(r"[\"']", listed.group(1)):
                supported[where] = re.findall(r"[\"']([^\"']+)[\"']", listed.group(1))
            if VERSION_LINE.search(line):
                for version in SEMVER.findall(line):
                    copies[where] = version
    return copies, supported


def test_every_copy_of_the_protocol_version_agrees():
    copies, supported = version_copies(ROOT, _text_files())
    wrong = {where: version for where, version in copies.items() if version != PROTOCOL_VERSION}
    assert not wrong, f"copies of the protocol version that are not {PROTOCOL_VERSION}: {wrong}"
    for codec, pattern in REQUIRED_COPIES.items():
        assert any(re.fullmatch(pattern, where.rsplit(":", 1)[0]) for where in copies), f"no copy found in {codec}"
    assert supported, "the spec's hello example lists supported_protocol_versions"
    for where, versions in supported.items():
        assert versions == list(SUPPORTED_VERSIONS), where


def test_the_scan_finds_each_codecs_form_of_a_copy(tmp_path: Path):
    sources = {
        "EngineLink.cs": 'public const string ProtocolVersion = "1.9.0";',
        "gwm_link.gd": 'const PROTOCOL_VERSION := "1.9.0"',
        "app.js": "const PROTOCOL_VERSION = '1.9.0';",
        "ENGINE_LINK.md": '<- {type: "hello", protocol_version: "1.9.0", supported_protocol_versions: ["1.x", "2.x"],',
        "other.py": 'model_version = "1.9.0"',
    }
    for name, text in sources.items():
        (tmp_path / name).write_text(text + "\n")
    copies, supported = version_copies(tmp_path, sorted(tmp_path.iterdir()))
    assert copies == {f"{name}:1": "1.9.0" for name in sources if name != "other.py"}
    assert supported == {"ENGINE_LINK.md:1": ["1.x", "2.x"]}


def test_every_plugin_carries_the_packages_license():
    """Each plugin is installed on its own (a UPM package, a copied addon folder), so each
    carries the repository's license text, and the UPM manifest names the package's licence."""
    metadata = importlib.metadata.metadata("gwm-engine")
    declared = metadata.get("License-Expression") or metadata.get("License")
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert declared == "Apache-2.0" and "Apache License" in text and "Version 2.0, January 2004" in text
    for copy in (ROOT / "plugins" / "unity" / "LICENSE.md", ADDON / "LICENSE"):
        assert copy.read_text(encoding="utf-8") == text, copy
    manifest = json.loads((ROOT / "plugins" / "unity" / "package.json").read_text(encoding="utf-8"))
    assert manifest["license"] == declared
    changelog = (ROOT / "plugins" / "unity" / "CHANGELOG.md").read_text(encoding="utf-8")
    assert f"## [{manifest['version']}]" in changelog, "the changelog has an entry for the manifest's version"
