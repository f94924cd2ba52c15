"""The Scene: primitives + materials + lights, rendered to exact RGB and z-depth by ray casting.

The image is cut into 8x8-pixel tiles; each solid is projected into each camera (the bounding
box of its corners) to list the tiles it may cover, and each tile's rays are tested only
against its own list. Culling is conservative, so the result equals testing every solid.
Several cameras share one pass (about 2^17 pixels); the passes of a large batch run in
parallel worker threads. The sun casts shadows through one orthographic shadow map per scene,
so shadows, like textures, do not depend on the viewpoint: the world is Lambertian and a
surface point has one colour whatever the camera.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.actions import validate_pose
from gwm_engine.geometry.camera import Intrinsics, pixel_rays
from gwm_engine.scenes.primitives import (
    DOWN,
    SIDE,
    UP,
    Primitives,
    cast,
    clearance,
    intersect,
    normals,
)
from gwm_engine.scenes.textures import UNLIT, MaterialTable, Pattern, albedo, sky_colour

TILE = 8  # pixels per tile side
_SHADE_PIXELS = 1 << 17  # pixels per rendering pass (several cameras at low resolution)
_UNLIT = torch.tensor([p in UNLIT for p in Pattern])


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    """Workers for batches of several passes. Each runs torch single-threaded (the setting is
    per thread under OpenMP): whole passes in parallel scale better on CPU than torch's
    intra-op threads do on these mid-sized tensors, and never wait on each other."""
    return ThreadPoolExecutor(workers, "gwm-scenes", initializer=torch.set_num_threads, initargs=(1,))


def _tile_mask(lo_x, hi_x, lo_y, hi_y, tiles_x: int, tiles_y: int) -> torch.Tensor:
    """(G, N) footprints in pixel units (inclusive, pixel centres at +0.5) -> (G * T, N) mask of
    the tiles each footprint may touch, tiles in row-major order."""
    first = torch.arange(max(tiles_x, tiles_y), dtype=torch.float32) * TILE + 0.5
    last = first + TILE - 1
    in_x = (first[:tiles_x] <= hi_x[..., None]) & (last[:tiles_x] >= lo_x[..., None])  # (G, N, TX)
    in_y = (first[:tiles_y] <= hi_y[..., None]) & (last[:tiles_y] >= lo_y[..., None])  # (G, N, TY)
    mask = in_y[..., :, None] & in_x[..., None, :]  # (G, N, TY, TX)
    return mask.flatten(2).transpose(1, 2).reshape(-1, mask.shape[1])


@dataclass(frozen=True)
class Lighting:
    """A scene's lights. Colours are linear multipliers of the texture colour."""

    sun_dir: tuple[float, float, float]  # unit vector toward the sun (or a window's light)
    sun: tuple[float, float, float]  # its colour x intensity
    ambient_up: tuple[float, float, float]  # ambient light arriving from above (sky)
    ambient_down: tuple[float, float, float]  # ... and from below (ground bounce)
    shadow_center: tuple[float, float, float]  # the shadow map covers this region
    shadow_half_size: float
    lamp_pos: tuple[float, float, float] | None = None  # unshadowed point light (indoor)
    lamp: tuple[float, float, float] = (0.0, 0.0, 0.0)
    lamp_range: float = 3.0  # metres at which the lamp's intensity halves
    haze: tuple[float, float, float] | None = None  # far-field colour, outdoor scenes
    haze_start: float = 60.0  # distances from the world origin, not the camera
    haze_end: float = 450.0


def _vec(values) -> torch.Tensor:
    return torch.tensor(np.asarray(values, dtype=np.float32))


