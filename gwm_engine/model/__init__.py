"""World models: seed depth and completion behind one interface (`WorldModel`), built by name
from the registry (registry.py)."""

from __future__ import annotations

from gwm_engine.model.base import ModelInfo, NetworkPlacement, WorldModel
from gwm_engine.model.classical import ClassicalModel
from gwm_engine.model.learned import LearnedModel
from gwm_engine.model.registry import DEFAULT_MODEL, MODELS, build


def load_model(weights: str | None = None, backend: str = "auto", device: str = "auto", depth_model: str | None = None,
               depth_kind: str = "auto", inpaint_model: str | None = None) -> WorldModel:
    """A registered model by name (None: the bundled learned model; "classical": the filler that
    needs no weights) or a weights file; `backend` (auto, torch, onnx, tensorrt) and `device`
    (auto, cpu, cuda) pick where its networks run; `depth_model`: a pretrained ONNX depth
    network for its seed depth, `depth_kind` what that outputs; `inpaint_model`: a pretrained
    ONNX inpainting network for the colour of what it generates. See registry.py."""
    return build(weights, backend, device, depth_model, depth_kind, inpaint_model)


def runs_on(model: WorldModel) -> str:
    """Where the model's networks run, for start-up lines: "onnx on CPUExecutionProvider"."""
    return model.describe().runs_on()


__all__ = ["WorldModel", "ModelInfo", "NetworkPlacement", "ClassicalModel", "LearnedModel", "DEFAULT_MODEL", "MODELS",
           "load_model", "runs_on"]
