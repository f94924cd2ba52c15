"""World models: seed depth and completion behind one interface (`WorldModel`)."""

from __future__ import annotations

from gwm_engine.model.base import WorldModel
from gwm_engine.model.classical import ClassicalModel


def load_model(weights: str | None = None) -> WorldModel:
    """The default bundled model, or the one at `weights`."""
    if weights is not None:
        from gwm_engine.errors import InvalidInput

        raise InvalidInput(f"cannot load {weights}: this build ships only the classical model")
    return ClassicalModel()


__all__ = ["WorldModel", "ClassicalModel", "load_model"]
