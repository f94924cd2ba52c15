"""Scene families for seed views: what users seed a world with, beyond rooms, terrain and streets.

Close-ups of tabletops, figures and animals at portrait distance, vehicles and tall machines,
cluttered shelves, city blocks at their real scale, landscapes with distant mountains and water.
Each family also picks its camera (any height, pitched up or down, from a hand's breadth to
hundreds of metres away) and its light (sun, overcast, dusk, night, lamps), so a (family, seed)
pair is still the whole description of a scene. The solids are the renderer's: axis-aligned
boxes and ellipsoids and horizontal planes, all with exact depth.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from gwm_engine.geometry.camera import look_at
from gwm_engine.scenes.families import _hsv, _jitter, _Palette, _room_materials, _sky, _sun
from gwm_engine.scenes.primitives import PrimitiveBuilder, Primitives, clearance, intersect
from gwm_engine.scenes.render import Lighting, Scene
from gwm_engine.scenes.textures import Material, Pattern

LIGHTS = ("sun", "overcast", "dusk", "night")

# Vertical field of view (degrees) each family's camera is drawn from: portraits and distant
# subjects are often shot long, close-ups and rooms wide.
FOV_RANGE = {
    "indoor": (40.0, 90.0), "outdoor": (35.0, 90.0), "street": (35.0, 90.0),
    "tabletop": (30.0, 80.0), "figures": (18.0, 65.0), "vehicles": (12.0, 75.0),
    "shelves": (35.0, 90.0), "city": (20.0, 85.0), "landscape": (20.0, 80.0),
}


def build_seed_family(family: str, rng: np.random.Generator, seed: int) -> Scene:
    """The scene of one of SEED_FAMILIES (called by make_scene with its generator)."""
    return _BUILDERS[family](rng, seed)


# ---------------------------------------------------------------------------------------------
# shared pieces


def _clear(prims: Primitives, eye: np.ndarray, margin: float) -> bool:
    return bool(clearance(prims, torch.tensor(eye, dtype=torch.float32)[None])[0] >= margin)


def _aim(rng: np.random.Generator, prims: Primitives, target, distance: tuple[float, float],
         elevation: tuple[float, float], margin: float, height: tuple[float, float] | None = None,
         yaw: tuple[float, float] = (0.0, 2 * math.pi)) -> np.ndarray:
    """A pose looking at `target` from a clear point `distance` away, `elevation` degrees above
    (negative: below) the target, optionally with the eye's height kept in `height`; the nearest
    clear try wins if none is clear by `margin`."""
    target = np.asarray(target, dtype=np.float64)
    best, best_clear = None, -np.inf
    for _ in range(24):
        d, el, az = rng.uniform(*distance), math.radians(rng.uniform(*elevation)), rng.uniform(*yaw)
        eye = target + d * np.array([math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az)])
        if height is not None:
            eye[1] = np.clip(eye[1], *height)
        eye[1] = max(eye[1], 0.05)
        c = float(clearance(prims, torch.tensor(eye, dtype=torch.float32)[None])[0])
        if c > best_clear:
            best, best_clear = eye, c
        if c >= margin:
            break
    # Aim a little off the subject's centre, as people frame their shots.
    jitter = rng.normal(0, 0.08, 3) * np.linalg.norm(best - target)
    return look_at(best, target + jitter)


def _light(rng: np.random.Generator, pal: _Palette, outdoor: bool, center, half: float,
           lamp_pos=None) -> tuple[Lighting, int]:
    """A random one of LIGHTS, and the sky material that goes with it."""
    mood = rng.choice(LIGHTS, p=[0.45, 0.25, 0.15, 0.15])
    elevation = {"sun": (25, 70), "overcast": (40, 80), "dusk": (3, 12), "night": (30, 60)}[mood]
    sun = _sun(rng, elevation)
    sky, horizon = _sky(rng, pal, math.degrees(math.asin(sun[1])))
    if mood == "overcast":  # grey sky, no shadows to speak of
        grey = rng.uniform(0.6, 0.85)
        pal.materials[sky] = Material(Pattern.SKY, (grey,) * 3, (grey * 0.9,) * 3)
        horizon = (grey,) * 3
    elif mood == "night":
        pal.materials[sky] = Material(Pattern.SKY, _hsv(0.62, 0.5, 0.12), _hsv(0.65, 0.7, 0.03))
        horizon = _hsv(0.62, 0.5, 0.1)
    sun_gain = {"sun": rng.uniform(0.6, 0.95), "overcast": rng.uniform(0.05, 0.15),
                "dusk": rng.uniform(0.4, 0.7), "night": rng.uniform(0.0, 0.05)}[mood]
    amb = {"sun": rng.uniform(0.35, 0.5), "overcast": rng.uniform(0.6, 0.85),
           "dusk": rng.uniform(0.25, 0.4), "night": rng.uniform(0.06, 0.15)}[mood]
    if not outdoor:
        amb *= 0.8
    sun_rgb = np.array(_hsv(0.08 if mood == "dusk" else rng.uniform(0.08, 0.13), 0.6 if mood == "dusk" else 0.2, 1.0))
    if lamp_pos is None and (mood == "night" or not outdoor):
        above = np.array([rng.uniform(-1, 1), rng.uniform(1.5, 3.0), rng.uniform(-1, 1)])
        lamp_pos = np.asarray(center, dtype=np.float64) + above
    lamp = np.array(_hsv(rng.uniform(0.07, 0.14), rng.uniform(0.2, 0.5), 1.0)) * rng.uniform(0.4, 0.9)
    light = Lighting(
        sun_dir=sun,
        sun=tuple(sun_rgb * sun_gain),
        ambient_up=tuple(np.array(_hsv(rng.uniform(0.55, 0.62), rng.uniform(0.05, 0.3), 1.0)) * amb),
        ambient_down=tuple(np.full(3, amb * rng.uniform(0.5, 0.8))),
        shadow_center=tuple(float(c) for c in center),
        shadow_half_size=float(half),
        lamp_pos=None if lamp_pos is None else tuple(float(c) for c in lamp_pos),
        lamp=tuple(lamp) if lamp_pos is not None else (0.0, 0.0, 0.0),
        lamp_range=rng.uniform(2.0, 6.0),
        haze=tuple(horizon) if outdoor else None,
        haze_start=float(rng.uniform(40.0, 120.0)),
        haze_end=float(rng.uniform(350.0, 700.0)),
    )
    return light, sky


def _any_colour(rng: np.random.Generator, sat=(0.1, 0.9), val=(0.2, 0.95)) -> tuple[float, float, float]:
    return _hsv(rng.uniform(0, 1), rng.uniform(*sat), rng.uniform(*val))


def _material(rng: np.random.Generator, pal: _Palette, colour=None) -> int:
    """A random surface: flat paint, mottled, wood, tiles or bricks, at object scale."""
    c = colour or _any_colour(rng)
    kind = rng.choice(5, p=[0.35, 0.3, 0.15, 0.1, 0.1])
    if kind == 0:
        return pal.add(Pattern.FLAT, c, scale=rng.uniform(2.0, 12.0))
    if kind == 1:
        return pal.add(Pattern.MOTTLED, c, _jitter(rng, c, 0.4), scale=rng.uniform(2.0, 20.0))
    if kind == 2:
        return pal.add(Pattern.WOOD, _hsv(rng.uniform(0.05, 0.12), 0.45, rng.uniform(0.5, 0.85)), _hsv(0.07, 0.6, 0.35),
                       scale=rng.uniform(1.0, 4.0), param=rng.uniform(0.05, 0.2))
    if kind == 3:
        return pal.add(Pattern.TILES, c, _any_colour(rng), scale=6.0, param=rng.uniform(0.02, 0.15))
    return pal.add(Pattern.BRICK, c, _hsv(0.1, 0.1, 0.7), scale=3.0, param=rng.uniform(0.03, 0.1))


def _room(rng: np.random.Generator, pal: _Palette, b: PrimitiveBuilder, lo, hi) -> None:
    floor, wall, ceiling = _room_materials(rng, pal)
    b.box(lo, hi, up=floor, side=wall, down=ceiling, shell=True)


def _floaters(rng: np.random.Generator, pal: _Palette, b: PrimitiveBuilder, center, spread: float, size: float,
              count: int) -> None:
    """Objects off the ground: hanging lamps, balloons, branches, birds."""
    for _ in range(count):
        c = np.asarray(center) + rng.uniform(-spread, spread, 3)
        c[1] = abs(c[1]) + size
        r = rng.uniform(0.3, 1.0, 3) * size
        if rng.random() < 0.5:
            b.ellipsoid(c, r, _material(rng, pal))
        else:
            b.box(c - r, c + r, up=_material(rng, pal))


def _scene(family: str, seed: int, b: PrimitiveBuilder, pal: _Palette, rng, light_args: dict,
           pose: Callable[[Primitives], np.ndarray], shadow_resolution: int = 768) -> Scene:
    prims = b.build()
    light, sky = _light(rng, pal, **light_args)
    return Scene(family, seed, prims, pal.table(rng), sky, light, pose(prims), shadow_resolution)


# ---------------------------------------------------------------------------------------------
# tabletop: close-ups of small things on a table, from a hand's breadth to a metre away


def _tabletop(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    W, D, H = rng.uniform(3.0, 7.0), rng.uniform(3.0, 7.0), rng.uniform(2.4, 3.2)
    _room(rng, pal, b, [-W / 2, 0, -D / 2], [W / 2, H, D / 2])
    top_y = rng.uniform(0.45, 1.0)
    tw, td = rng.uniform(0.6, min(2.0, W - 0.8)) / 2, rng.uniform(0.5, min(1.5, D - 0.8)) / 2
    table = _material(rng, pal)
    b.box([-tw, top_y - 0.04, -td], [tw, top_y, td], up=table)
    for cx in (-tw + 0.04, tw - 0.04):
        for cz in (-td + 0.04, td - 0.04):
            b.box([cx - 0.03, 0, cz - 0.03], [cx + 0.03, top_y - 0.04, cz + 0.03], up=table)
    things = []
    for _ in range(int(rng.integers(4, 16))):
        x, z = rng.uniform(-tw + 0.05, tw - 0.05), rng.uniform(-td + 0.05, td - 0.05)
        kind = rng.choice(["box", "book", "fruit", "vase", "ball", "stack"])
        mat = _material(rng, pal)
        if kind in ("box", "book"):
            if kind == "box":
                s = rng.uniform([0.04, 0.02, 0.04], [0.3, 0.25, 0.25])
            else:
                s = rng.uniform([0.12, 0.02, 0.08], [0.3, 0.06, 0.22])
            b.box([x - s[0] / 2, top_y, z - s[2] / 2], [x + s[0] / 2, top_y + s[1], z + s[2] / 2], up=mat)
            things.append((x, top_y + s[1] / 2, z))
        elif kind == "fruit":
            r = rng.uniform(0.025, 0.07)
            b.ellipsoid([x, top_y + r * 0.9, z], [r, r * rng.uniform(0.8, 1.1), r], mat)
            things.append((x, top_y + r, z))
        elif kind == "vase":
            r, h = rng.uniform(0.03, 0.1), rng.uniform(0.08, 0.3)
            b.ellipsoid([x, top_y + h / 2, z], [r, h / 2, r], mat)
            b.ellipsoid([x, top_y + h, z], [r * 0.5, h * 0.15, r * 0.5], mat)
            things.append((x, top_y + h / 2, z))
        elif kind == "ball":
            r = rng.uniform(0.04, 0.12)
            b.ellipsoid([x, top_y + r, z], [r, r, r], mat)
            things.append((x, top_y + r, z))
        else:
            y = top_y
            for _k in range(int(rng.integers(2, 6))):
                s = rng.uniform([0.08, 0.01, 0.08], [0.25, 0.05, 0.2])
                b.box([x - s[0] / 2, y, z - s[2] / 2], [x + s[0] / 2, y + s[1], z + s[2] / 2], up=_material(rng, pal))
                y += s[1]
            things.append((x, (top_y + y) / 2, z))
    _floaters(rng, pal, b, [0.0, top_y + 0.5, 0.0], 0.5, 0.08, int(rng.integers(0, 3)))

    def pose(prims: Primitives) -> np.ndarray:
        target = things[int(rng.integers(len(things)))] if things and rng.random() < 0.7 else (0.0, top_y, 0.0)
        return _aim(rng, prims, target, (0.15, 1.3), (5, 80), margin=0.04, height=(top_y + 0.03, H - 0.1))

    return _scene("tabletop", seed, b, pal, rng, dict(outdoor=False, center=(0.0, top_y, 0.0), half=max(W, D)), pose, 512)


# ---------------------------------------------------------------------------------------------
# figures: people and animals at portrait distance


def _person(rng: np.random.Generator, pal: _Palette, b: PrimitiveBuilder, x: float, z: float, facing: int) -> np.ndarray:
    """A standing person at (x, z) facing +z (facing=1) or -z; returns the head's centre."""
    h = rng.uniform(1.5, 1.95)
    skin = _hsv(rng.uniform(0.03, 0.1), rng.uniform(0.25, 0.6), rng.uniform(0.3, 0.95))
    cloth, trousers = _material(rng, pal), _material(rng, pal)
    skin_m = pal.add(Pattern.FLAT, skin, scale=8.0)
    hair = pal.add(Pattern.MOTTLED, _hsv(rng.uniform(0.02, 0.12), rng.uniform(0.2, 0.7), rng.uniform(0.05, 0.7)),
                   _hsv(0.08, 0.5, 0.2), scale=30.0)
    hw = rng.uniform(0.16, 0.22)
    for s in (-1, 1):  # legs
        b.box([x + s * 0.1 - 0.065, 0, z - 0.07], [x + s * 0.1 + 0.065, 0.47 * h, z + 0.07], up=trousers)
    b.box([x - hw, 0.46 * h, z - 0.11], [x + hw, 0.82 * h, z + 0.11], up=cloth)  # torso
    for s in (-1, 1):  # arms hang at the sides
        b.box([x + s * (hw + 0.055) - 0.05, 0.45 * h, z - 0.05], [x + s * (hw + 0.055) + 0.05, 0.81 * h, z + 0.05], up=cloth)
    b.box([x - 0.05, 0.8 * h, z - 0.05], [x + 0.05, 0.88 * h, z + 0.05], up=skin_m)  # neck
    head = np.array([x, 0.93 * h, z])
    b.ellipsoid(head, [0.08, 0.11, 0.095], skin_m)
    b.ellipsoid(head + [0, 0.03, -facing * 0.015], [0.085, 0.09, 0.09], hair)
    eye_m = pal.add(Pattern.FLAT, _hsv(0.6, 0.3, 0.08), scale=8.0)
    for s in (-1, 1):
        b.ellipsoid(head + [s * 0.033, 0.015, facing * 0.085], [0.012, 0.008, 0.008], eye_m)
    b.ellipsoid(head + [0, -0.015, facing * 0.095], [0.013, 0.025, 0.015], skin_m)  # nose
    return head


