"""Scene families: rooms with furniture, open terrain, streets. Everything about a scene (layout,
palette, texture scales, sun) is drawn from one seeded generator, so a (family, seed) pair is
the whole description of a scene.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass, field

import numpy as np
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.camera import look_at
from gwm_engine.scenes.primitives import PrimitiveBuilder, Primitives, intersect
from gwm_engine.scenes.render import Lighting, Scene
from gwm_engine.scenes.textures import Material, MaterialTable, Pattern

FAMILIES = ("indoor", "outdoor", "street")  # walkable: the trajectory families
# Families made for seed views (scenes/seed_families.py): close-ups, figures, vehicles, shelves,
# cities, landscapes. Listed here so make_scene knows every name without importing them.
SEED_FAMILIES = ("tabletop", "figures", "vehicles", "shelves", "city", "landscape")
ALL_FAMILIES = FAMILIES + SEED_FAMILIES
EYE_HEIGHT = 1.6

Range = tuple[float, float]


@dataclass(frozen=True)
class IndoorConfig:
    width: Range = (3.5, 8.0)  # room size along x, metres
    depth: Range = (4.0, 9.0)  # along z
    height: Range = (2.5, 3.4)
    furniture: tuple[int, int] = (5, 10)  # pieces, inclusive range
    shadow_resolution: int = 512


@dataclass(frozen=True)
class OutdoorConfig:
    hills: tuple[int, int] = (3, 6)
    rocks: tuple[int, int] = (6, 16)
    trees: tuple[int, int] = (4, 12)
    shadow_half_size: float = 40.0  # shadows are drawn within this distance of the origin
    shadow_resolution: int = 1024


@dataclass(frozen=True)
class StreetConfig:
    width: Range = (3.0, 12.0)  # building to building below 5 m: an alley without sidewalks
    length: float = 100.0  # of the built-up part, centred on the origin along z
    cars: tuple[int, int] = (0, 4)
    lamps: tuple[int, int] = (2, 4)
    shadow_half_size: float = 55.0
    shadow_resolution: int = 1024


@dataclass(frozen=True)
class SceneConfig:
    indoor: IndoorConfig = field(default_factory=IndoorConfig)
    outdoor: OutdoorConfig = field(default_factory=OutdoorConfig)
    street: StreetConfig = field(default_factory=StreetConfig)


def make_scene(family: str, seed: int = 0, config: SceneConfig | None = None) -> Scene:
    """The scene of `family` (one of ALL_FAMILIES) for `seed`; equal arguments give equal scenes."""
    if family not in ALL_FAMILIES:
        raise InvalidInput(f"unknown scene family {family!r}; expected one of {ALL_FAMILIES}")
    config = config or SceneConfig()
    rng = np.random.default_rng([ALL_FAMILIES.index(family), int(seed)])
    if family in SEED_FAMILIES:
        from gwm_engine.scenes.seed_families import build_seed_family  # it builds on this module's helpers

        return build_seed_family(family, rng, int(seed))
    build = {"indoor": _indoor, "outdoor": _outdoor, "street": _street}[family]
    return build(rng, int(seed), getattr(config, family))


class _Palette:
    """Materials as they are defined; `add` returns the id a primitive refers to."""

    def __init__(self) -> None:
        self.materials: list[Material] = []

    def add(self, pattern: Pattern, a, b=(0.0, 0.0, 0.0), scale: float = 1.0, param: float = 1.0) -> int:
        self.materials.append(Material(pattern, tuple(map(float, a)), tuple(map(float, b)), scale, param))
        return len(self.materials) - 1

    def table(self, rng: np.random.Generator) -> MaterialTable:
        return MaterialTable.build(self.materials, torch.Generator().manual_seed(int(rng.integers(2**31))))


def _hsv(h: float, s: float, v: float) -> tuple[float, float, float]:
    return colorsys.hsv_to_rgb(h % 1.0, min(max(s, 0.0), 1.0), min(max(v, 0.0), 1.0))


def _jitter(rng: np.random.Generator, rgb, amount: float = 0.08) -> tuple[float, float, float]:
    return tuple(np.clip(np.asarray(rgb) * (1 + rng.uniform(-amount, amount, 3)), 0, 1))


def _sun(rng: np.random.Generator, elevation: Range) -> tuple[float, float, float]:
    el, az = math.radians(rng.uniform(*elevation)), rng.uniform(0, 2 * math.pi)
    return (math.cos(el) * math.sin(az), math.sin(el), math.cos(el) * math.cos(az))


def _sky(rng: np.random.Generator, palette: _Palette, sun_elevation: float) -> tuple[int, tuple]:
    """A sky material; low suns get warm horizons. Returns (material id, horizon colour)."""
    warm = max(0.0, 1 - sun_elevation / 25.0) * rng.uniform(0.5, 1.0)
    horizon = np.array(_hsv(rng.uniform(0.53, 0.6), rng.uniform(0.1, 0.3), rng.uniform(0.8, 0.95)))
    horizon = horizon * (1 - warm) + np.array([1.0, 0.65, 0.4]) * warm
    zenith = _hsv(rng.uniform(0.55, 0.65), rng.uniform(0.45, 0.8), rng.uniform(0.55, 0.85))
    return palette.add(Pattern.SKY, horizon, zenith), tuple(horizon)


def _spawn_yaw_pose(prims: Primitives, eye: np.ndarray, rng: np.random.Generator, far_enough: float) -> np.ndarray:
    """Level pose at `eye` facing, among 16 headings, a random one with at least `far_enough`
    metres (or, failing that, the most) of free space ahead at eye and knee height."""
    yaws = np.arange(16) * (2 * math.pi / 16)
    dirs = np.stack([-np.sin(yaws), np.zeros(16), -np.cos(yaws)], axis=1)
    free = np.full(16, np.inf)
    for height in (eye[1], 0.5):
        o = torch.tensor([[eye[0], height, eye[2]]], dtype=torch.float32)
        t, _ = intersect(prims, o, torch.tensor(dirs, dtype=torch.float32))
        free = np.minimum(free, t.numpy())
    ok = np.flatnonzero(free >= min(far_enough, free.max()))
    d = dirs[rng.choice(ok)]
    return look_at(eye, eye + d)


# ---------------------------------------------------------------------------------------------
# indoor


def _room_materials(rng: np.random.Generator, pal: _Palette) -> tuple[int, int, int]:
    """(floor, walls, ceiling) materials of a room."""
    wall_hue = rng.uniform(0, 1)
    wall = rng.choice(["plaster", "brick", "panel", "flat"], p=[0.4, 0.2, 0.15, 0.25])
    wall_rgb = _hsv(wall_hue, rng.uniform(0.05, 0.35), rng.uniform(0.65, 0.95))
    if wall == "brick":
        wall_mat = pal.add(Pattern.BRICK, _hsv(rng.uniform(0.0, 0.08), rng.uniform(0.4, 0.7), rng.uniform(0.5, 0.8)),
                           _hsv(0.1, 0.1, rng.uniform(0.6, 0.85)), scale=3.0, param=rng.uniform(0.08, 0.14))
    elif wall == "panel":
        wall_mat = pal.add(Pattern.WOOD, _hsv(rng.uniform(0.06, 0.12), 0.45, 0.75), _hsv(0.07, 0.6, 0.45),
                           scale=rng.uniform(0.6, 1.2), param=rng.uniform(0.1, 0.25))
    elif wall == "plaster":
        wall_mat = pal.add(Pattern.MOTTLED, wall_rgb, _jitter(rng, wall_rgb, 0.2), scale=rng.uniform(0.8, 3.0))
    else:
        wall_mat = pal.add(Pattern.FLAT, wall_rgb, scale=rng.uniform(1.0, 4.0))
    floor = rng.choice(["wood", "tiles", "carpet"], p=[0.45, 0.35, 0.2])
    if floor == "wood":
        light = _hsv(rng.uniform(0.05, 0.11), rng.uniform(0.35, 0.6), rng.uniform(0.55, 0.85))
        floor_mat = pal.add(Pattern.WOOD, light, _hsv(rng.uniform(0.04, 0.09), 0.6, rng.uniform(0.3, 0.5)),
                            scale=rng.uniform(0.7, 1.5), param=rng.uniform(0.1, 0.22))
    elif floor == "tiles":
        a = _hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.3), rng.uniform(0.5, 0.95))
        b = a if rng.random() < 0.5 else _hsv(rng.uniform(0, 1), rng.uniform(0.0, 0.3), rng.uniform(0.1, 0.5))
        floor_mat = pal.add(Pattern.TILES, a, b, scale=4.0, param=rng.uniform(0.25, 0.6))
    else:
        c = _hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.6), rng.uniform(0.3, 0.7))
        floor_mat = pal.add(Pattern.MOTTLED, c, _jitter(rng, c, 0.3), scale=rng.uniform(1.5, 4.0))
    ceiling_mat = pal.add(Pattern.FLAT, _hsv(wall_hue, 0.05, rng.uniform(0.8, 0.95)), scale=2.0)
    return floor_mat, wall_mat, ceiling_mat


class _FloorPlan:
    """Non-overlapping furniture footprints (x, z rectangles) in a room, kept clear of a disc
    around the spawn point."""

    def __init__(self, rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray, spawn_xz: np.ndarray) -> None:
        self.rng, self.lo, self.hi, self.spawn_xz = rng, lo, hi, spawn_xz
        self.taken: list[tuple[np.ndarray, np.ndarray]] = []

    def _free(self, fmin: np.ndarray, fmax: np.ndarray) -> bool:
        if np.linalg.norm(np.clip(self.spawn_xz, fmin, fmax) - self.spawn_xz) < 1.0:
            return False
        return all(np.any(fmax + 0.1 < o_min) or np.any(o_max + 0.1 < fmin) for o_min, o_max in self.taken)

    def place(self, size_xz, against_wall: bool) -> tuple[np.ndarray, np.ndarray] | None:
        """(min xz, max xz) of a free spot for a footprint of `size_xz` (either orientation),
        flush against a wall if asked; None if 30 tries found none."""
        for _ in range(30):
            size = np.asarray(size_xz) if self.rng.random() < 0.5 else np.asarray(size_xz)[::-1]
            if np.any(size > self.hi - self.lo - 0.2):
                continue
            c = self.rng.uniform(self.lo + size / 2 + 0.05, self.hi - size / 2 - 0.05)
            if against_wall:
                ax = int(self.rng.integers(2))
                c[ax] = (self.lo[ax] + size[ax] / 2) if c[ax] < 0 else (self.hi[ax] - size[ax] / 2)
            fmin, fmax = c - size / 2, c + size / 2
            if self._free(fmin, fmax):
                self.taken.append((fmin, fmax))
                return fmin, fmax
        return None


def _indoor(rng: np.random.Generator, seed: int, cfg: IndoorConfig) -> Scene:
    pal = _Palette()
    W, D, H = rng.uniform(*cfg.width), rng.uniform(*cfg.depth), rng.uniform(*cfg.height)
    lo, hi = np.array([-W / 2, 0, -D / 2]), np.array([W / 2, H, D / 2])
    floor_mat, wall_mat, ceiling_mat = _room_materials(rng, pal)
    b = PrimitiveBuilder()
    b.box(lo, hi, up=floor_mat, side=wall_mat, down=ceiling_mat, shell=True)

    # Stand near one end of the room's long axis, so the view takes in most of the room.
    long_ax = 0 if W > D else 1
    half = np.array([W, D]) / 2
    spawn_xz = np.zeros(2)
    spawn_xz[long_ax] = rng.choice([-1, 1]) * (half[long_ax] - rng.uniform(1.0, 1.4))
    spawn_xz[1 - long_ax] = rng.uniform(-1, 1) * max(0.0, half[1 - long_ax] - 1.3)
    plan = _FloorPlan(rng, -half, half, spawn_xz)

    def wood_or_paint() -> int:
        if rng.random() < 0.5:
            return pal.add(Pattern.WOOD, _hsv(rng.uniform(0.05, 0.12), rng.uniform(0.3, 0.6), rng.uniform(0.45, 0.85)),
                           _hsv(rng.uniform(0.04, 0.1), 0.6, rng.uniform(0.2, 0.45)),
                           scale=rng.uniform(0.8, 2.0), param=rng.uniform(0.15, 0.6))
        c = _hsv(rng.uniform(0, 1), rng.uniform(0.1, 0.8), rng.uniform(0.25, 0.95))
        return pal.add(Pattern.FLAT, c, scale=rng.uniform(2.0, 6.0))

    # A rug first: it lies under other furniture, so it does not claim floor space.
    if rng.random() < 0.6:
        size = rng.uniform([1.2, 1.0], [min(3.0, W - 0.6), min(2.4, D - 0.6)])
        c = rng.uniform(-0.3, 0.3, 2)
        c1 = _hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8))
        c2 = _hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.8), rng.uniform(0.3, 0.8))
        rug = pal.add(Pattern.TILES, c1, c2, scale=6.0, param=rng.uniform(0.15, 0.4))
        b.box([c[0] - size[0] / 2, 0, c[1] - size[1] / 2], [c[0] + size[0] / 2, 0.012, c[1] + size[1] / 2], up=rug)

    n_items = int(rng.integers(cfg.furniture[0], cfg.furniture[1] + 1))
    kinds = rng.choice(["cabinet", "bed", "table", "crate", "shelf"], size=n_items, p=[0.25, 0.15, 0.25, 0.2, 0.15])
    for kind in kinds:
        mat = wood_or_paint()
        if kind == "cabinet":
            spot = plan.place(rng.uniform([0.5, 0.35], [1.6, 0.6]), against_wall=True)
            if spot:
                b.box([spot[0][0], 0, spot[0][1]], [spot[1][0], rng.uniform(0.7, 1.3), spot[1][1]], up=mat)
        elif kind == "shelf":
            spot = plan.place(rng.uniform([0.6, 0.3], [1.4, 0.45]), against_wall=True)
            if spot:
                top_y = min(H - 0.3, rng.uniform(1.6, 2.2))
                b.box([spot[0][0], 0, spot[0][1]], [spot[1][0], top_y, spot[1][1]], up=mat)
        elif kind == "bed":
            spot = plan.place(rng.uniform([1.4, 1.9], [2.0, 2.2]), against_wall=True)
            if spot:
                cover = _hsv(rng.uniform(0, 1), rng.uniform(0.2, 0.7), rng.uniform(0.5, 0.95))
                top = pal.add(Pattern.MOTTLED, cover, _jitter(rng, cover, 0.25), scale=rng.uniform(2, 6))
                b.box([spot[0][0], 0, spot[0][1]], [spot[1][0], rng.uniform(0.45, 0.65), spot[1][1]], up=top, side=mat)
        elif kind == "crate":
            spot = plan.place(rng.uniform([0.3, 0.3], [0.8, 0.8]), against_wall=rng.random() < 0.5)
            if spot:
                top_y = rng.uniform(0.3, 0.9)
                b.box([spot[0][0], 0, spot[0][1]], [spot[1][0], top_y, spot[1][1]], up=mat)
                if rng.random() < 0.5:  # a ball on the crate
                    r = rng.uniform(0.08, 0.2)
                    ball = pal.add(Pattern.FLAT, _hsv(rng.uniform(0, 1), 0.8, 0.9), scale=3.0)
                    x, z = (spot[0] + spot[1]) / 2
                    b.ellipsoid([x, top_y + r, z], [r, r, r], ball)
        else:  # table: a top on four legs, the space beneath it stays visible
            spot = plan.place(rng.uniform([0.8, 0.6], [1.6, 1.0]), against_wall=False)
            if spot:
                (x0, z0), (x1, z1) = spot
                top_y, leg = rng.uniform(0.7, 0.78), rng.uniform(0.04, 0.07)
                b.box([x0, top_y - 0.04, z0], [x1, top_y, z1], up=mat)
                for x, z in ((x0, z0), (x1 - leg, z0), (x0, z1 - leg), (x1 - leg, z1 - leg)):
                    b.box([x, 0, z], [x + leg, top_y - 0.04, z + leg], up=mat)

    # Openings: a door and maybe a bright window, a few centimetres proud of the walls.
    door = wood_or_paint()
    dw = 0.9
    dx = rng.uniform(-W / 2 + 0.2, W / 2 - 0.2 - dw)
    b.box([dx, 0, lo[2]], [dx + dw, 2.05, lo[2] + 0.03], up=door)
    if rng.random() < 0.7:
        glow = pal.add(Pattern.EMISSIVE, _hsv(rng.uniform(0.5, 0.6), rng.uniform(0.05, 0.3), 1.0))
        ww, wz = rng.uniform(0.8, min(2.0, D - 1.0)), rng.uniform(-D / 2 + 0.3, D / 2 - 2.3)
        side = hi[0] - 0.03 if rng.random() < 0.5 else lo[0]
        b.box([side, 0.9, wz], [side + 0.03, min(H - 0.3, 2.1), wz + ww], up=glow)

    # Pictures: thin colourful panels on the side walls.
    for _ in range(int(rng.integers(0, 4))):
        pw, ph = rng.uniform(0.4, 1.2), rng.uniform(0.3, 0.9)
        c1 = _hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9))
        art = pal.add(Pattern.MOTTLED, c1, _hsv(rng.uniform(0, 1), rng.uniform(0.3, 0.9), rng.uniform(0.3, 0.9)),
                      scale=rng.uniform(2.0, 8.0))
        py, pz = rng.uniform(1.2, min(H - 0.2 - ph, 1.8)), rng.uniform(-D / 2 + 0.3, D / 2 - 0.3 - pw)
        x = lo[0] if rng.random() < 0.5 else hi[0] - 0.02
        b.box([x, py, pz], [x + 0.02, py + ph, pz + pw], up=art, side=art)

    lamp_pos = np.array([rng.uniform(-0.3, 0.3) * W, H - 0.25, rng.uniform(-0.3, 0.3) * D])
    b.ellipsoid(lamp_pos, [0.15, 0.15, 0.15], pal.add(Pattern.EMISSIVE, (1.0, 0.95, 0.8)))
    prims = b.build()

    warm = np.array(_hsv(rng.uniform(0.06, 0.14), rng.uniform(0.1, 0.45), 1.0))
    light = Lighting(
        sun_dir=_sun(rng, (35, 65)),
        sun=tuple(warm * rng.uniform(0.3, 0.55)),
        ambient_up=tuple(np.array(_hsv(rng.uniform(0, 1), rng.uniform(0, 0.15), 1.0)) * rng.uniform(0.45, 0.6)),
        ambient_down=tuple(np.full(3, rng.uniform(0.35, 0.5))),  # light bouncing off the floor
        shadow_center=tuple((lo + hi) / 2),
        shadow_half_size=float(np.linalg.norm(hi - lo) / 2 + 0.5),
        lamp_pos=tuple(lamp_pos),
        lamp=tuple(warm * rng.uniform(0.25, 0.5)),
        lamp_range=rng.uniform(2.0, 3.5),
    )
    sky, _ = _sky(rng, pal, 45.0)  # seen only from outside the room
    eye = np.array([spawn_xz[0], EYE_HEIGHT, spawn_xz[1]])
    spawn = _spawn_yaw_pose(prims, eye, rng, far_enough=0.6 * max(W, D))
    return Scene("indoor", seed, prims, pal.table(rng), sky, light, spawn, cfg.shadow_resolution)


# ---------------------------------------------------------------------------------------------
# outdoor


def _outdoor(rng: np.random.Generator, seed: int, cfg: OutdoorConfig) -> Scene:
    pal = _Palette()
    biome = rng.choice(["grass", "dry", "snow", "sand"], p=[0.45, 0.25, 0.15, 0.15])
    ground_a, ground_b = {
        "grass": (_hsv(rng.uniform(0.2, 0.3), rng.uniform(0.4, 0.7), rng.uniform(0.35, 0.6)),
                  _hsv(rng.uniform(0.12, 0.2), rng.uniform(0.4, 0.7), rng.uniform(0.4, 0.65))),
        "dry": (_hsv(rng.uniform(0.07, 0.12), rng.uniform(0.3, 0.5), rng.uniform(0.5, 0.7)),
                _hsv(rng.uniform(0.05, 0.09), rng.uniform(0.4, 0.6), rng.uniform(0.3, 0.5))),
        "snow": (_hsv(0.6, rng.uniform(0.0, 0.08), rng.uniform(0.85, 0.97)),
                 _hsv(0.6, rng.uniform(0.05, 0.2), rng.uniform(0.6, 0.8))),
        "sand": (_hsv(rng.uniform(0.09, 0.13), rng.uniform(0.25, 0.45), rng.uniform(0.75, 0.9)),
                 _hsv(rng.uniform(0.06, 0.1), rng.uniform(0.35, 0.55), rng.uniform(0.55, 0.75))),
    }[biome]
    terrain_scale = rng.uniform(0.08, 0.3)
    ground = pal.add(Pattern.MOTTLED, ground_a, ground_b, scale=terrain_scale)
    hill_mat = pal.add(Pattern.MOTTLED, _jitter(rng, ground_a), _jitter(rng, ground_b), scale=terrain_scale)
    rock_rgb = _hsv(rng.uniform(0.05, 0.12), rng.uniform(0.0, 0.25), rng.uniform(0.35, 0.6))
    rock = pal.add(Pattern.MOTTLED, rock_rgb, _jitter(rng, rock_rgb, 0.35), scale=rng.uniform(1.0, 3.0))
    bark = pal.add(Pattern.WOOD, _hsv(0.07, 0.5, rng.uniform(0.3, 0.45)), _hsv(0.06, 0.6, 0.18),
                   scale=rng.uniform(2.0, 4.0), param=0.5)
    leaf_rgb = _hsv(rng.uniform(0.2, 0.36), rng.uniform(0.5, 0.8), rng.uniform(0.25, 0.5))
    leaves = pal.add(Pattern.MOTTLED, leaf_rgb, _jitter(rng, leaf_rgb, 0.4), scale=rng.uniform(2.0, 5.0))

    b = PrimitiveBuilder()
    b.plane(0.0, ground)
    spawn_clear = 3.0

    def footprint_ok(center_xz: np.ndarray, radius: float, clear: float) -> bool:
        return np.linalg.norm(center_xz) - radius > clear

    for _ in range(int(rng.integers(cfg.hills[0], cfg.hills[1] + 1))):
        for _try in range(20):
            r = np.array([rng.uniform(15, 60), rng.uniform(5, 25), rng.uniform(15, 60)])
            cy = -r[1] * rng.uniform(0.2, 0.7)
            reach = r[[0, 2]].max() * math.sqrt(1 - (cy / r[1]) ** 2)  # footprint radius at y = 0
            ang, dist = rng.uniform(0, 2 * math.pi), rng.uniform(10, 120)
            c = np.array([math.sin(ang), math.cos(ang)]) * (dist + reach)
            if footprint_ok(c, reach, 12.0):
                b.ellipsoid([c[0], cy, c[1]], r, hill_mat)
                break
    for _ in range(int(rng.integers(cfg.rocks[0], cfg.rocks[1] + 1))):
        r = np.array([rng.uniform(0.3, 2.2), rng.uniform(0.2, 1.4), rng.uniform(0.3, 2.2)])
        ang, dist = rng.uniform(0, 2 * math.pi), rng.uniform(3, 30)
        c = np.array([math.sin(ang), math.cos(ang)]) * dist
        if footprint_ok(c, r.max(), spawn_clear):
            b.ellipsoid([c[0], r[1] * rng.uniform(-0.4, 0.2), c[1]], r, rock)
    for _ in range(int(rng.integers(cfg.trees[0], cfg.trees[1] + 1))):
        ang, dist = rng.uniform(0, 2 * math.pi), rng.uniform(4, 40)
        c = np.array([math.sin(ang), math.cos(ang)]) * dist
        trunk_w, trunk_h = rng.uniform(0.2, 0.45), rng.uniform(1.5, 3.5)
        crown = np.array([rng.uniform(1.0, 2.5), rng.uniform(1.2, 3.0), 0.0])
        crown[2] = crown[0] * rng.uniform(0.8, 1.25)
        if not footprint_ok(c, crown.max(), spawn_clear):
            continue
        x0, z0, x1, z1 = c[0] - trunk_w / 2, c[1] - trunk_w / 2, c[0] + trunk_w / 2, c[1] + trunk_w / 2
        b.box([x0, 0, z0], [x1, trunk_h + crown[1] * 0.3, z1], up=bark)
        b.ellipsoid([c[0], trunk_h + crown[1] * 0.6, c[1]], crown, leaves)
    prims = b.build()

    sun = _sun(rng, (12, 70))
    sky, horizon = _sky(rng, pal, math.degrees(math.asin(sun[1])))
    sun_rgb = np.array(_hsv(rng.uniform(0.08, 0.13), max(0.0, 0.5 - sun[1] * 0.5), 1.0)) * rng.uniform(0.65, 0.95)
    light = Lighting(
        sun_dir=sun,
        sun=tuple(sun_rgb),
        ambient_up=tuple(np.array(_hsv(rng.uniform(0.55, 0.62), rng.uniform(0.1, 0.35), 1.0)) * rng.uniform(0.35, 0.5)),
        ambient_down=tuple(np.asarray(ground_a) * 0.35),
        shadow_center=(0.0, 0.0, 0.0),
        shadow_half_size=cfg.shadow_half_size,
        haze=horizon,
    )
    spawn = _spawn_yaw_pose(prims, np.array([0.0, EYE_HEIGHT, 0.0]), rng, far_enough=8.0)
    return Scene("outdoor", seed, prims, pal.table(rng), sky, light, spawn, cfg.shadow_resolution)


# ---------------------------------------------------------------------------------------------
# street


def _street(rng: np.random.Generator, seed: int, cfg: StreetConfig) -> Scene:
    pal = _Palette()
    width = rng.uniform(*cfg.width)
    alley = width < 5.0
    walk = 0.0 if alley else rng.uniform(1.5, 3.0)  # sidewalk width
    half_road = width / 2
    half_street = half_road + walk
    L = cfg.length / 2

    if alley:
        c = _hsv(rng.uniform(0.05, 0.12), rng.uniform(0.05, 0.3), rng.uniform(0.35, 0.6))
        ground = pal.add(Pattern.TILES, c, _jitter(rng, c, 0.2), scale=5.0, param=rng.uniform(0.15, 0.3))
    else:
        asphalt = _hsv(rng.uniform(0.55, 0.65), rng.uniform(0.0, 0.1), rng.uniform(0.18, 0.32))
        paint = (0.9, 0.9, 0.88) if rng.random() < 0.6 else (0.9, 0.75, 0.2)
        ground = pal.add(Pattern.ROAD, asphalt, paint, scale=rng.uniform(0.5, 1.5), param=half_road - 0.3)

    b = PrimitiveBuilder()
    b.plane(0.0, ground)
    if not alley:
        paving = _hsv(rng.uniform(0.0, 1.0), rng.uniform(0.0, 0.15), rng.uniform(0.45, 0.75))
        pave = pal.add(Pattern.TILES, paving, _jitter(rng, paving, 0.15), scale=4.0, param=rng.uniform(0.3, 0.6))
        curb = pal.add(Pattern.FLAT, _hsv(0.0, 0.0, rng.uniform(0.5, 0.7)), scale=3.0)
        for s in (-1, 1):
            x0, x1 = sorted((s * half_road, s * half_street))
            b.box([x0, 0, -L - 40], [x1, 0.15, L + 40], up=pave, side=curb)

    roof = pal.add(Pattern.MOTTLED, _hsv(0.0, 0.0, rng.uniform(0.2, 0.4)), _hsv(0.0, 0.0, 0.15), scale=1.0)
    glass = _hsv(rng.uniform(0.5, 0.65), rng.uniform(0.1, 0.4), rng.uniform(0.15, 0.35))
    base_hue = rng.uniform(0, 1)
    max_height = 14.0 if alley else 28.0
    for s in (-1, 1):
        z = -L
        while z < L:
            w = rng.uniform(6, 16)
            setback = rng.uniform(0, 1.2) if rng.random() < 0.3 else 0.0
            h = rng.uniform(5.0, max_height)
            depth = rng.uniform(6, 12)
            wall = _hsv(base_hue + rng.uniform(-0.1, 0.1), rng.uniform(0.1, 0.5), rng.uniform(0.45, 0.9))
            if rng.random() < 0.25:
                mortar = _hsv(0.1, 0.1, 0.7)
                mat = pal.add(Pattern.BRICK, _jitter(rng, wall), mortar, scale=1.0, param=rng.uniform(0.25, 0.5))
            else:
                mat = pal.add(Pattern.FACADE, wall, glass, scale=rng.uniform(0.5, 2.0), param=rng.uniform(2.8, 3.6))
            x_face = s * (half_street + setback)
            x0, x1 = sorted((x_face, x_face + s * depth))
            b.box([x0, 0, z], [x1, h, min(z + w, L)], up=roof, side=mat)
            z += w

    car_slots = rng.permutation(np.arange(-L + 5, L - 5, 8.0))
    for z in car_slots[: int(rng.integers(cfg.cars[0], cfg.cars[1] + 1))]:
        if alley:
            break
        s = rng.choice([-1, 1])
        paint = pal.add(Pattern.FLAT, _hsv(rng.uniform(0, 1), rng.uniform(0, 0.8), rng.uniform(0.2, 0.9)), scale=2.0)
        x_in, x_out = s * (half_road - 2.1), s * (half_road - 0.3)
        x0, x1 = sorted((x_in, x_out))
        b.box([x0, 0.25, z], [x1, 1.0, z + 4.2], up=paint)
        b.box([x0 + 0.1, 1.0, z + 1.0], [x1 - 0.1, 1.5, z + 3.2], up=paint)
    pole = pal.add(Pattern.FLAT, _hsv(0.0, 0.0, rng.uniform(0.1, 0.3)), scale=3.0)
    bulb = pal.add(Pattern.EMISSIVE, (1.0, 0.95, 0.75))
    for z in rng.uniform(-L, L, int(rng.integers(cfg.lamps[0], cfg.lamps[1] + 1))):
        x = rng.choice([-1, 1]) * (half_street - 0.4)
        top = rng.uniform(3.5, 5.0)
        b.box([x - 0.06, 0, z - 0.06], [x + 0.06, top, z + 0.06], up=pole)
        b.ellipsoid([x, top + 0.15, z], [0.2, 0.2, 0.2], bulb)
    prims = b.build()

    sun = _sun(rng, (25, 75))
    sky, horizon = _sky(rng, pal, math.degrees(math.asin(sun[1])))
    light = Lighting(
        sun_dir=sun,
        sun=tuple(np.array(_hsv(rng.uniform(0.08, 0.13), rng.uniform(0.0, 0.3), 1.0)) * rng.uniform(0.6, 0.9)),
        ambient_up=tuple(np.array(_hsv(rng.uniform(0.55, 0.62), rng.uniform(0.1, 0.3), 1.0)) * rng.uniform(0.4, 0.55)),
        ambient_down=tuple(np.full(3, rng.uniform(0.2, 0.3))),
        shadow_center=(0.0, 0.0, 0.0),
        shadow_half_size=cfg.shadow_half_size,
        haze=horizon,
    )
    # Stand on the centre line (clear of parked cars) and look down the street.
    eye = np.array([0.0, EYE_HEIGHT, L * 0.4])
    heading = -1.0 if rng.random() < 0.8 else 1.0
    spawn = look_at(eye, eye + np.array([rng.uniform(-0.1, 0.1), 0.0, heading]))
    return Scene("street", seed, prims, pal.table(rng), sky, light, spawn, cfg.shadow_resolution)
