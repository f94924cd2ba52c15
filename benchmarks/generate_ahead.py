"""Generation off the frame loop, at seed time (`SessionConfig.generate`, `serve --generate`) and
ahead of the player (`SessionConfig.ahead`, `serve --ahead`): what it costs and what it covers.

    .venv/bin/python benchmarks/generate_ahead.py [--size 256x256] [--weights PATH]

For each natural photo (benchmarks/data, estimated depth), in one run, four ways: the per-frame
fill alone (the network in every frame that needs it: today's default), seed-time generation,
generation ahead in the background, and both:
- session creation time (median of 3);
- a 90-degree look-around (yaw 0 -> +90 -> -90 -> 0 at 3 degrees a frame), stepped back to back
  as a lockstep client does, so the background worker competes with the frames for the cores:
  - the share of generated pixels that generation made rather than the frames' own fill:
    1 - (pixels the frames filled themselves) / (the same with the per-frame fill alone)
    (target >= 80 %, issue #19);
  - frame time p50 / p99, and their ratio to the per-frame fill alone (targets <= 1.15 / 1.30);
  - the background generator's views kept per second and its share of the wall time.
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
WAYS = {"per-frame fill": {}, "seed time": {"generate": True}, "ahead": {"ahead": "background"},
        "seed time + ahead": {"generate": True, "ahead": "background"}}


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


def walk(session: WorldSession) -> dict:
    """The look-around, back to back: frame times, pixels the frames filled themselves, the generator's work."""
    ms, filled = [], 0
    t0 = time.perf_counter()
    for action in look_around():
        t = time.perf_counter()
        frame = session.step(action)
        ms.append((time.perf_counter() - t) * 1e3)
        filled += int((~frame.mask).sum())
    wall_s = time.perf_counter() - t0
    session.close()
    return {"p50": np.percentile(ms, 50), "p99": np.percentile(ms, 99), "filled": filled,
            "rate": session.ahead.views / wall_s, "busy": session.ahead.model_ms / 1e3 / wall_s}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", default="256x256", type=lambda s: tuple(int(x) for x in s.split("x")))
    p.add_argument("--weights", default=None, help="model weights (default: the bundled model)")
    args = p.parse_args()
    torch.manual_seed(0)
    model = load_model(args.weights)
    w, h = args.size
    print(f"{w}x{h}, {len(look_around())}-frame look-around of +-90 degrees, frames back to back\n")
    print("| photo | way | create ms | generated, not filled by the frame | frame p50 ms (ratio) | p99 ms (ratio) "
          "| ahead views/s (busy) |")
    print("|---|---|---|---|---|---|---|")
    worst: dict[str, float] = {}
    for path in PHOTOS:
        image = np.asarray(Image.open(path).convert("RGB"))
        base = None
        for way, settings in WAYS.items():
            session, create_ms = created(image, SessionConfig(w, h, **settings), model)
            walk(session.fork())  # warm-up: first-call allocations, the worker thread
            r = walk(session.fork())
            base = base or r
            share = 1 - r["filled"] / base["filled"]
            ahead = f"{r['rate']:.1f} ({100 * r['busy']:.0f} %)" if settings.get("ahead") else "-"
            print(f"| {path.stem} | {way} | {create_ms:.0f} | **{share:.3f}** | {r['p50']:.1f} ({r['p50'] / base['p50']:.2f}) "
                  f"| {r['p99']:.1f} ({r['p99'] / base['p99']:.2f}) | {ahead} |")
            worst[way] = min(worst.get(way, 1.0), share)
    print()
    for way in list(WAYS)[1:]:
        print(f"{'MET ' if worst[way] >= TARGET_SHARE else 'MISS'}  {way}: share of generated pixels not filled by the "
              f"frames, worst photo {worst[way]:.3f} (target >= {TARGET_SHARE})")


if __name__ == "__main__":
    main()
