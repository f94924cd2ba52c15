"""Seed-time generation (`SessionConfig.generate`, `serve --generate`): what it costs and what it covers.

    .venv/bin/python benchmarks/generate_ahead.py [--size 256x256] [--weights PATH]

For each natural photo (benchmarks/data, estimated depth), one run, without and with seed-time
generation:
- session creation time (median of 3);
- a 90-degree look-around (yaw 0 -> +90 -> -90 -> 0 at 3 degrees a frame): the share of the
  pixels the seed does not show that came from seed-time generation rather than the per-frame
  fill (target >= 80 %, issue #19), and the frame time p50 / p99 of the walk.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from gwm_engine.geometry.actions import CameraAction
from gwm_engine.model import load_model
from gwm_engine.world import SessionConfig, WorldSession

PHOTOS = sorted((Path(__file__).parent / "data").glob("*.jpg"))
TARGET_SHARE = 0.8
STEP_DEG = 3


def look_around() -> list[CameraAction]:
    n = 90 // STEP_DEG
    return [CameraAction(turn=(STEP_DEG, 0, 0))] * n + [CameraAction(turn=(-STEP_DEG, 0, 0))] * 2 * n + \
        [CameraAction(turn=(STEP_DEG, 0, 0))] * n


def created(image: np.ndarray, config: SessionConfig, model) -> tuple[WorldSession, float]:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        session = WorldSession.create(image, None, config, model)
        times.append((time.perf_counter() - t) * 1e3)
    return session, float(np.median(times))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="256x256", type=lambda s: tuple(int(x) for x in s.split("x")))
    p.add_argument("--weights", default=None, help="model weights (default: the bundled model)")
    args = p.parse_args()
    torch.manual_seed(0)
    model = load_model(args.weights)
    w, h = args.size
    print(f"{w}x{h}, {len(look_around())}-frame look-around of +-90 degrees\n")
    print("| photo | create ms (without / with) | generated pixels from seed time | frame p50 ms (without / with) | p99 |")
    print("|---|---|---|---|---|")
    shares = []
    for path in PHOTOS:
        image = np.asarray(Image.open(path).convert("RGB"))
        plain, t_plain = created(image, SessionConfig(w, h), model)
        ahead, t_ahead = created(image, SessionConfig(w, h, generate=True), model)
        seed_px = gen_px = 0.0
        timing = {}
        for name, session in (("plain", plain), ("ahead", ahead)):
            walker, ms = session.fork(), []
            for action in look_around():
                t = time.perf_counter()
                walker.step(action)
                ms.append((time.perf_counter() - t) * 1e3)
                if name == "ahead":  # what the world held at creation, at this pose: the seed, or also what was generated
                    pose = torch.from_numpy(walker.pose).float()
                    seed = plain.cache.render(pose, plain.intrinsics, step=-1).mask.float().mean().item()
                    held = session.cache.render(pose, session.intrinsics, step=-1).mask.float().mean().item()
                    seed_px += 1 - seed
                    gen_px += held - seed
            timing[name] = (np.percentile(ms, 50), np.percentile(ms, 99))
        share = gen_px / max(seed_px, 1e-9)
        shares.append(share)
        print(f"| {path.stem} | {t_plain:.0f} / {t_ahead:.0f} | **{share:.3f}** | {timing['plain'][0]:.1f} / "
              f"{timing['ahead'][0]:.1f} | {timing['plain'][1]:.1f} / {timing['ahead'][1]:.1f} |")
    worst = min(shares)
    print(f"\n{'MET ' if worst >= TARGET_SHARE else 'MISS'}  share of generated pixels from seed time on the look-around: "
          f"worst {worst:.3f} (target >= {TARGET_SHARE})")


if __name__ == "__main__":
    main()