def _animal(rng: np.random.Generator, pal: _Palette, b: PrimitiveBuilder, x: float, z: float, facing: int) -> np.ndarray:
    """A four-legged animal (cat to horse size) along z; returns the head's centre."""
    size = rng.choice([0.25, 0.5, 1.0, 1.6]) * rng.uniform(0.8, 1.2)
    fur = pal.add(Pattern.MOTTLED, _any_colour(rng, (0.0, 0.6), (0.1, 0.9)), _any_colour(rng, (0.0, 0.6), (0.1, 0.9)),
                  scale=rng.uniform(3.0, 15.0) / size)
    leg = 0.45 * size
    body = np.array([x, leg + 0.25 * size, z])
    b.ellipsoid(body, [0.22 * size, 0.25 * size, 0.5 * size], fur)
    for sx in (-1, 1):
        for sz in (-1, 1):
            b.box([x + sx * 0.12 * size - 0.04 * size, 0, z + sz * 0.32 * size - 0.04 * size],
                  [x + sx * 0.12 * size + 0.04 * size, leg + 0.1 * size, z + sz * 0.32 * size + 0.04 * size], up=fur)
    head = body + [0, 0.3 * size, facing * 0.55 * size]
    b.ellipsoid(head, [0.17 * size, 0.15 * size, 0.17 * size], fur)
    eye_m = pal.add(Pattern.FLAT, _hsv(rng.uniform(0.1, 0.35), 0.7, 0.3), scale=8.0)
    for s in (-1, 1):
        b.ellipsoid(head + [s * 0.1 * size, 0.1 * size, 0.02 * size], [0.05 * size, 0.09 * size, 0.03 * size], fur)  # ears
        b.ellipsoid(head + [s * 0.06 * size, 0.03 * size, facing * 0.15 * size], [0.025 * size] * 3, eye_m)
    b.ellipsoid(head + [0, -0.04 * size, facing * 0.15 * size], [0.06 * size, 0.05 * size, 0.05 * size], fur)  # muzzle
    return head


