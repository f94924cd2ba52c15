"""World models: seed depth and completion behind one interface (`WorldModel`)."""

from __future__ import annotations

from gwm_engine.model.base import WorldModel
from gwm_engine.model.classical import ClassicalModel
from gwm_engine.model.learned import DEFAULT_WEIGHTS, LearnedModel
from gwm_engine.runtime import check_names
from gwm_engine.runtime.selection import open_backend


def load_model(weights: str | None = None, backend: str = "auto", device: str = "auto") -> WorldModel:
    """The bundled learned model (None), the weights file at `weights`, or "classical" for the
    filler that needs no weights (and no backend).

    `backend` (auto, torch, onnx, tensorrt) and `device` (auto, cpu, cuda) pick where the
    networks run; see gwm_engine.runtime.selection.
    """
    check_names(backend, device)
    if weights == "classical":
        return ClassicalModel()
    return LearnedModel.load(DEFAULT_WEIGHTS if weights is None else weights, open_backend(backend, device))


def runs_on(model: WorldModel) -> str:
    """Where the model's networks run, for start-up lines: "onnx on CPUExecutionProvider"."""
    return model.backend.describe() if isinstance(model, LearnedModel) else "no network"


__all__ = ["WorldModel", "ClassicalModel", "LearnedModel", "load_model", "runs_on"]
