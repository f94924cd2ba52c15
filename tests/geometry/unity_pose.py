"""The one place that converts between our frame and Unity's.

Ours: right-handed, +y up, camera looks down -z. Unity: left-handed, +y up, camera looks down
+z. Mirroring z maps one onto the other: positions (x, y, z) <-> (x, y, -z), rotations
R <-> S R S with S = diag(1, 1, -1); for a quaternion (x, y, z, w) that is (-x, -y, z, w).
The C# plugin core implements the same formulas and tests them against these.
"""

from __future__ import annotations

import numpy as np

_S = np.diag([1.0, 1.0, -1.0])


def _quat_from_matrix(R: np.ndarray) -> np.ndarray:
    """(x, y, z, w), w >= 0."""
    t = np.trace(R)
    if t > 0:
        s = np.sqrt(t + 1.0) * 2
        q = [(R[2, 1] - R[1, 2]) / s, (R[0, 2] - R[2, 0]) / s, (R[1, 0] - R[0, 1]) / s, 0.25 * s]
    else:
        i = int(np.argmax(np.diag(R)))
        j, k = (i + 1) % 3, (i + 2) % 3
        s = np.sqrt(1.0 + R[i, i] - R[j, j] - R[k, k]) * 2
        q = [0.0] * 4
        q[i] = 0.25 * s
        q[j] = (R[j, i] + R[i, j]) / s
        q[k] = (R[k, i] + R[i, k]) / s
        q[3] = (R[k, j] - R[j, k]) / s
    q = np.array(q)
    return q if q[3] >= 0 else -q


def _matrix_from_quat(q) -> np.ndarray:
    x, y, z, w = np.asarray(q, dtype=np.float64) / np.linalg.norm(q)
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def pose_to_unity(pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Our 4x4 world-from-camera -> Unity (position xyz, rotation quaternion xyzw)."""
    return _S @ pose[:3, 3], _quat_from_matrix(_S @ pose[:3, :3] @ _S)


def pose_from_unity(position, rotation_xyzw) -> np.ndarray:
    """Unity camera transform (position, quaternion xyzw) -> our 4x4 world-from-camera."""
    pose = np.eye(4)
    pose[:3, :3] = _S @ _matrix_from_quat(rotation_xyzw) @ _S
    pose[:3, 3] = _S @ np.asarray(position, dtype=np.float64)
    return pose
