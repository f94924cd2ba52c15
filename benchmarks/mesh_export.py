"""The world as glTF binary (ExportGeometry GLB): time and size of the export at three frame sizes.

    python benchmarks/mesh_export.py [--repeat 3] [--collision-faces 20000]

Seeds a world from the bundled sample (its own metric depth), takes a few steps so surfels are
fused too, and times `gwm_engine.world.mesh.to_glb` (the world mesh, the collision mesh within
its face budget and the .glb writing) and the PLY export beside it. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gwm_engine.geometry import CameraAction
from gwm_engine.model import load_model
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.mesh import to_glb

ASSETS = Path(__file__).resolve().parents[1] / "gwm_engine" / "assets"
SIZES = ((256, 256), (640, 360), (1280, 720))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--collision-faces", type=int, default=20_000)
    args = parser.parse_args()
    torch.set_num_threads(2)
    model = load_model("classical")
    image = np.asarray(Image.open(ASSETS / "sample.png").convert("RGB"))
    depth = np.load(ASSETS / "sample_depth.npy")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, model {model.name}, "
          f"collision budget {args.collision_faces} triangles")  # fmt: skip
    print("| size | world triangles | collision triangles | glb MB | glb ms (median) | ply MB | ply ms |")
    print("|---|---|---|---|---|---|---|")
    for width, height in SIZES:
        session = WorldSession.create(image, depth, SessionConfig(width=width, height=height), model)
        for _ in range(3):
            session.step(CameraAction(move=(0.0, 0.0, 0.3), turn=(10.0, 0.0, 0.0)))
        glb_ms, ply_ms = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            glb = to_glb(session.cache.layers, args.collision_faces)
            glb_ms.append((time.perf_counter() - t) * 1e3)
            t = time.perf_counter()
            ply = session.export_ply()
            ply_ms.append((time.perf_counter() - t) * 1e3)
        print(f"| {width}x{height} | {glb.face_count} | {glb.collision_face_count} | {len(glb.data) / 1e6:.1f} | "
              f"{statistics.median(glb_ms):.0f} | {len(ply) / 1e6:.1f} | {statistics.median(ply_ms):.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
