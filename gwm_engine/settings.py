"""Settings declared once: each config dataclass field carries its default, range and help text
(`setting`), and the command line builds its options from the dataclass (`add_arguments`,
`from_args`) and validates with it (`check`), so a default or a range cannot differ between the
code and `--help`.

The options several commands share (--weights, --backend, --device, --size, --fov) are declared
here once. This module imports nothing heavy: `gwm-engine --help` does not load torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from gwm_engine.errors import InvalidInput
from gwm_engine.protocol.limits import MAX_PIXELS, MAX_SIDE, MIN_SIDE
from gwm_engine.runtime import BACKENDS, DEVICES


def setting(default: Any = dataclasses.MISSING, help: str = "", *, low: float | None = None, high: float | None = None,
            choices: Sequence[str] | None = None, parse: Callable[[str], Any] | None = None, cli: bool = True,
            default_factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with its help text and allowed values. `low`/`high`: inclusive bounds;
    `choices`: the allowed names (checked by argparse too); `parse`: turns the command-line text
    into the value (default: the default's type); `cli=False`: not a command-line option."""
    meta = {"help": help, "low": low, "high": high, "choices": tuple(choices) if choices else None, "parse": parse, "cli": cli}
    return dataclasses.field(default=default, default_factory=default_factory, metadata=meta)


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def allowed(f: dataclasses.Field) -> str:
    """The allowed values in words: "1..65535", "at least 1", "one of a, b", or ""."""
    m = f.metadata
    low, high = m.get("low"), m.get("high")
    if m.get("choices"):
        return "one of " + ", ".join(m["choices"])
    if low is not None and high is not None:
        return f"{low:g}..{high:g}"
    if low is not None:
        return f"at least {low:g}"
    if high is not None:
        return f"at most {high:g}"
    return ""


def check(config: Any) -> None:
    """Raise InvalidInput for the first field outside its declared range or choices."""
    for f in dataclasses.fields(config):
        if "help" not in f.metadata:
            continue
        value, m = getattr(config, f.name), f.metadata
        if m["choices"] and value not in m["choices"]:
            raise InvalidInput(f"unknown {flag(f.name)} {value!r}; choose from {', '.join(m['choices'])}")
        if (m["low"] is not None or m["high"] is not None) and value is not None:
            outside = (m["low"] is not None and not value >= m["low"]) or (m["high"] is not None and not value <= m["high"])
            if outside or (isinstance(value, float) and not math.isfinite(value)):
                raise InvalidInput(f"{flag(f.name)} must be {allowed(f)}, got {value}")


def _default(f: dataclasses.Field) -> Any:
    """The field's default; MISSING for one the user must give."""
    if f.default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return f.default


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}x{value[1]}"
    return str(value)


def add_arguments(parser: argparse.ArgumentParser, cls: type, skip: Sequence[str] = ()) -> None:
    """One option per command-line field of the dataclass `cls`, help text ending in its default
    and range."""
    for f in dataclasses.fields(cls):
        m = f.metadata
        if not m.get("cli") or f.name in skip:
            continue
        default = _default(f)
        if default is dataclasses.MISSING:
            parser.add_argument(flag(f.name), dest=f.name, required=True, type=m["parse"] or str, help=f"{m['help']} (required)")
            continue
        if isinstance(default, bool):
            shown = "default off"
        elif default is None:
            shown = "" if "default" in m["help"] else "default none"
        else:
            shown = f"default {_shown(default)}"
        extra = "; ".join(x for x in (shown, "" if m["choices"] else allowed(f)) if x)
        text = f"{m['help']} ({extra})" if extra else m["help"]
        if isinstance(default, bool):
            parser.add_argument(flag(f.name), dest=f.name, action="store_true", help=text)
            continue
        parse = m["parse"] or (type(default) if default is not None else str)
        parser.add_argument(flag(f.name), dest=f.name, default=default, type=parse, choices=m["choices"], help=text)


def from_args(cls: type, args: argparse.Namespace, **values: Any) -> Any:
    """`cls` from the parsed options it declared (and `values` for the rest)."""
    names = {f.name for f in dataclasses.fields(cls) if f.metadata.get("cli")}
    return cls(**{name: getattr(args, name) for name in names if hasattr(args, name)}, **values)


SIZE_RANGE = f"each side {MIN_SIDE}..{MAX_SIDE}, at most {MAX_PIXELS} pixels (1920x1080)"


def parse_size(text: str) -> tuple[int, int]:
    """WxH within the daemon's frame limits, the same for every command."""
    try:
        w, h = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must look like 256x256, got {text!r}") from None
    if not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE) or w * h > MAX_PIXELS:
        raise argparse.ArgumentTypeError(f"size {w}x{h} is out of range: {SIZE_RANGE}")
    return w, h


# -- shared by several commands and configs: declared here once ---------------------------
def weights_setting() -> Any:
    return setting(None, "model: a registered name (gwm-small, classical) or a weights file; default: the bundled gwm-small")


def depth_model_setting() -> Any:
    return setting(None, "a pretrained monocular depth network's ONNX file (Depth Anything V2, MiDaS v2.1 Small or a metric "
                   "one) for seed depth, aligned to the model's own metric estimate; default: the model's own")


DEPTH_KINDS = ("auto", "disparity", "metric")  # what a pretrained depth network outputs (model/pretrained_depth.py)


def depth_kind_setting() -> Any:
    return setting("auto", "what --depth-model outputs: disparity (relative inverse depth) or metric (metres); auto: metric "
                   "when its file name says so (e.g. 'metric'), else disparity", choices=DEPTH_KINDS)


AHEAD_MODES = ("off", "background", "deterministic")  # generation ahead of the player (world/generate.py)


def ahead_setting() -> Any:
    return setting("off", "generate where the player is heading, off the per-frame path: background (one worker "
                   "thread; frames then run no network, only a cheap fill for what it has not made yet) or "
                   "deterministic (inside the step every few steps: one seed and one list of actions make one world); "
                   "off: the network fills each frame", choices=AHEAD_MODES)


def inpaint_model_setting() -> Any:
    return setting(None, "a pretrained inpainting network's ONNX file (LaMa's lama_fp32.onnx or MI-GAN's ONNX pipeline) for "
                   "the colour of generated territory, its depth from the model. It turns on seed-time generation (serve's "
                   "--generate) and runs there, once per generated view at session creation, and in generation ahead "
                   "(--ahead) where it runs on a GPU; default: the model's own")


def backend_setting() -> Any:
    return setting("auto", "where the networks run: onnx (onnxruntime), tensorrt (onnxruntime's TensorRT provider) or torch; "
                   "auto: onnx when onnxruntime is installed, else torch", choices=BACKENDS)


def device_setting() -> Any:
    return setting("auto", "cpu or cuda; auto: the fastest that works here. A missing GPU or provider falls back "
                   "with a warning", choices=DEVICES)


def size_setting(default: tuple[int, int]) -> Any:
    return setting(default, f"frame size, WxH pixels; {SIZE_RANGE}", parse=parse_size)


def fov_setting(default: float = 60.0) -> Any:
    return setting(default, "vertical field of view, degrees", low=10, high=150)
