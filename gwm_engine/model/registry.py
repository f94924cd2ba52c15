"""Which world models there are, by name, and how each is built.

A model is one module (a `WorldModel` subclass that describes itself) plus one line here: a
builder that takes where its networks should run and returns the model. `load_model` (and so
`--weights` everywhere) looks the name up; anything else is a weights file, built by the line
in FILE_FORMATS for its suffix.

A pretrained ONNX depth network for real photos goes with any of them: `build(...,
depth_model=FILE)` (`--depth-model`) takes its seed depth from that network, completion from
the model. So does a pretrained ONNX inpainting network: `build(..., inpaint_model=FILE)`
(`--inpaint-model`) takes the colour of what the model generates off the per-frame path from
that network, its depth from the model (pretrained_inpaint.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gwm_engine.errors import InvalidInput
from gwm_engine.model.base import WorldModel
from gwm_engine.model.classical import ClassicalModel
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.runtime import check_names
from gwm_engine.runtime.base import Backend


@dataclass(frozen=True)
class Placement:
    """The user's `--backend` and `--device`, checked; a model with networks opens its backend
    from them, one without ignores them."""

    backend: str = "auto"
    device: str = "auto"

    def __post_init__(self) -> None:
        check_names(self.backend, self.device)

    def open(self) -> Backend:
        from gwm_engine.runtime.selection import open_backend

        return open_backend(self.backend, self.device)


Builder = Callable[[Placement], WorldModel]
FileBuilder = Callable[[Path, Placement], WorldModel]

DEFAULT_MODEL = "gwm-small"

MODELS: dict[str, Builder] = {
    "gwm-small": lambda where: LearnedModel.load(DEFAULT_WEIGHTS, where.open()),  # bundled, trained for CPUs
    "classical": lambda where: ClassicalModel(),  # no weights, no network
}

FILE_FORMATS: dict[str, FileBuilder] = {
    ".pt": lambda path, where: LearnedModel.load(path, where.open()),  # `gwm-engine train` output
}


def build(model: str | None = None, backend: str = "auto", device: str = "auto", depth_model: str | None = None,
          depth_kind: str = "auto", inpaint_model: str | None = None) -> WorldModel:
    """The model registered as `model` (None: DEFAULT_MODEL), or the weights file at that path,
    with its networks on `backend` / `device` (see gwm_engine.runtime.selection); with
    `depth_model`, its seed depth from that pretrained ONNX depth network (pretrained_depth.py);
    with `inpaint_model`, the colour it generates from that pretrained ONNX inpainting network
    (pretrained_inpaint.py)."""
    where = Placement(backend, device)
    base = _build(DEFAULT_MODEL if model is None else model, where)
    if inpaint_model is not None:
        from gwm_engine.model.pretrained_inpaint import with_pretrained_inpaint

        base = with_pretrained_inpaint(base, inpaint_model, backend, device)
    if depth_model is None:
        return base
    from gwm_engine.model.pretrained_depth import with_pretrained_depth

    # Around the inpainting wrapper: the depth wrapper hands generate and quick_fill on to it.
    return with_pretrained_depth(base, depth_model, backend, device, depth_kind)


def _build(name: str, where: Placement) -> WorldModel:
    if name in MODELS:
        return MODELS[name](where)
    path = Path(name)
    if not path.is_file():
        raise InvalidInput(f"weights file not found: {name} (nor is it a model name: {', '.join(MODELS)})")
    # Weights files are gwm-engine torch files unless their suffix names another format.
    return FILE_FORMATS.get(path.suffix, FILE_FORMATS[".pt"])(path, where)

__all__ = ["DEFAULT_MODEL", "MODELS", "FILE_FORMATS", "Placement", "build"]
