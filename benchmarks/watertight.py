"""Does the world hold together when the player moves? Walk-ups, jumps and revisits.

    .venv/bin/python benchmarks/watertight.py [--scenes 6] [--size 256x256] [--weights PATH]

Three measurements, each for the world as layers (the seed kept as one continuous surface,
what sessions do) beside the same seed fused as loose surfels (the representation before
layers), in one run:
1. Walk-up, held-out rendered scenes seeded with exact depth: dolly toward the surface at the
   image centre to a quarter of its distance in 12 steps, then compare with the renderer's
   ground truth on the pixels the seed saw: coverage (share the world renders) and PSNR,
   beside an oracle that samples the seed bilinearly through the true target depth.
2. One jump forward by 40 % of the median seed depth, natural photos with estimated depth:
   the share of the frame the world covers.
3. Revisit: 12 steps forward, a look 24 degrees aside and back, 12 steps back; PSNR of the
   frame back at the start against the first frame (renders with exact depth, photos with
   estimated depth).
Natural photos: benchmarks/data (see its README for sources and licences).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gwm_engine.geometry.actions import CameraAction
from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.model import load_model
from gwm_engine.scenes import FAMILIES, make_scene
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.cache import PINNED

PHOTOS = sorted((Path(__file__).parent / "data").glob("*.jpg"))
TARGETS = {"coverage": 0.99, "oracle_gap_db": 0.5, "revisit_db": 40.0}


def as_surfels(session: WorldSession) -> WorldSession:
    """The same world with its seed fused as pinned surfels instead of a layer (the baseline)."""
    layer = session.cache.layers.pop()
    xyz, rgb = layer.points()
    depth = layer.depth.reshape(-1)[layer.valid.reshape(-1)]
    session.cache.add(xyz, rgb, depth * (0.5 / layer.K.fx), PINNED)
    return session


def render8(scene, pose: np.ndarray, K: Intrinsics) -> tuple[np.ndarray, np.ndarray]:
    rgb, depth = scene.render(pose, K)
    return (rgb * 255 + 0.5).clamp(0, 255).byte().numpy(), depth.numpy()


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * math.log10(255**2 / max(mse, 1e-10))


def look_at_surface(scene, K: Intrinsics) -> tuple[np.ndarray, float] | None:
    """A level pose at the spawn point facing a solid surface 2..15 m away at the image centre."""
    spawn = scene.spawn_pose()
    for yaw in range(0, 360, 30):
        c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
        pose = spawn.copy()
        pose[:3, :3] = spawn[:3, :3] @ np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])
        _, depth = scene.render(pose, K)
        h, w = depth.shape
        win = depth[h // 2 - 4 : h // 2 + 4, w // 2 - 4 : w // 2 + 4].numpy()
        centre = float(np.median(win))
        if 2 < centre < 15 and win.max() / win.min() < 1.1:
            return pose, centre
    return None


def seen_by_seed(depth_t: np.ndarray, pose_t: np.ndarray, depth_s: np.ndarray, K: Intrinsics):
    """Target pixels whose true surface point the seed saw, and where it lands in the seed (u, v)."""
    H, W = depth_t.shape
    v, u = np.mgrid[0:H, 0:W] + 0.5
    cam = np.stack([(u - K.cx) / K.fx * depth_t, -(v - K.cy) / K.fy * depth_t, -depth_t], -1)
    world = cam @ pose_t[:3, :3].T + pose_t[:3, 3]  # the seed is at the identity pose
    d = -world[..., 2]
    us, vs = world[..., 0] / d * K.fx + K.cx, -world[..., 1] / d * K.fy + K.cy
    inside = (d > 0.05) & (us >= 0) & (us < W) & (vs >= 0) & (vs < H)
    near = depth_s[np.clip(vs.astype(int), 0, H - 1), np.clip(us.astype(int), 0, W - 1)]
    return inside & (np.abs(near - d) < 0.02 * d), us, vs


def bilinear(image: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    H, W = image.shape[:2]
    grid = torch.from_numpy(np.stack([u / W * 2 - 1, v / H * 2 - 1], -1)).float()[None]
    src = torch.from_numpy(image).permute(2, 0, 1).float()[None]
    out = torch.nn.functional.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[0].permute(1, 2, 0).round().clamp(0, 255).byte().numpy()


def revisit(session: WorldSession, step_m: float) -> float:
    first = session.step()
    actions = [CameraAction(move=(0, 0, step_m))] * 12 + [CameraAction(turn=(6, 0, 0))] * 4
    actions += [CameraAction(turn=(-6, 0, 0))] * 4 + [CameraAction(move=(0, 0, -step_m))] * 12
    for a in actions:
        last = session.step(a)
    assert np.allclose(last.pose, first.pose, atol=1e-9)
    return psnr(session.step().rgb, first.rgb)


def walk_up(args, model) -> list[dict]:
    w, h = args.size
    K = Intrinsics.from_fov(w, h, 60.0)
    rows = []
    for i in range(args.scenes):
        scene = make_scene(FAMILIES[i % len(FAMILIES)], seed=100 + i)  # seeds < 1000: held out
        found = look_at_surface(scene, K)
        if found is None:
            continue
        pose0, centre = found
        rgb_s, depth_s = render8(scene, pose0, K)
        target = pose0.copy()
        target[:3, 3] -= pose0[:3, 2] * 0.75 * centre
        rgb_t, depth_t = render8(scene, target, K)
        rel = np.linalg.inv(pose0) @ target
        seen, us, vs = seen_by_seed(depth_t, rel, depth_s, K)
        oracle = psnr(bilinear(rgb_s, us, vs)[seen], rgb_t[seen])
        row = {"scene": f"{scene_name(i)} {centre:.1f} m", "oracle": oracle, "seen": float(seen.mean())}
        for name, make in (("layers", lambda s: s), ("surfels", as_surfels)):
            session = make(WorldSession.create(rgb_s, depth_s, SessionConfig(w, h, 60.0), model))
            for _ in range(12):
                frame = session.step(CameraAction(move=(0, 0, 0.75 * centre / 12)))
            row[f"{name}_cov"] = float(frame.mask[seen].mean())
            row[f"{name}_psnr"] = psnr(frame.rgb[seen], rgb_t[seen])
            session = make(WorldSession.create(rgb_s, depth_s, SessionConfig(w, h, 60.0), model))
            row[f"{name}_revisit"] = revisit(session, 0.15)
        rows.append(row)
    return rows


def scene_name(i: int) -> str:
    return f"{FAMILIES[i % len(FAMILIES)]}/{100 + i}"


def photos(args, model) -> list[dict]:
    w, h = args.size
    rows = []
    for path in PHOTOS:
        image = np.asarray(Image.open(path).convert("RGB"))
        row = {"photo": path.stem}
        for name, make in (("layers", lambda s: s), ("surfels", as_surfels)):
            session = make(WorldSession.create(image, None, SessionConfig(w, h, 60.0), model))
            median = float(np.median(session.step().depth))
            row["median_m"] = median
            row[f"{name}_jump"] = float(session.step(CameraAction(move=(0, 0, 0.4 * median))).mask.mean())
            session = make(WorldSession.create(image, None, SessionConfig(w, h, 60.0), model))
            row[f"{name}_revisit"] = revisit(session, 0.4 * median / 12)
        rows.append(row)
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenes", type=int, default=6)
    p.add_argument("--size", default="256x256", type=lambda s: tuple(int(x) for x in s.split("x")))
    p.add_argument("--weights", default=None, help="model weights (default: the bundled model)")
    args = p.parse_args()
    torch.manual_seed(0)
    model = load_model(args.weights)

    rows = walk_up(args, model)
    print("\n1. Walk-up to a quarter of the distance, exact seed depth (pixels the seed saw)")
    print(f"{'scene':<22}{'seen':>6}{'oracle dB':>11}{'layers cov':>12}{'dB':>7}{'surfels cov':>13}{'dB':>7}")
    for r in rows:
        print(f"{r['scene']:<22}{r['seen']:>6.2f}{r['oracle']:>11.2f}{r['layers_cov']:>12.4f}{r['layers_psnr']:>7.2f}"
              f"{r['surfels_cov']:>13.4f}{r['surfels_psnr']:>7.2f}")
    mean = {k: float(np.mean([r[k] for r in rows])) for k in rows[0] if k != "scene"}
    print(f"{'mean':<22}{mean['seen']:>6.2f}{mean['oracle']:>11.2f}{mean['layers_cov']:>12.4f}{mean['layers_psnr']:>7.2f}"
          f"{mean['surfels_cov']:>13.4f}{mean['surfels_psnr']:>7.2f}")
    gap = mean["oracle"] - mean["layers_psnr"]
    coverage_verdict = "PASS" if mean["layers_cov"] >= TARGETS["coverage"] else "MISS"
    print(f"coverage {mean['layers_cov']:.4f} (target >= {TARGETS['coverage']}): {coverage_verdict}; "
          f"surfels {mean['surfels_cov']:.4f}, ratio {mean['layers_cov'] / mean['surfels_cov']:.3f}")
    print(f"oracle gap {gap:.2f} dB (target <= {TARGETS['oracle_gap_db']}): {'PASS' if gap <= TARGETS['oracle_gap_db'] else 'MISS'}; "
          f"surfels gap {mean['oracle'] - mean['surfels_psnr']:.2f} dB")

    prow = photos(args, model)
    print("\n2./3. Natural photos, estimated depth: one jump of 40 % of the median depth; revisit after a walk-and-look loop")
    print(f"{'photo':<16}{'median m':>9}{'layers jump':>13}{'surfels jump':>14}{'layers revisit':>16}{'surfels revisit':>17}")
    for r in prow:
        print(f"{r['photo']:<16}{r['median_m']:>9.2f}{r['layers_jump']:>13.4f}{r['surfels_jump']:>14.4f}"
              f"{r['layers_revisit']:>16.2f}{r['surfels_revisit']:>17.2f}")
    print("\n3. Revisit, rendered scenes with exact depth (dB against the first frame)")
    for r in rows:
        print(f"{r['scene']:<22} layers {r['layers_revisit']:6.2f}  surfels {r['surfels_revisit']:6.2f}")
    worst = min([r["layers_revisit"] for r in rows + prow])
    print(f"worst revisit {worst:.2f} dB (target >= {TARGETS['revisit_db']}): {'PASS' if worst >= TARGETS['revisit_db'] else 'MISS'}")


if __name__ == "__main__":
    main()
