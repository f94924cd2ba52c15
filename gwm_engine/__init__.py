"""gwm-engine: one image in, an explorable RGB-D world out.

Conventions (used everywhere; written once in docs/ARCHITECTURE.md, "Conventions"):
right-handed world, +y up, the camera looks down its local -z (OpenGL/Godot); poses are
4x4 world-from-camera matrices; depth is metric z-depth in metres, not ray length.
"""

__version__ = "0.1.0"
