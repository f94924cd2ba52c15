"""The plugins' reprojection shaders declare what their scripts set, and place each grid vertex
the same way: pixel centre, metric z-depth, the frame's pinhole intrinsics (fx, fy, cx, cy).
Neither Unity nor Godot 4 runs here; their shaders are read as text."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GODOT = ROOT / "plugins" / "godot" / "addons" / "gwm_engine"
UNITY = ROOT / "plugins" / "unity" / "Runtime"


def test_godot_shader_has_the_uniforms_its_node_sets():
    shader = (GODOT / "gwm_reprojection.gdshader").read_text()
    script = (GODOT / "gwm_reprojection.gd").read_text()
    assert shader.startswith("//") and "shader_type spatial;" in shader
    uniforms = set(re.findall(r"^uniform \w+ (\w+)", shader, re.M))
    set_by_script = set(re.findall(r'set_shader_parameter\("(\w+)"', script))
    assert set_by_script == uniforms, (set_by_script, uniforms)
    assert 'preload("res://addons/gwm_engine/gwm_reprojection.gdshader")' in script
    # balanced braces, a cut and both outputs written
    assert shader.count("{") == shader.count("}")
    assert "discard;" in shader and "ALBEDO =" in shader and "VERTEX =" in shader


def test_unity_shader_has_the_properties_its_component_sets():
    shader = (UNITY / "Resources" / "GwmEngine" / "Reprojection.shader").read_text()
    component = (UNITY / "Components" / "GwmReprojection.cs").read_text()
    assert 'Shader "GwmEngine/Reprojection"' in shader and 'ShaderPath = "GwmEngine/Reprojection"' in component
    declared = set(re.findall(r"^\s*(?:sampler2D|Texture2D<float>|float4|float4x4|float) (_Gwm\w+);", shader, re.M))
    set_by_component = set(re.findall(r'Shader\.PropertyToID\("(_Gwm\w+)"\)', component))
    assert set_by_component == declared, (set_by_component, declared)
    assert shader.count("{") == shader.count("}")
    assert "UNITY_VERTEX_OUTPUT_STEREO" in shader and "unity_StereoEyeIndex" in shader, "stereo-aware"


def test_the_three_clients_cut_at_the_same_depth_ratio():
    playground = (ROOT / "gwm_engine" / "server" / "playground" / "reproject.js").read_text()
    ratio = float(re.search(r"const TEAR_RATIO = ([\d.]+);", playground).group(1))
    assert float(re.search(r"tear_ratio = ([\d.]+);", (GODOT / "gwm_reprojection.gdshader").read_text()).group(1)) == ratio
    assert float(re.search(r"var tear_ratio := ([\d.]+)", (GODOT / "gwm_reprojection.gd").read_text()).group(1)) == ratio
    unity = (UNITY / "Components" / "GwmReprojection.cs").read_text()
    assert float(re.search(r"public float tearRatio = ([\d.]+)f;", unity).group(1)) == ratio