class ShadowMap:
    """Depth of the first sun-casting surface along parallel rays toward the sun."""

    def __init__(self, prims: Primitives, light: Lighting, resolution: int) -> None:
        sun = _vec(light.sun_dir)
        helper = torch.tensor([0.0, 0.0, 1.0]) if abs(float(sun[1])) > 0.9 else torch.tensor([0.0, 1.0, 0.0])
        self.u_axis = torch.nn.functional.normalize(torch.linalg.cross(helper, sun), dim=0)
        self.v_axis = torch.linalg.cross(sun, self.u_axis)
        self.dir = -sun
        self.half = light.shadow_half_size
        self.res = resolution = -(-resolution // TILE) * TILE
        self.texel = 2 * self.half / resolution
        self.origin = _vec(light.shadow_center) + sun * (3 * self.half + 30.0)
        # Texel starting points grouped by tile: (tiles, TILE * TILE, 3).
        g = (torch.arange(resolution, dtype=torch.float32) + 0.5) * self.texel - self.half
        gv, gu = torch.meshgrid(g, g, indexing="ij")
        tiles = resolution // TILE

        def grid(a: torch.Tensor) -> torch.Tensor:
            return a.reshape(tiles, TILE, tiles, TILE).transpose(1, 2).reshape(1, -1, TILE * TILE)

        def axis(v: torch.Tensor) -> torch.Tensor:
            return v.reshape(3, 1, 1)

        starts = axis(self.origin) + grid(gu) * axis(self.u_axis) + grid(gv) * axis(self.v_axis)
        # Footprints of the casters in texel units; shells (rooms) cast no shadow.
        rel = prims.corners() - self.origin
        x = (rel @ self.u_axis + self.half) / self.texel - 0.5
        y = (rel @ self.v_axis + self.half) / self.texel - 0.5
        x, y = x[None], y[None]
        cand = _tile_mask(x.amin(2) - 1, x.amax(2) + 1, y.amin(2) - 1, y.amax(2) + 1, tiles, tiles)
        t, _ = cast(prims, starts, self.dir.reshape(3, 1, 1), cand, backdrop=False)
        depth = t.reshape(tiles, tiles, TILE, TILE).transpose(1, 2).reshape(resolution, resolution)
        self.depth = torch.nn.functional.pad(depth, (1, 1, 1, 1), value=math.inf).reshape(-1)  # lit border

    def lit(self, points: torch.Tensor, normal: torch.Tensor) -> torch.Tensor:
        """Fraction (M,) of each point (3, M) that the sun reaches, bilinearly filtered."""
        # Looking up a point pushed out along its normal keeps lit surfaces from shadowing
        # themselves; the bias along the ray covers what the normal offset leaves.
        s = points + normal * (1.5 * self.texel) - self.origin[:, None]
        t = self.dir @ s - 0.5 * self.texel
        x = ((self.u_axis @ s + self.half) / self.texel + 0.5).clamp_(0, self.res + 0.5)
        y = ((self.v_axis @ s + self.half) / self.texel + 0.5).clamp_(0, self.res + 0.5)
        # Texel coordinates in the bordered map; anything off the map lands on the lit border.
        x0, y0 = torch.floor(x), torch.floor(y)
        i = y0.long() * (self.res + 2) + x0.long()
        fx, fy = x.sub_(x0), y.sub_(y0)

        def lit(index: torch.Tensor) -> torch.Tensor:
            return (t <= self.depth.index_select(0, index)).float()

        top = torch.lerp(lit(i), lit(i + 1), fx)
        i += self.res + 2
        return torch.lerp(top, torch.lerp(lit(i), lit(i + 1), fx), fy)


class Scene:
    """A static procedural scene. Build one with `gwm_engine.scenes.make_scene`."""

    def __init__(
        self,
        family: str,
        seed: int,
        prims: Primitives,
        materials: MaterialTable,
        sky_material: int,
        light: Lighting,
        spawn: np.ndarray,
        shadow_resolution: int = 1024,
    ) -> None:
        self.family, self.seed = family, seed
        self.prims, self.materials, self.sky_material, self.light = prims, materials, sky_material, light
        self._spawn = spawn
        self._shadow_resolution = shadow_resolution
        self._shadow: ShadowMap | None = None  # built on first render: trajectories never need it
        self._corners = prims.corners()
        shells = prims.shell[: prims.n_box].nonzero().squeeze(1)
        self._room = (prims.box_lo[shells[0]], prims.box_hi[shells[0]]) if len(shells) else None

    def spawn_pose(self) -> np.ndarray:
        """A 4x4 world-from-camera pose at eye height in free space, looking along it."""
        return self._spawn.copy()

    def clearance(self, points: np.ndarray | torch.Tensor) -> np.ndarray:
        """Lower bound on the distance (metres) from each (..., 3) point to the nearest solid."""
        pts = torch.as_tensor(np.asarray(points, dtype=np.float32))
        return clearance(self.prims, pts.reshape(-1, 3)).reshape(pts.shape[:-1]).numpy()

    def raycast(self, origin: np.ndarray, dirs: np.ndarray) -> np.ndarray:
        """Distance along each unit direction (N, 3) from one origin to the first surface."""
        o = torch.as_tensor(np.asarray(origin, dtype=np.float32).reshape(1, 3))
        t, _ = intersect(self.prims, o, torch.as_tensor(np.asarray(dirs, dtype=np.float32)))
        return t.numpy()

    def render(
        self, poses: np.ndarray | torch.Tensor, K: Intrinsics, supersample: int = 2
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """RGB (B, H, W, 3) float32 in [0, 1] and z-depth (B, H, W) float32 metres for world-from-
        camera poses (B, 4, 4) or one (4, 4) pose (then the B dimension is dropped). Depth is
        finite for cameras inside the sky dome (500 m around the origin).

        `supersample` s casts s x s rays per pixel for the colour, which is their mean: anti-
        aliased, like a camera (one ray per pixel aliases textures and edges). Depth stays exact:
        it is cast through the pixel centres. supersample=1 is about s^2 + 1 times faster, for
        bulk training data.
        """
        if supersample < 1:
            raise InvalidInput(f"supersample must be >= 1, got {supersample}")
        if supersample > 1:
            s = supersample
            rgb, _ = self.render(poses, K.scaled(K.width * s, K.height * s), supersample=1)
            _, depth = self.render(poses, K, supersample=1)
            return rgb.reshape(*rgb.shape[:-3], K.height, s, K.width, s, 3).mean(dim=(-4, -2)), depth
        p = np.asarray(poses.detach().cpu() if isinstance(poses, torch.Tensor) else poses, dtype=np.float64)
        single = p.ndim == 2
        if p.ndim == 2:
            p = p[None]
        if p.ndim != 3 or p.shape[1:] != (4, 4):
            raise InvalidInput(f"poses must be (4, 4) or (B, 4, 4), got {p.shape}")
        for pose in p:
            validate_pose(pose)
        if self._shadow is None:  # once, before any worker needs it
            self._shadow = ShadowMap(self.prims, self.light, self._shadow_resolution)
        tx, ty = -(-K.width // TILE), -(-K.height // TILE)
        padded = Intrinsics(K.fx, K.fy, K.cx, K.cy, tx * TILE, ty * TILE)  # extra pixels right/bottom
        tile_rays = pixel_rays(padded).reshape(ty, TILE, tx, TILE, 3).transpose(1, 2).reshape(-1, TILE * TILE, 3)
        rgb = torch.empty(len(p), ty * TILE, tx * TILE, 3)
        depth = torch.empty(len(p), ty * TILE, tx * TILE)

        def render_group(first: int) -> None:
            pose = torch.tensor(p[first : first + group], dtype=torch.float32)
            g = len(pose)
            t, colour = self._render_tiles(pose[:, :3, :3], pose[:, :3, 3], tile_rays, K, tx, ty)
            # Tiles back to rows, and channels last, in one strided copy each.
            rgb[first : first + g].view(g, ty, TILE, tx, TILE, 3).copy_(
                colour.view(3, g, ty, tx, TILE, TILE).permute(1, 2, 4, 3, 5, 0)
            )
            depth_tiles = t.view(g, ty, tx, TILE, TILE).transpose(2, 3)
            depth[first : first + g].view(g, ty, TILE, tx, TILE).copy_(depth_tiles)

        group = max(1, _SHADE_PIXELS // (tile_rays.shape[0] * TILE * TILE))
        firsts = range(0, len(p), group)
        workers = min(torch.get_num_threads(), len(firsts))
        if workers > 1:
            list(_pool(workers).map(render_group, firsts))
        else:
            for first in firsts:
                render_group(first)
        rgb = rgb[:, : K.height, : K.width].contiguous()
        depth = depth[:, : K.height, : K.width].contiguous()
        return (rgb[0], depth[0]) if single else (rgb, depth)

    def _render_tiles(self, rot, eye, tile_rays, K: Intrinsics, tx: int, ty: int):
        """Depth (G * T, P) and colour (3, G * T * P) of G cameras' tiles of P rays."""
        g, n_tiles = rot.shape[0], tile_rays.shape[0]
        # Channel-first, (3, ...): per-axis slices are contiguous and per-pixel scalars
        # broadcast over channels.
        dirs = torch.einsum("tpj,gij->igtp", tile_rays, rot).reshape(3, g * n_tiles, -1)
        origins = eye.T.repeat_interleave(n_tiles, dim=1)[:, :, None]
        t, idx = cast(self.prims, origins, dirs, self._candidates(rot, eye, K, tx, ty))
        points = eye.T.repeat_interleave(t.numel() // g, dim=1) + t.reshape(-1) * dirs.reshape(3, -1)
        return t, self._shade(points, idx.reshape(-1))

    def _candidates(self, rot, eye, K: Intrinsics, tx: int, ty: int) -> torch.Tensor:
        """(G * T, Nb + Ne) mask: may the solid show in the tile? Screen bounding boxes of the
        projected corners, widened by a pixel; a solid straddling the camera plane gets all tiles."""
        cam = torch.bmm(self._corners.reshape(1, -1, 3) - eye[:, None, :], rot).reshape(len(eye), -1, 8, 3)
        depth = -cam[..., 2]
        in_front, behind = (depth > 1e-3).all(dim=2), (depth <= 0).all(dim=2)
        d = depth.clamp_min(1e-3)
        u, v = K.cx + K.fx * cam[..., 0] / d, K.cy - K.fy * cam[..., 1] / d
        big = torch.tensor(1e9)
        lo_u = torch.where(in_front, u.amin(2) - 1, -big)
        hi_u = torch.where(in_front, u.amax(2) + 1, big)
        lo_v = torch.where(in_front, v.amin(2) - 1, -big)
        hi_v = torch.where(in_front, v.amax(2) + 1, big)
        hi_u = torch.where(behind, -big, hi_u)  # entirely behind the camera: no tile
        return _tile_mask(lo_u, hi_u, lo_v, hi_v, tx, ty)

    def _shade(self, points: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Colour (3, M) of hits on primitives `idx` (M,) at points (3, M); -1 is the sky."""
        sky = idx < 0
        if not sky.any():
            return self._shade_surfaces(points, idx)
        colour = torch.empty_like(points)
        on_sky = sky.nonzero().squeeze(1)
        mat = torch.full_like(on_sky, self.sky_material)
        sky_points = points.index_select(1, on_sky)
        colour.index_copy_(1, on_sky, sky_colour(self.materials, mat, sky_points, _vec(self.light.sun_dir)))
        on_surface = (~sky).nonzero().squeeze(1)
        if len(on_surface):
            surface = self._shade_surfaces(points.index_select(1, on_surface), idx.index_select(0, on_surface))
            colour.index_copy_(1, on_surface, surface)
        return colour

    def _shade_surfaces(self, points: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Colour (3, M) of points (3, M) on primitives idx (M,): texture x (ambient with corner
        occlusion + sun x shadow + lamp), then haze far from the origin."""
        light, prims = self.light, self.prims
        n, axis = normals(prims, idx, points)
        group = torch.where(n[1] > 0.7, UP, torch.where(n[1] < -0.7, DOWN, SIDE))
        mat = prims.material.reshape(-1).index_select(0, idx * 3 + group)
        colour = albedo(self.materials, mat, points, axis)

        up, down = _vec(light.ambient_up)[:, None], _vec(light.ambient_down)[:, None]
        irradiance = down + (up - down) * (0.5 + 0.5 * n[1])
        if self._room is not None:
            irradiance = irradiance * self._corner_occlusion(points, axis)
        direct = (_vec(light.sun_dir) @ n).clamp_min_(0) * self._shadow.lit(points, n)
        irradiance = irradiance + _vec(light.sun)[:, None] * direct
        if light.lamp_pos is not None:
            to_lamp = _vec(light.lamp_pos)[:, None] - points
            dist = (to_lamp * to_lamp).sum(dim=0).sqrt_().clamp_min_(1e-3)
            cos = ((n * to_lamp).sum(dim=0) / dist).clamp_min_(0)
            falloff = cos / (1 + (dist / light.lamp_range) ** 2)
            irradiance = irradiance + _vec(light.lamp)[:, None] * falloff
        unlit = _UNLIT[self.materials.pattern].index_select(0, mat)
        colour = torch.where(unlit, colour, colour * irradiance)
        if light.haze is not None:
            r = (points[0] * points[0] + points[2] * points[2]).sqrt()
            w = ((r - light.haze_start) / (light.haze_end - light.haze_start)).clamp(0, 1)
            colour = colour + (_vec(light.haze)[:, None] - colour) * (w * w * (3 - 2 * w))
        return colour.clamp_(0, 1)

    def _corner_occlusion(self, points: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
        """Darkening near the room's edges, a cheap stand-in for ambient occlusion: the distance
        to the nearest room plane other than those parallel to the surface (normal `axis`)."""
        lo, hi = self._room
        gaps = torch.minimum(points - lo[:, None], hi[:, None] - points).abs_()
        gaps.masked_fill_(axis == torch.arange(3)[:, None], math.inf)
        return 1 - 0.45 * torch.exp(-gaps.amin(dim=0) / 0.35)
