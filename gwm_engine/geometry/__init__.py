"""Camera geometry: intrinsics, poses, camera actions and the Unity frame conversion."""

from gwm_engine.geometry.actions import CameraAction, apply_action, validate_pose
from gwm_engine.geometry.camera import Intrinsics, look_at, unproject

__all__ = ["Intrinsics", "look_at", "unproject", "CameraAction", "apply_action", "validate_pose"]
