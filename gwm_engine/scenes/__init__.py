"""Ground-truth procedural scenes: exact RGB and metric z-depth at any camera pose.

    scene = make_scene("indoor", seed=3)
    rgb, depth = scene.render(poses, Intrinsics.from_fov(128, 128, 60.0))
    traj = make_trajectory(scene, kind="loop", steps=40, seed=0)

FAMILIES are the walkable families trajectories run through; SEED_FAMILIES (close-ups, figures,
vehicles, shelves, cities, landscapes) are made for single seed views (scenes.views.seed_view).
"""

from gwm_engine.scenes.families import (
    ALL_FAMILIES,
    FAMILIES,
    SEED_FAMILIES,
    IndoorConfig,
    OutdoorConfig,
    SceneConfig,
    StreetConfig,
    make_scene,
)
from gwm_engine.scenes.render import Scene
from gwm_engine.scenes.trajectories import (
    KINDS,
    Trajectory,
    TrajectoryConfig,
    make_trajectory,
)

__all__ = [
    "ALL_FAMILIES",
    "FAMILIES",
    "KINDS",
    "IndoorConfig",
    "OutdoorConfig",
    "SEED_FAMILIES",
    "Scene",
    "SceneConfig",
    "StreetConfig",
    "Trajectory",
    "TrajectoryConfig",
    "make_scene",
    "make_trajectory",
]
