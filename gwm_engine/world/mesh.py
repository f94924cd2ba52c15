"""The world as engine geometry: triangle meshes of its surfaces, written as glTF binary (.glb).

Each view layer (the seed, and any view generated whole) becomes a triangle grid through its
pixel centres: two triangles per quad of four neighbouring pixels, except quads the layer marks
torn (`ViewLayer.edge`: a depth discontinuity crosses them, or a corner is empty), so a
foreground object comes away from what is behind it instead of dragging a rubber sheet, the
same rule the layer renders by. Triangles wind counter-clockwise seen from the camera that
made the layer (glTF's front face), vertex colours are the layer's pixels.

The surfels (what the per-frame fill added between views) are left out of both meshes. They
are loose samples with a radius but no orientation and no neighbours: as quads they would be
flakes at random angles, holes between them, and as collision they would snag a character on
every one. The layers hold the world's continuous surfaces; the PLY export keeps every point.

The collision mesh is the same grids at a coarser pixel stride, the smallest stride whose
triangles fit the client's face budget. A coarser grid rather than quadric decimation: it needs
no further native package, costs one pass over the pixels, is deterministic, and keeps the
tears exactly, since a coarse quad is torn when any pixel quad inside it is (decimation would
have to be taught not to close them). Its triangles are larger where the budget is small, which
is what a physics engine wants anyway.

glTF is right-handed, metres, +y up, as world.proto's frame: positions go in unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
import trimesh

from gwm_engine.errors import InvalidInput
from gwm_engine.world.layers import ViewLayer

DEFAULT_COLLISION_FACES = 20_000
MIN_COLLISION_FACES = 100
MAX_COLLISION_FACES = 1_000_000
WORLD_MESH = "world"
COLLISION_MESH = "collision"
ROOT_NODE = "gwm_world"  # the scene's root node; the two meshes hang from it by these names


@dataclass(frozen=True)
class GridMesh:
    """Triangles over one or more layers: vertices (N, 3) float32 world metres, faces (F, 3)
    int64 vertex indices (counter-clockwise seen from the layer's camera), colours (N, 3) uint8
    or None."""

    vertices: np.ndarray
    faces: np.ndarray
    colours: np.ndarray | None

    @staticmethod
    def join(parts: list[GridMesh], with_colours: bool) -> GridMesh:
        offsets = np.cumsum([0] + [len(p.vertices) for p in parts])
        vertices = np.concatenate([p.vertices for p in parts]) if parts else np.zeros((0, 3), np.float32)
        faces = np.concatenate([p.faces + o for p, o in zip(parts, offsets)]) if parts else np.zeros((0, 3), np.int64)
        colours = None
        if with_colours:
            colours = np.concatenate([p.colours for p in parts]) if parts else np.zeros((0, 3), np.uint8)
        return GridMesh(vertices, faces, colours)


@dataclass(frozen=True)
class GlbExport:
    data: bytes  # the .glb file
    vertex_count: int  # of the world mesh
    face_count: int  # of the world mesh
    collision_face_count: int


def torn_quads(layer: ViewLayer, stride: int) -> torch.Tensor:
    """(h-1, w-1) bool over the stride-`stride` grid of the layer's pixels (rows 0, s, 2s, ...):
    a coarse quad is torn when any pixel quad inside it is."""
    H, W = layer.depth.shape
    rows, cols = len(range(0, H, stride)), len(range(0, W, stride))
    if rows < 2 or cols < 2:
        return torch.ones(max(rows - 1, 0), max(cols - 1, 0), dtype=torch.bool)
    inside = layer.edge[: (rows - 1) * stride, : (cols - 1) * stride].float()[None, None]
    return F.max_pool2d(inside, stride, stride)[0, 0] > 0


def face_count(layer: ViewLayer, stride: int) -> int:
    return 2 * int((~torn_quads(layer, stride)).sum())


def layer_mesh(layer: ViewLayer, stride: int = 1, with_colours: bool = True) -> GridMesh:
    """The layer's surface as triangles through every `stride`-th pixel centre, without torn
    quads; only vertices that some triangle uses."""
    H, W = layer.depth.shape
    rows = torch.arange(0, H, stride)
    cols = torch.arange(0, W, stride)
    intact = ~torn_quads(layer, stride)
    i, j = intact.nonzero(as_tuple=True)
    w = len(cols)
    v00 = i * w + j
    v01, v10, v11 = v00 + 1, v00 + w, v00 + w + 1
    # (v00, v10, v01) and (v01, v10, v11): counter-clockwise on screen, where v grows down.
    faces = torch.stack([torch.stack([v00, v10, v01], 1), torch.stack([v01, v10, v11], 1)], 1).reshape(-1, 3)
    grid = (rows[:, None] * W + cols[None, :]).reshape(-1)  # grid vertex -> layer pixel
    used = torch.zeros(len(grid), dtype=torch.bool)
    used[faces.reshape(-1)] = True
    faces = (torch.cumsum(used, 0) - 1)[faces]  # grid vertex -> index among the used ones
    pixels = grid[used]
    vertices = layer.xyz[:, pixels].T.contiguous().numpy().astype(np.float32)
    colours = layer.rgb.reshape(-1, 3)[pixels].numpy() if with_colours else None
    return GridMesh(vertices, faces.numpy().astype(np.int64).reshape(-1, 3), colours)


def world_mesh(layers: list[ViewLayer]) -> GridMesh:
    """Every layer at full resolution, with colours."""
    return GridMesh.join([layer_mesh(layer) for layer in layers], with_colours=True)


def collision_stride(layers: list[ViewLayer], max_faces: int) -> int:
    """The smallest pixel stride at which all layers' grids have at most `max_faces` triangles."""
    full = sum(face_count(layer, 1) for layer in layers)
    if full <= max_faces:
        return 1
    # Faces fall about as 1/stride^2: start just below that estimate and walk up.
    stride = max(2, math.floor(math.sqrt(full / max_faces)))
    while sum(face_count(layer, stride) for layer in layers) > max_faces:
        stride += 1
    return stride


def collision_mesh(layers: list[ViewLayer], max_faces: int) -> GridMesh:
    stride = collision_stride(layers, max_faces)
    return GridMesh.join([layer_mesh(layer, stride, with_colours=False) for layer in layers], with_colours=False)


def check_collision_faces(collision_faces: int) -> int:
    """The face budget a request asks for (0: the default); InvalidInput outside the range."""
    if collision_faces == 0:
        return DEFAULT_COLLISION_FACES
    if not MIN_COLLISION_FACES <= collision_faces <= MAX_COLLISION_FACES:
        raise InvalidInput(
            f"collision_faces must be {MIN_COLLISION_FACES}..{MAX_COLLISION_FACES} triangles "
            f"(0 = {DEFAULT_COLLISION_FACES}), got {collision_faces}"
        )
    return collision_faces


def to_glb(layers: list[ViewLayer], collision_faces: int = DEFAULT_COLLISION_FACES) -> GlbExport:
    """The layers as a .glb: mesh "world" (full resolution, vertex colours) and mesh "collision"
    (at most `collision_faces` triangles). A mesh without triangles is left out of the file."""
    collision_faces = check_collision_faces(collision_faces)
    world = world_mesh(layers)
    collision = collision_mesh(layers, collision_faces)
    scene = trimesh.Scene(base_frame=ROOT_NODE)
    if len(world.faces):
        rgba = np.concatenate([world.colours, np.full((len(world.colours), 1), 255, np.uint8)], 1)
        visual = trimesh.Trimesh(world.vertices, world.faces, vertex_colors=rgba, process=False)
        scene.add_geometry(visual, geom_name=WORLD_MESH, node_name=WORLD_MESH)
    if len(collision.faces):
        solid = trimesh.Trimesh(collision.vertices, collision.faces, process=False)
        scene.add_geometry(solid, geom_name=COLLISION_MESH, node_name=COLLISION_MESH)
    data = scene.export(file_type="glb")
    return GlbExport(data, len(world.vertices), len(world.faces), len(collision.faces))


__all__ = [
    "GridMesh",
    "GlbExport",
    "layer_mesh",
    "world_mesh",
    "collision_mesh",
    "collision_stride",
    "check_collision_faces",
    "to_glb",
    "DEFAULT_COLLISION_FACES",
    "MIN_COLLISION_FACES",
    "MAX_COLLISION_FACES",
]