def _figures(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    indoor = rng.random() < 0.5
    if indoor:
        W, D, H = rng.uniform(3.0, 9.0), rng.uniform(4.0, 10.0), rng.uniform(2.5, 4.0)
        _room(rng, pal, b, [-W / 2, 0, -D / 2], [W / 2, H, D / 2])
        spread = (W / 2 - 0.6, D / 2 - 0.6)
    else:
        b.plane(0.0, _material(rng, pal, _any_colour(rng, (0.1, 0.6), (0.3, 0.7))))
        spread = (4.0, 4.0)
        for _ in range(int(rng.integers(0, 8))):  # trees, walls and houses behind
            c = rng.uniform(-60, 60, 2)
            if np.linalg.norm(c) < 8:
                continue
            h = rng.uniform(2, 12)
            w = rng.uniform(1, 10)
            b.box([c[0] - w / 2, 0, c[1] - w / 2], [c[0] + w / 2, h, c[1] + w / 2], up=_material(rng, pal))
    heads = []
    for k in range(int(rng.integers(1, 4))):
        near = (0.5, 0.3) if k == 0 else (1.0, 1.0)  # the main subject stands near the middle
        x, z = rng.uniform(-spread[0], spread[0]) * near[0], rng.uniform(-spread[1], spread[1]) * near[1]
        facing = 1 if rng.random() < 0.8 else -1
        maker = _person if rng.random() < 0.65 else _animal
        heads.append(maker(rng, pal, b, x, z, facing))
    _floaters(rng, pal, b, [0.0, 1.5, 0.0], 2.0, 0.15, int(rng.integers(0, 3)))

    def pose(prims: Primitives) -> np.ndarray:
        head = heads[0]
        close = rng.random() < 0.5  # a face filling the frame, or a figure in its surroundings
        target = head if close else head * [1, rng.uniform(0.4, 1.0), 1]
        dist = (0.35, 1.2) if close else (1.2, 6.0)
        return _aim(rng, prims, target, dist, (-20, 35), margin=0.1, yaw=(-1.0, 1.0))

    return _scene("figures", seed, b, pal, rng, dict(outdoor=not indoor, center=(0.0, 1.0, 0.0), half=30.0), pose, 768)


# ---------------------------------------------------------------------------------------------
# vehicles and machines, from a few metres to a launch pad seen from hundreds of metres


def _car(rng: np.random.Generator, pal: _Palette, b: PrimitiveBuilder, x: float, z: float, along_z: bool, scale: float) -> None:
    paint = pal.add(Pattern.FLAT, _any_colour(rng, (0.0, 0.9), (0.15, 0.95)), scale=4.0)
    glass = pal.add(Pattern.FLAT, _hsv(0.58, 0.2, rng.uniform(0.1, 0.3)), scale=4.0)
    tyre = pal.add(Pattern.FLAT, _hsv(0.0, 0.0, 0.06), scale=4.0)
    L, Wd, r = 4.3 * scale, 1.8 * min(scale, 1.4), 0.34 * scale

    def box(lo, hi, mat):  # along x -> swap to z
        lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
        if along_z:
            lo, hi = lo[[2, 1, 0]], hi[[2, 1, 0]]
        b.box(lo + [x, 0, z], hi + [x, 0, z], up=mat)

    box([-L / 2, r * 0.8, -Wd / 2], [L / 2, r * 0.8 + 0.65 * scale, Wd / 2], paint)
    cab = rng.uniform(0.25, 0.45) * L
    box([-cab, r * 0.8 + 0.65 * scale, -Wd / 2 + 0.1], [cab * 0.6, r * 0.8 + 1.15 * scale, Wd / 2 - 0.1], glass)
    for sx in (-1, 1):
        for sz in (-1, 1):
            # Wheels turn about the axis across the car.
            c, radii = np.array([sx * L * 0.32, r, sz * (Wd / 2 - 0.05)]), np.array([r, r, 0.12 * scale])
            if along_z:
                c, radii = c[[2, 1, 0]], radii[[2, 1, 0]]
            b.ellipsoid(c + [x, 0, z], radii, tyre)


def _vehicles(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    ground = _material(rng, pal, _any_colour(rng, (0.0, 0.4), (0.2, 0.6)))
    b.plane(0.0, ground)
    tower = rng.random() < 0.3
    for _ in range(int(rng.integers(0, 10))):  # buildings and hangars around
        c = rng.uniform(-150, 150, 2)
        if np.linalg.norm(c) < 15:
            continue
        s = rng.uniform([5, 3, 5], [40, 30, 40])
        b.box([c[0] - s[0] / 2, 0, c[1] - s[2] / 2], [c[0] + s[0] / 2, s[1], c[1] + s[2] / 2], up=_material(rng, pal))
    if tower:  # a rocket or a tank on a pad, next to a service tower
        h, r = rng.uniform(20, 70), rng.uniform(2, 6)
        pad = _material(rng, pal, _hsv(0, 0, rng.uniform(0.4, 0.7)))
        b.box([-3 * r, 0, -3 * r], [3 * r, 2.0, 3 * r], up=pad)
        body = _material(rng, pal, _any_colour(rng, (0.0, 0.3), (0.6, 0.98)))
        b.ellipsoid([0, 2 + h / 2, 0], [r, h / 2, r], body)
        b.box([-r * 0.8, 2, -r * 0.8], [r * 0.8, 2 + h * 0.3, r * 0.8], up=body)
        t = rng.uniform(2, 5)
        b.box([r + 1.5, 0, -t / 2], [r + 1.5 + t, h * rng.uniform(0.8, 1.2), t / 2], up=_material(rng, pal))
        target, dist, fov_el = np.array([0, h * 0.5, 0]), (h * 1.2, min(380.0, h * 8)), (-2, 20)
    else:
        target = np.zeros(3)
        for k in range(int(rng.integers(1, 5))):
            x, z = (0.0, 0.0) if k == 0 else tuple(rng.uniform(-12, 12, 2))
            scale = rng.choice([1.0, 1.0, 1.5, 2.2]) * rng.uniform(0.9, 1.1)  # cars, vans, lorries
            _car(rng, pal, b, x, z, bool(rng.random() < 0.5), scale)
            if k == 0:
                target = np.array([0.0, 0.8 * scale, 0.0])
        for _ in range(int(rng.integers(0, 4))):  # machines: tanks, crates, poles
            c = rng.uniform(-15, 15, 2)
            if np.linalg.norm(c) < 4:
                continue
            r, h = rng.uniform(0.4, 3), rng.uniform(1, 8)
            b.ellipsoid([c[0], h / 2, c[1]], [r, h / 2, r], _material(rng, pal))
        dist, fov_el = (1.5, 14.0), (-5, 40)

    def pose(prims: Primitives) -> np.ndarray:
        return _aim(rng, prims, target, dist, fov_el, margin=0.3)

    return _scene("vehicles", seed, b, pal, rng, dict(outdoor=True, center=(0.0, 0.0, 0.0), half=80.0), pose, 1024)


# ---------------------------------------------------------------------------------------------
# shelves: cluttered interiors


def _shelves(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    W, D, H = rng.uniform(2.5, 7.0), rng.uniform(2.5, 7.0), rng.uniform(2.3, 3.5)
    lo, hi = np.array([-W / 2, 0, -D / 2]), np.array([W / 2, H, D / 2])
    _room(rng, pal, b, lo, hi)
    units = []
    for _ in range(int(rng.integers(2, 7))):  # shelving units against the walls
        wall = int(rng.integers(4))
        along = 0 if wall < 2 else 2
        across = 2 - along
        length, depth, top = rng.uniform(0.6, 2.0), rng.uniform(0.25, 0.5), rng.uniform(1.0, min(H - 0.1, 2.4))
        start = rng.uniform(lo[along], max(lo[along], hi[along] - length))
        wall_pos = lo[across] if wall % 2 == 0 else hi[across] - depth
        frame = _material(rng, pal)
        a_lo, a_hi = np.zeros(3), np.zeros(3)
        a_lo[along], a_hi[along] = start, start + length
        a_lo[across], a_hi[across] = wall_pos, wall_pos + depth
        n = int(rng.integers(2, 6))
        levels = np.linspace(0.05, top, n + 1)
        units.append((a_lo + a_hi) / 2 * [1, 0, 1] + [0, top * rng.uniform(0.3, 0.8), 0])
        for y in levels:
            lo_b, hi_b = a_lo.copy(), a_hi.copy()
            lo_b[1], hi_b[1] = y - 0.02, y
            b.box(lo_b, hi_b, up=frame)
        for y0, y1 in zip(levels, levels[1:]):  # books and jars on each shelf
            p = a_lo[along] + 0.02
            while p < a_hi[along] - 0.05:
                w = rng.uniform(0.02, 0.12)
                hgt = (y1 - y0) * rng.uniform(0.4, 0.9)
                d = depth * rng.uniform(0.5, 0.95)
                lo_k, hi_k = a_lo.copy(), a_hi.copy()
                lo_k[along], hi_k[along] = p, min(p + w, a_hi[along] - 0.01)
                lo_k[1], hi_k[1] = y0, y0 + hgt
                if wall % 2 == 0:
                    hi_k[across] = lo_k[across] + d
                else:
                    lo_k[across] = hi_k[across] - d
                if rng.random() < 0.85:
                    b.box(lo_k, hi_k, up=pal.add(Pattern.FLAT, _any_colour(rng), scale=10.0))
                p += w + (rng.uniform(0.0, 0.2) if rng.random() < 0.2 else 0.003)
    for _ in range(int(rng.integers(3, 12))):  # floor clutter
        c = rng.uniform(lo[[0, 2]] + 0.3, hi[[0, 2]] - 0.3)
        s = rng.uniform([0.2, 0.1, 0.2], [0.9, 1.0, 0.9])
        if rng.random() < 0.7:
            b.box([c[0] - s[0] / 2, 0, c[1] - s[2] / 2], [c[0] + s[0] / 2, s[1], c[1] + s[2] / 2], up=_material(rng, pal))
        else:
            b.ellipsoid([c[0], s[1] / 2, c[1]], s / 2, _material(rng, pal))
    lamp = np.array([rng.uniform(-0.3, 0.3) * W, H - 0.35, rng.uniform(-0.3, 0.3) * D])
    b.ellipsoid(lamp, [0.15, 0.15, 0.15], pal.add(Pattern.EMISSIVE, (1.0, 0.95, 0.8)))

    def pose(prims: Primitives) -> np.ndarray:
        # Mostly at a shelf, from across the room or up close; sometimes anywhere.
        target = units[int(rng.integers(len(units)))] if rng.random() < 0.8 else np.array([0.0, 1.0, 0.0])
        return _aim(rng, prims, target, (0.5, 0.8 * max(W, D)), (-25, 40), margin=0.25, height=(0.4, H - 0.2))

    light = dict(outdoor=False, center=(0.0, 1.0, 0.0), half=max(W, D), lamp_pos=lamp)
    return _scene("shelves", seed, b, pal, rng, light, pose, 512)


# ---------------------------------------------------------------------------------------------
# city blocks at their real scale, from the pavement or a rooftop


def _city(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    asphalt = _hsv(rng.uniform(0.55, 0.65), rng.uniform(0.0, 0.1), rng.uniform(0.18, 0.35))
    b.plane(0.0, pal.add(Pattern.ROAD, asphalt, (0.9, 0.9, 0.88), scale=1.0, param=rng.uniform(3, 8)))
    block, street = rng.uniform(25, 70), rng.uniform(10, 25)
    pitch = block + street
    tallest = rng.choice([20.0, 60.0, 150.0])
    glass = _hsv(rng.uniform(0.5, 0.65), rng.uniform(0.1, 0.4), rng.uniform(0.15, 0.45))
    roof = pal.add(Pattern.MOTTLED, _hsv(0, 0, 0.3), _hsv(0, 0, 0.2), scale=0.5)
    n = int(330 // pitch)
    for i in range(-n, n):
        for j in range(-n, n):
            x0, z0 = i * pitch + street / 2, j * pitch + street / 2
            if math.hypot(x0 + block / 2, z0 + block / 2) + block > 380:
                continue
            parts = int(rng.integers(1, 4))
            cuts = np.sort(rng.uniform(0, block, parts - 1))
            edges = np.concatenate([[0.0], cuts, [block]])
            for a, c in zip(edges, edges[1:]):
                if c - a < 4:
                    continue
                h = rng.uniform(6.0, tallest) * (0.5 if rng.random() < 0.3 else 1.0)
                wall = _any_colour(rng, (0.0, 0.4), (0.35, 0.9))
                mat = pal.add(Pattern.FACADE, wall, glass, scale=rng.uniform(0.3, 1.5), param=rng.uniform(2.8, 4.0))
                b.box([x0 + a, 0, z0], [x0 + c, h, z0 + block], up=roof, side=mat)
    for _ in range(int(rng.integers(0, 10))):  # street furniture and trees along the streets
        s = rng.integers(-n, n) * pitch + rng.uniform(1.5, street - 1.5)
        t = rng.uniform(-300, 300)
        x, z = (s, t) if rng.random() < 0.5 else (t, s)
        if rng.random() < 0.5:
            b.box([x - 0.1, 0, z - 0.1], [x + 0.1, rng.uniform(3, 8), z + 0.1], up=_material(rng, pal))
        else:
            b.ellipsoid([x, rng.uniform(3, 6), z], rng.uniform(1.5, 3.5, 3), _material(rng, pal, _hsv(0.28, 0.6, 0.35)))

    def pose(prims: Primitives) -> np.ndarray:
        high = rng.random() < 0.45
        for _ in range(40):
            # Street level anywhere in a street, or high up: a rooftop, a balcony, a drone.
            s, t = rng.integers(-2, 2) * pitch + rng.uniform(1.0, street - 1.0), rng.uniform(-2 * pitch, 2 * pitch)
            eye = np.array([s, rng.uniform(1.2, 2.0), t] if rng.random() < 0.5 else [t, rng.uniform(1.2, 2.0), s])
            if high:
                eye[1] = rng.uniform(10.0, min(120.0, tallest * 1.2 + 10))
            if _clear(prims, eye, 1.0):
                break
        yaw = rng.uniform(0, 2 * math.pi)
        pitch_deg = rng.uniform(-50, 5) if high else rng.uniform(-10, 35)
        p = math.radians(pitch_deg)
        return look_at(eye, eye + np.array([math.sin(yaw) * math.cos(p), math.sin(p), math.cos(yaw) * math.cos(p)]))

    return _scene("city", seed, b, pal, rng, dict(outdoor=True, center=(0.0, 0.0, 0.0), half=150.0), pose, 1024)


# ---------------------------------------------------------------------------------------------
# landscapes: distant mountains, lakes and shores


def _landscape(rng: np.random.Generator, seed: int) -> Scene:
    pal, b = _Palette(), PrimitiveBuilder()
    water = rng.random() < 0.6
    land_c = _hsv(rng.uniform(0.08, 0.33), rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7))
    land = pal.add(Pattern.MOTTLED, land_c, _jitter(rng, land_c, 0.4), scale=rng.uniform(0.05, 0.4))
    if water:
        b.plane(0.0, pal.add(Pattern.MOTTLED, _hsv(rng.uniform(0.5, 0.6), rng.uniform(0.3, 0.7), rng.uniform(0.2, 0.5)),
                             _hsv(rng.uniform(0.5, 0.6), 0.3, rng.uniform(0.5, 0.8)), scale=rng.uniform(0.2, 2.0)))
        # The shore the camera stands on, and islands.
        b.ellipsoid([0, -rng.uniform(2, 6), rng.uniform(10, 30)], [rng.uniform(30, 80), 8.0, 30.0], land)
        for _ in range(int(rng.integers(0, 4))):
            ang, d = rng.uniform(0, 2 * math.pi), rng.uniform(40, 200)
            r = rng.uniform(5, 40)
            b.ellipsoid([math.sin(ang) * d, -r * 0.3, math.cos(ang) * d], [r, r * rng.uniform(0.3, 0.8), r], land)
    else:
        b.plane(0.0, land)
    rock_c = _hsv(rng.uniform(0.05, 0.65), rng.uniform(0.0, 0.3), rng.uniform(0.3, 0.6))
    rock = pal.add(Pattern.MOTTLED, rock_c, _jitter(rng, rock_c, 0.5), scale=rng.uniform(0.02, 0.1))
    snow = pal.add(Pattern.MOTTLED, (0.92, 0.93, 0.96), (0.75, 0.78, 0.85), scale=0.05)
    for _ in range(int(rng.integers(2, 8))):  # mountains, well inside the 500 m sky dome
        ang = rng.uniform(0, 2 * math.pi)
        r = np.array([rng.uniform(40, 130), rng.uniform(40, 200), rng.uniform(40, 130)])
        d = rng.uniform(120, 400 - r[[0, 2]].max())
        c = np.array([math.sin(ang) * d, -r[1] * rng.uniform(0.1, 0.4), math.cos(ang) * d])
        b.ellipsoid(c, r, rock)
        if rng.random() < 0.5:  # a snow cap
            cap = r * [0.45, 0.3, 0.45]
            b.ellipsoid(c + [0, r[1] - cap[1] * 0.9, 0], cap, snow)
    leaves = pal.add(Pattern.MOTTLED, _hsv(rng.uniform(0.2, 0.36), 0.6, 0.35), _hsv(0.25, 0.6, 0.2), scale=3.0)
    bark = pal.add(Pattern.WOOD, _hsv(0.07, 0.5, 0.35), _hsv(0.06, 0.6, 0.18), scale=3.0, param=0.5)
    for _ in range(int(rng.integers(0, 25))):
        ang, d = rng.uniform(0, 2 * math.pi), rng.uniform(5, 100)
        x, z = math.sin(ang) * d, math.cos(ang) * d
        ground = 0.0
        h, cr = rng.uniform(2, 6), rng.uniform(0.8, 3)
        b.box([x - 0.15, ground - 2, z - 0.15], [x + 0.15, ground + h, z + 0.15], up=bark)
        b.ellipsoid([x, ground + h + cr * 0.5, z], [cr, cr * rng.uniform(1, 2), cr], leaves)
    _floaters(rng, pal, b, [0.0, 8.0, 0.0], 30.0, 0.5, int(rng.integers(0, 3)))

    def pose(prims: Primitives) -> np.ndarray:
        for _ in range(40):
            eye = np.array([rng.uniform(-5, 5), rng.choice([rng.uniform(1.2, 3.0), rng.uniform(3.0, 40.0)]), rng.uniform(-5, 5)])
            if _clear(prims, eye, 0.5) and eye[1] > 0.5:
                break
        # Stand on whatever is below (a shore rises above the water).
        t, _ = intersect(prims, torch.tensor(eye, dtype=torch.float32)[None], torch.tensor([[0.0, -1.0, 0.0]]))
        if float(t[0]) < eye[1] and eye[1] < 3.0:
            eye[1] += 1.6 - float(t[0])
        yaw, p = rng.uniform(0, 2 * math.pi), math.radians(rng.uniform(-30, 8))
        return look_at(eye, eye + np.array([math.sin(yaw) * math.cos(p), math.sin(p), math.cos(yaw) * math.cos(p)]))

    return _scene("landscape", seed, b, pal, rng, dict(outdoor=True, center=(0.0, 0.0, 0.0), half=120.0), pose, 1024)


_BUILDERS: dict[str, Callable[[np.random.Generator, int], Scene]] = {
    "tabletop": _tabletop, "figures": _figures, "vehicles": _vehicles,
    "shelves": _shelves, "city": _city, "landscape": _landscape,
}
