"""The world as engine geometry (gwm_engine/world/mesh.py): grids torn at depth edges, a
collision mesh within its face budget, and .glb files that the Khronos glTF validator passes
and trimesh reads back with the expected bounds and colours."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.layers import ViewLayer
from gwm_engine.world.mesh import (
    DEFAULT_COLLISION_FACES,
    MAX_COLLISION_FACES,
    MIN_COLLISION_FACES,
    check_collision_faces,
    collision_mesh,
    layer_mesh,
    to_glb,
)

ROOT = Path(__file__).resolve().parents[2]
VALIDATOR = ROOT / "tools" / "gltf_validator"
ASSETS = ROOT / "gwm_engine" / "assets"


def _layer(depth: np.ndarray, rgb: np.ndarray | None = None, fov: float = 60.0) -> ViewLayer:
    H, W = depth.shape
    if rgb is None:
        rng = np.random.default_rng(1)
        rgb = rng.integers(0, 256, (H, W, 3), dtype=np.uint8)
    return ViewLayer(torch.from_numpy(rgb), torch.from_numpy(depth.astype(np.float32)), np.eye(4), Intrinsics.from_fov(W, H, fov), rank=0)


def _normals(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    a, b, c = (vertices[faces[:, i]] for i in range(3))
    return np.cross(b - a, c - a)


def test_a_wall_is_one_closed_grid_facing_its_camera():
    layer = _layer(np.full((20, 30), 2.0))
    mesh = layer_mesh(layer)
    assert len(mesh.faces) == 2 * 19 * 29 and len(mesh.vertices) == 20 * 30
    np.testing.assert_allclose(np.sort(mesh.vertices, 0), np.sort(layer.points()[0].numpy(), 0))
    centroids = mesh.vertices[mesh.faces].mean(1)
    # Counter-clockwise seen from the camera at the origin: every normal points back at it.
    assert (np.einsum("ij,ij->i", _normals(mesh.vertices, mesh.faces), -centroids) > 0).all()
    assert mesh.colours is not None and {tuple(c) for c in mesh.colours} == {tuple(c) for c in layer.rgb.reshape(-1, 3).numpy()}


def test_no_triangle_spans_a_depth_edge_or_an_empty_pixel():
    depth = np.full((20, 30), 1.0)
    depth[:, 15:] = 3.0  # a step: foreground on the left, background on the right
    depth[5, 5] = 0.0  # a pixel with nothing
    layer = _layer(depth)
    mesh = layer_mesh(layer)
    z = -mesh.vertices[mesh.faces][..., 2]  # (F, 3) depth of each corner
    assert np.all(z.max(1) - z.min(1) < 1e-4), "a triangle joins the foreground to the background"
    assert {1.0, 3.0} <= set(np.round(np.unique(z), 4))
    # The empty pixel's four quads are gone, and the step's column of quads.
    assert len(mesh.faces) == 2 * (19 * 29 - 19 - 4)


def test_the_collision_mesh_keeps_its_face_budget():
    yy, xx = np.mgrid[0:120, 0:160]
    depth = 2.0 + 0.01 * xx + 0.5 * (yy > 60)  # a slope with a step across it
    layer = _layer(depth)
    full = len(layer_mesh(layer).faces)
    for budget in (100, 1000, 5000, full, full + 1):
        faces = len(collision_mesh([layer], budget).faces)
        assert 0 < faces <= budget, (budget, faces)
    assert len(collision_mesh([layer], full).faces) == full  # enough budget: the full grid
    assert len(collision_mesh([layer], 1000).faces) > 1000 / 4  # not needlessly coarse
    assert collision_mesh([layer], 1000).colours is None


@pytest.mark.parametrize("bad", [1, MIN_COLLISION_FACES - 1, MAX_COLLISION_FACES + 1])
def test_a_face_budget_out_of_range_is_refused(bad):
    with pytest.raises(InvalidInput, match="collision_faces must be"):
        check_collision_faces(bad)
    assert check_collision_faces(0) == DEFAULT_COLLISION_FACES


@pytest.fixture(scope="module")
def validator() -> Path:
    """The Khronos glTF validator (npm gltf-validator) under node, installed from the committed
    lock file if it is not yet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed (CI installs them in .ci/run)")
    if not (VALIDATOR / "node_modules" / "gltf-validator").is_dir():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=VALIDATOR, check=True, capture_output=True, timeout=300)
    return VALIDATOR / "validate.js"


def validate(validator: Path, data: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "world.glb"
    path.write_bytes(data)
    result = subprocess.run(["node", str(validator), str(path)], capture_output=True, text=True, timeout=120)
    report = json.loads(result.stdout)[0]
    assert result.returncode == 0 and report["issues"]["numErrors"] == 0, json.dumps(report["issues"], indent=1)
    return report


def test_a_glb_passes_the_validator_and_loads_with_its_bounds_and_colours(validator, tmp_path):
    depth = np.full((24, 32), 2.5)
    depth[8:16, 10:20] = 1.25  # a box in front of a wall
    layer = _layer(depth)
    glb = to_glb([layer], collision_faces=200)
    report = validate(validator, glb.data, tmp_path)
    assert report["issues"]["numWarnings"] == 0
    scene = trimesh.load(io.BytesIO(glb.data), file_type="glb")
    world, collision = scene.geometry["world"], scene.geometry["collision"]
    assert len(world.faces) == glb.face_count and len(world.vertices) == glb.vertex_count
    assert 0 < len(collision.faces) == glb.collision_face_count <= 200
    points = layer.points()[0].numpy()
    np.testing.assert_allclose(world.bounds, [points.min(0), points.max(0)], atol=1e-6)
    assert np.all(collision.bounds[0] >= points.min(0) - 1e-6) and np.all(collision.bounds[1] <= points.max(0) + 1e-6)
    # COLOR_0 carries each vertex's pixel: match vertices to pixels by position.
    nearest = np.linalg.norm(world.vertices[:, None] - points[None], axis=2).argmin(1)
    np.testing.assert_allclose(world.vertices, points[nearest], atol=1e-6)
    np.testing.assert_array_equal(world.visual.vertex_colors[:, :3], layer.rgb.reshape(-1, 3).numpy()[nearest])


def test_a_real_session_exports_a_valid_glb(validator, tmp_path, model):
    from PIL import Image

    image = np.asarray(Image.open(ASSETS / "sample.png").convert("RGB"))
    session = WorldSession.create(image, np.load(ASSETS / "sample_depth.npy"), SessionConfig(width=96, height=64), model)
    session.step()
    glb = to_glb(session.cache.layers, collision_faces=1000)
    validate(validator, glb.data, tmp_path)
    scene = trimesh.load(io.BytesIO(glb.data), file_type="glb")
    assert set(scene.geometry) == {"world", "collision"}
    assert 0 < len(scene.geometry["collision"].faces) <= 1000 < len(scene.geometry["world"].faces)
