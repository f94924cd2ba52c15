"""`gwm-engine eval` settings (light: the command line builds its options from them)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gwm_engine.errors import InvalidInput
from gwm_engine.settings import (
    backend_setting,
    check,
    depth_kind_setting,
    depth_model_setting,
    device_setting,
    inpaint_model_setting,
    setting,
    size_setting,
    weights_setting,
)


@dataclass
class QualityConfig:
    trajectories: int = setting(12, "held-out trajectories per scene family, for each of completion and revisit", low=1)
    steps: int = setting(24, "steps per trajectory", low=1)
    size: tuple[int, int] = size_setting((256, 256))  # W, H
    fov_deg: tuple[float, float] = setting((45.0, 80.0), "vertical field of view range, drawn per trajectory", cli=False)
    weights: str | None = weights_setting()  # the learned model scored; None: the bundled one
    backend: str = backend_setting()
    device: str = device_setting()
    depth_model: str | None = depth_model_setting()  # a pretrained ONNX depth network for seed depth
    depth_kind: str = depth_kind_setting()
    inpaint_model: str | None = inpaint_model_setting()  # the learned model's sessions then generate at seed time
    seed_scenes: int = setting(8, "held-out seed views per scene kind for the seed-depth table (0: none)", low=0)
    generation_scenes: int = setting(4, "held-out views per scene kind for the generation table: holes painted by "
                                     "pull-push, the per-frame network and the generator (0: none)", low=0)
    previous_weights: str | None = setting(None, "a second model whose seed depth is scored beside the first "
                                           "(e.g. an earlier weights file)")
    textures: str | None = setting(None, "a texture library (python -m gwm_engine.scenes.texture_library): the seed-depth "
                                   "table adds a row of the same held-out scenes with real textures")

    def validate(self) -> QualityConfig:
        """Raise InvalidInput for settings the run cannot use; returns self."""
        check(self)
        if self.textures is not None and not Path(self.textures).is_file():
            raise InvalidInput(f"texture library not found: {self.textures}")
        return self
