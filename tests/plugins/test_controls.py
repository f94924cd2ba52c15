"""One set of controls: the playground, the Unity package and the Godot addon each mirror the
default mapping written once in plugins/controls.json. The three mappings are read from their
source and compared with it, key by key."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTROLS = json.loads((ROOT / "plugins" / "controls.json").read_text())
PLAYGROUND = ROOT / "gwm_engine" / "server" / "playground" / "app.js"
UNITY = ROOT / "plugins" / "unity" / "Runtime" / "Components" / "GwmCameraInput.cs"
GODOT = ROOT / "plugins" / "godot" / "addons" / "gwm_engine" / "gwm_camera_input.gd"

# Engine names of keys, as KeyboardEvent.code (the file's names).
GODOT_KEYS = {"KEY_LEFT": "ArrowLeft", "KEY_RIGHT": "ArrowRight", "KEY_UP": "ArrowUp", "KEY_DOWN": "ArrowDown"}
UNITY_LEGACY_KEYS = {"LeftArrow": "ArrowLeft", "RightArrow": "ArrowRight", "UpArrow": "ArrowUp", "DownArrow": "ArrowDown",
                     "LeftShift": "ShiftLeft", "RightShift": "ShiftRight"}  # fmt: skip
UNITY_INPUT_SYSTEM_KEYS = {"leftArrowKey": "ArrowLeft", "rightArrowKey": "ArrowRight", "upArrowKey": "ArrowUp",
                           "downArrowKey": "ArrowDown"}  # fmt: skip
# Axis of CameraInputSample and the action names for its + and - sides.
UNITY_AXES = {"Forward": ("forward", "back"), "Right": ("right", "left"), "Up": ("up", "down"),
              "LookRight": ("turn_right", "turn_left"), "LookUp": ("look_up", "look_down")}  # fmt: skip


def code(name: str) -> str:
    """A single letter as its KeyboardEvent.code (W -> KeyW); other names unchanged."""
    return f"Key{name.upper()}" if len(name) == 1 else name


def test_the_playground_mirrors_the_file():
    source = PLAYGROUND.read_text()
    literal = re.search(r"^const CONTROLS = (\{.*?^\});", source, re.S | re.M).group(1)
    mirrored = json.loads(literal)
    expected = {k: v for k, v in CONTROLS.items() if k not in ("about", "mouse")}
    assert mirrored == expected
    # the on-screen pad sends the same keys
    buttons = dict(re.findall(r'data-key="(\w+)" title="([\w ]+) \(', (PLAYGROUND.parent / "index.html").read_text()))
    names = {"forward": "forward", "back": "back", "left": "left", "right": "right", "up": "up", "down": "down",
             "turn left": "turn_left", "turn right": "turn_right", "look up": "look_up", "look down": "look_down"}  # fmt: skip
    for key, title in buttons.items():
        assert key in CONTROLS["keys"][names[title]], f"the {title} button sends {key}"


def godot_mapping() -> dict[str, list[str]]:
    source = GODOT.read_text()
    block = re.search(r"const DEFAULT_KEYS := \{(.*?)\n\}", source, re.S).group(1)
    mapping = {}
    for name, keys in re.findall(r'"(\w+)": \[([^\]]*)\]', block):
        mapped = []
        for key in re.findall(r"KEY_\w+", keys):
            if key == "KEY_SHIFT":  # Godot's physical Shift is either one
                mapped += ["ShiftLeft", "ShiftRight"]
            else:
                mapped.append(GODOT_KEYS.get(key) or code(key.removeprefix("KEY_")))
        mapping[name] = mapped
    return mapping


def test_godot_mirrors_the_file():
    assert godot_mapping() == CONTROLS["keys"]
    source = GODOT.read_text()
    pad_buttons = dict(re.findall(r'"(\w+)": JOY_BUTTON_(\w+)', source))
    godot_buttons = {"right_shoulder": "RIGHT_SHOULDER", "left_shoulder": "LEFT_SHOULDER",
                     "left_stick_press": "LEFT_STICK", "select": "BACK"}  # fmt: skip
    for action in ("up", "down", "run", "reset"):
        assert pad_buttons[action] == godot_buttons[CONTROLS["gamepad"][action]], action
    sticks = dict(re.findall(r'"(\w+)": \[JOY_AXIS_(LEFT|RIGHT)_', source))
    side = {name: CONTROLS["gamepad"][name].split("_")[0].upper() for name in ("move", "look")}
    assert {sticks[a] for a in ("forward", "back", "left", "right")} == {side["move"]}
    assert {sticks[a] for a in ("turn_left", "turn_right", "look_up", "look_down")} == {side["look"]}
    assert float(re.search(r"const RUN_MULTIPLIER := ([\d.]+)", source).group(1)) == CONTROLS["run_multiplier"]
    assert float(re.search(r"const MOUSE_DEGREES_PER_PIXEL := ([\d.]+)", source).group(1)) == CONTROLS["mouse_deg_per_pixel"]
    assert float(re.search(r"fallback_walk_speed_mps := ([\d.]+)", source).group(1)) == CONTROLS["default_walk_speed_mps"]
    assert float(re.search(r"fallback_turn_rate_dps := ([\d.]+)", source).group(1)) == CONTROLS["default_turn_rate_dps"]


@pytest.mark.parametrize("branch", ["input-system", "legacy"])
def test_unity_mirrors_the_file(branch: str):
    source = UNITY.read_text()
    start = "#if ENABLE_INPUT_SYSTEM && GWM_INPUT_SYSTEM" if branch == "input-system" else "#elif ENABLE_LEGACY_INPUT_MANAGER"
    end = "#elif ENABLE_LEGACY_INPUT_MANAGER" if branch == "input-system" else "#else"
    body = source[source.index(start) : source.index(end, source.index(start) + len(start))]
    mapping: dict[str, list[str]] = {}
    if branch == "input-system":
        pairs = re.findall(r"sample\.(\w+) \+= Key\(keyboard\.(\w+)\) - Key\(keyboard\.(\w+)\)", body)
        reset = re.findall(r"keyboard\.(\w+)\.wasPressedThisFrame", body)
        run = ["ShiftLeft", "ShiftRight"] if "keyboard.shiftKey.isPressed" in body else []
        name = lambda key: UNITY_INPUT_SYSTEM_KEYS.get(key) or code(key.removesuffix("Key"))  # noqa: E731
    else:
        pairs = re.findall(r"(\w+) = Key\(KeyCode\.(\w+)\) - Key\(KeyCode\.(\w+)\)", body)
        reset = re.findall(r"Input\.GetKeyDown\(KeyCode\.(\w+)\)", body)
        run = [UNITY_LEGACY_KEYS[k] for k in re.findall(r"Input\.GetKey\(KeyCode\.(\w+Shift)\)", body)]
        name = lambda key: UNITY_LEGACY_KEYS.get(key) or code(key)  # noqa: E731
    for axis, plus, minus in pairs:
        positive, negative = UNITY_AXES[axis]
        mapping[positive] = [name(plus)]
        mapping[negative] = [name(minus)]
    mapping["run"] = run
    mapping["reset"] = [name(k) for k in reset if k not in ("escapeKey", "Escape")]
    assert mapping == CONTROLS["keys"]
    if branch == "input-system":
        assert "sample.Up += Key(pad.rightShoulder) - Key(pad.leftShoulder)" in body  # up: right shoulder, down: left
        assert "pad.leftStickButton.isPressed" in body and "pad.selectButton.wasPressedThisFrame" in body
        assert "pad.leftStick.ReadValue()" in body and "pad.rightStick.ReadValue()" in body


def test_unity_speeds_match_the_file():
    source = UNITY.read_text()
    assert float(re.search(r"public float moveSpeedMps = ([\d.]+)f;", source).group(1)) == CONTROLS["default_walk_speed_mps"]
    assert float(re.search(r"public float turnSpeedDegPerS = ([\d.]+)f;", source).group(1)) == CONTROLS["default_turn_rate_dps"]
    assert float(re.search(r"public float runMultiplier = ([\d.]+)f;", source).group(1)) == CONTROLS["run_multiplier"]
    assert float(re.search(r"public float mouseDegPerPixel = ([\d.]+)f;", source).group(1)) == CONTROLS["mouse_deg_per_pixel"]
    assert "info.WalkSpeedMps" in source and "info.TurnRateDps" in source, "the session's suggested speed comes first"
