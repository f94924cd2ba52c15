"""Per-session world state: the point cache, splatting, fusion, stepping, world files."""

from gwm_engine.world.cache import WorldCache
from gwm_engine.world.session import MAX_PIXELS, MAX_SIDE, MIN_SIDE, SessionConfig, StepFrame, WorldSession, step_many

__all__ = ["WorldCache", "WorldSession", "SessionConfig", "StepFrame", "step_many", "MAX_SIDE", "MAX_PIXELS", "MIN_SIDE"]
