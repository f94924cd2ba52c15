"""The render's inner loops, compiled (numba): the z-test's passes, colour resampling, the
sampling of layers and surfels. One pass over a part's samples each, where the same work as
tensor operations takes a scatter, a gather, a select and a compaction a part.

Arrays are numpy views of the callers' tensors (no copies). Sample i of a part lands in pixel
pix[i] (the dump pixel, hw, for none) at depth[i]; its key, which the lowest wins, is its
rank (one for the part, or one a sample) above its number `first + i` among all samples.
`cache=True` keeps the compiled code on disk, so only the first process compiles it.
"""

from __future__ import annotations

import numba
import numpy as np

INDEX_BITS = 28  # a key is rank << INDEX_BITS | sample number


@numba.njit(cache=True, nogil=True)
def nearest(pix: np.ndarray, depth: np.ndarray, near: np.ndarray) -> None:
    """near[p] = min(near[p], depth of every sample in p)."""
    for i in range(pix.shape[0]):
        p = pix[i]
        if depth[i] < near[p]:
            near[p] = depth[i]


@numba.njit(cache=True, nogil=True)
def best_keys(pix: np.ndarray, depth: np.ndarray, rank: np.ndarray, first: int, limit: np.ndarray, best: np.ndarray) -> None:
    """best[p] = min(best[p], key of every sample in p on its front surface (depth <= limit[p]));
    rank holds one entry for the whole part or one a sample."""
    one = rank.shape[0] == 1
    for i in range(pix.shape[0]):
        p = pix[i]
        if depth[i] <= limit[p]:
            key = ((rank[0] if one else rank[i]) << INDEX_BITS) + first + i
            if key < best[p]:
                best[p] = key


@numba.njit(cache=True, nogil=True)
def winners(pix: np.ndarray, rank: np.ndarray, first: int, best: np.ndarray, hw: int) -> np.ndarray:
    """(n,) int64: the samples of the part that won their pixel (never the dump's), in order.
    Keys are unique, so a sample whose key is its pixel's best passed the depth test."""
    one = rank.shape[0] == 1
    out = np.empty(pix.shape[0], dtype=np.int64)
    n = 0
    for i in range(pix.shape[0]):
        p = pix[i]
        if p < hw and ((rank[0] if one else rank[i]) << INDEX_BITS) + first + i == best[p]:
            out[n] = i
            n += 1
    return out[:n].copy()


@numba.njit(cache=True, nogil=True)
def put(pix: np.ndarray, colour: np.ndarray, depth: np.ndarray, win: np.ndarray, rgb_out: np.ndarray,
        depth_out: np.ndarray) -> None:
    """The winners' colours (n, 3) and depths (depth[win]) into their pixels pix (n,)."""
    for j in range(pix.shape[0]):
        p = pix[j]
        rgb_out[p, 0] = colour[j, 0]
        rgb_out[p, 1] = colour[j, 1]
        rgb_out[p, 2] = colour[j, 2]
        depth_out[p] = depth[win[j]]


@numba.njit(cache=True, nogil=True)
def resample(py: np.ndarray, px: np.ndarray, du: np.ndarray, dv: np.ndarray, u: np.ndarray, v: np.ndarray,
             smooth: np.ndarray, colour: np.ndarray, H: int, W: int) -> np.ndarray:
    """(n, 3) float32: a layer's colour (colour (H*W, 3), smooth (H*W,) bool: not at a depth edge)
    at layer positions (py, px) (pixel centres at integers) moved by target-image offsets
    (du, dv) through the local affine map of the quad there (its corners' projections u, v,
    (H*W,)): bilinear where the quads are smooth, else the nearest pixel, unmoved."""
    n = py.shape[0]
    out = np.empty((n, 3), dtype=np.float32)
    for i in range(n):
        y, x = py[i], px[i]
        p = min(max(int(np.floor(y)), 0), H - 2) * W + min(max(int(np.floor(x)), 0), W - 2)
        jux, jvx = u[p + 1] - u[p], v[p + 1] - v[p]
        juy, jvy = u[p + W] - u[p], v[p + W] - v[p]
        det = jux * jvy - juy * jvx
        if smooth[p] and abs(det) > 1e-9:
            y = min(max(y + min(max((jux * dv[i] - jvx * du[i]) / det, -1.0), 1.0), 0.0), H - 1.0)
            x = min(max(x + min(max((jvy * du[i] - juy * dv[i]) / det, -1.0), 1.0), 0.0), W - 1.0)
            y0, x0 = min(np.floor(y), H - 2.0), min(np.floor(x), W - 2.0)
            q = int(y0) * W + int(x0)
            if smooth[q]:
                fy, fx = y - y0, x - x0
                for c in range(3):
                    top = colour[q, c] + fx * (colour[q + 1, c] - colour[q, c])
                    bottom = colour[q + W, c] + fx * (colour[q + W + 1, c] - colour[q + W, c])
                    out[i, c] = top + fy * (bottom - top)
                continue
        r = min(max(int(np.rint(py[i])), 0), H - 1) * W + min(max(int(np.rint(px[i])), 0), W - 1)
        for c in range(3):
            out[i, c] = colour[r, c]
    return out


@numba.njit(cache=True, nogil=True)
def close_pinholes(rgb: np.ndarray, depth: np.ndarray, covered: np.ndarray, H: int, W: int, same_surface: float) -> None:
    """In place on rgb (H*W, 3), depth and covered (H*W,): uncovered pixels with >= 6 of their 8
    neighbours covered (outside the image counts as uncovered) take the mean of the covered
    neighbours on the nearest one's surface (neighbours clamped to the image). All pixels are
    judged on the coverage before the pass."""
    pins = np.empty(H * W, dtype=np.int64)
    n = 0
    for y in range(H):
        for x in range(W):
            if covered[y * W + x]:
                continue
            count = 0
            for dy in range(-1, 2):
                for dx in range(-1, 2):
                    yy, xx = y + dy, x + dx
                    if 0 <= yy < H and 0 <= xx < W and covered[yy * W + xx]:
                        count += 1
            if count >= 6:
                pins[n] = y * W + x
                n += 1
    new_rgb = np.empty((n, 3), dtype=np.float32)
    new_depth = np.empty(n, dtype=np.float32)
    nb = np.empty(8, dtype=np.int64)
    for j in range(n):
        y, x = pins[j] // W, pins[j] % W
        k = 0
        near = np.inf
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                if dy == 0 and dx == 0:
                    continue
                q = min(max(y + dy, 0), H - 1) * W + min(max(x + dx, 0), W - 1)
                nb[k] = q
                k += 1
                if covered[q] and depth[q] < near:
                    near = depth[q]
        limit = near * (1 + same_surface)
        r = g = b = d = 0.0
        m = 0
        for k in range(8):
            q = nb[k]
            if covered[q] and depth[q] <= limit:
                r += rgb[q, 0]
                g += rgb[q, 1]
                b += rgb[q, 2]
                d += depth[q]
                m += 1
        new_rgb[j, 0], new_rgb[j, 1], new_rgb[j, 2], new_depth[j] = r / m, g / m, b / m, d / m
    for j in range(n):
        p = pins[j]
        rgb[p, 0], rgb[p, 1], rgb[p, 2] = new_rgb[j, 0], new_rgb[j, 1], new_rgb[j, 2]
        depth[p] = new_depth[j]
        covered[p] = True


@numba.njit(cache=True, nogil=True)
def subsamples(block_quads: np.ndarray, k: np.ndarray, u: np.ndarray, v: np.ndarray, inv_d: np.ndarray,
               front: np.ndarray, smooth: np.ndarray, W: int, width: int, height: int, near: float):
    """Bilinear sub-samples of a layer's magnified quads: for each block (block_quads (B, Q),
    quads of the (H-1, W-1) grid, -1 for none) a k[b] x k[b] lattice in each of its quads but
    the lattice's origin (the pixel, sampled already), in the quads that are one piece of
    surface (smooth (H*W,) at their top-left pixel) in front of the camera (front (H*W,))
    and whose corners' box meets the image. u, v and inv_d (H*W,) are the layer pixels'
    projections and inverse depths. Returns the samples that land on the image, nearer than
    `near`: pix, u, v, depth and their layer positions y, x (pixel centres at integers), (S,) each."""
    total = 0
    for b in range(block_quads.shape[0]):
        for quad in block_quads[b]:
            if quad >= 0:
                total += k[b] * k[b] - 1
    pix = np.empty(total, dtype=np.int64)
    su = np.empty(total, dtype=np.float32)
    sv = np.empty(total, dtype=np.float32)
    sd = np.empty(total, dtype=np.float32)
    sy = np.empty(total, dtype=np.float32)
    sx = np.empty(total, dtype=np.float32)
    n = 0
    for b in range(block_quads.shape[0]):
        kk = k[b]
        for quad in block_quads[b]:
            if quad < 0:
                continue
            y, x = quad // (W - 1), quad % (W - 1)
            p = y * W + x
            c0, c1, c2, c3 = p, p + 1, p + W, p + W + 1
            if not smooth[p] or not (front[c0] and front[c1] and front[c2] and front[c3]):
                continue
            if (max(max(u[c0], u[c1]), max(u[c2], u[c3])) < 0 or min(min(u[c0], u[c1]), min(u[c2], u[c3])) >= width
                    or max(max(v[c0], v[c1]), max(v[c2], v[c3])) < 0 or min(min(v[c0], v[c1]), min(v[c2], v[c3])) >= height):
                continue
            for i in range(kk):
                a = np.float32(i) / kk  # down
                for j in range(kk):
                    if i == 0 and j == 0:
                        continue
                    bb = np.float32(j) / kk  # right
                    w0, w1, w2, w3 = (1 - a) * (1 - bb), (1 - a) * bb, a * (1 - bb), a * bb
                    # In float32, as stored: a pixel is found from the position its sample keeps.
                    uu = np.float32(w0 * u[c0] + w1 * u[c1] + w2 * u[c2] + w3 * u[c3])
                    vv = np.float32(w0 * v[c0] + w1 * v[c1] + w2 * v[c2] + w3 * v[c3])
                    dd = np.float32(1 / (w0 * inv_d[c0] + w1 * inv_d[c1] + w2 * inv_d[c2] + w3 * inv_d[c3]))
                    if 0 <= uu < width and 0 <= vv < height and dd > near:
                        pix[n] = int(vv) * width + int(uu)
                        su[n], sv[n], sd[n], sy[n], sx[n] = uu, vv, dd, y + a, x + bb
                        n += 1
    return pix[:n], su[:n], sv[:n], sd[:n], sy[:n], sx[:n]


@numba.njit(cache=True, nogil=True)
def _lattice_side(mag: float, spacing: float, max_subdivision: int) -> int:
    """Samples a side for a quad magnified `mag` times: no farther apart than `spacing` pixels."""
    return min(max(int(np.ceil(mag / spacing)), 1), max_subdivision)


@numba.njit(cache=True, nogil=True)
def subdivision(corners: np.ndarray, span_w: np.ndarray, span_h: np.ndarray, u: np.ndarray, v: np.ndarray,
                front: np.ndarray, width: int, height: int, margin: float, spacing: float, max_subdivision: int) -> np.ndarray:
    """(blocks,) int64: how finely to sample each block of a layer's quads, from its corner
    pixels (corners (4, blocks): top-left, top-right, bottom-left, bottom-right) and their
    projections u, v (H*W,): its magnification (target pixels one layer pixel step spans, the
    larger image axis, summed over both layer axes) times `margin`, over `spacing`; 1 for a
    block with a corner behind the camera (front) or off the image by more than it spans."""
    out = np.ones(corners.shape[1], dtype=np.int64)
    for b in range(corners.shape[1]):
        c0, c1, c2, c3 = corners[0, b], corners[1, b], corners[2, b], corners[3, b]
        if not (front[c0] and front[c1] and front[c2] and front[c3]):
            continue
        w, h = span_w[b], span_h[b]
        mag = max(max(abs(u[c1] - u[c0]) / w + abs(u[c2] - u[c0]) / h, abs(v[c1] - v[c0]) / w + abs(v[c2] - v[c0]) / h),
                  max(abs(u[c3] - u[c2]) / w + abs(u[c3] - u[c1]) / h, abs(v[c3] - v[c2]) / w + abs(v[c3] - v[c1]) / h))
        mag *= margin
        umax, umin = max(max(u[c0], u[c1]), max(u[c2], u[c3])), min(min(u[c0], u[c1]), min(u[c2], u[c3]))
        vmax, vmin = max(max(v[c0], v[c1]), max(v[c2], v[c3])), min(min(v[c0], v[c1]), min(v[c2], v[c3]))
        if umax > -mag and umin < width + mag and vmax > -mag and vmin < height + mag:
            out[b] = _lattice_side(mag, spacing, max_subdivision)
    return out


@numba.njit(cache=True, nogil=True)
def torn_subsamples(torn: np.ndarray, depth: np.ndarray, u: np.ndarray, v: np.ndarray, d: np.ndarray, front: np.ndarray,
                    W: int, focal_ratio: float, layer_K: np.ndarray, to_cam: np.ndarray, target_K: np.ndarray,
                    width: int, height: int, near: float, spacing: float, max_subdivision: int):
    """Sub-samples of a layer's magnified quads across a depth edge (torn (T,), quads of the
    (H-1, W-1) grid): a k x k lattice but its origin in each quad whose corners in front (front
    (H*W,)) reach the image, k from the nearest corner's magnification (its layer depth over
    its target depth d, times focal_ratio). Each lattice point is sampled twice: on the surface
    of its nearest corner, then (after all of those) on the farthest corner's. Layer pixels: depth
    (H*W,), projections u, v; layer_K and target_K are (fx, fy, cx, cy); to_cam (4, 4) maps the
    layer camera to the target's. Returns su, sv, sd (float32), the corner each sample takes
    its colour from (int64) and whether it is valid (its corner holds a surface, in front)."""
    ks = np.zeros(torn.shape[0], dtype=np.int64)
    total = 0
    for t in range(torn.shape[0]):
        y, x = torn[t] // (W - 1), torn[t] % (W - 1)
        p = y * W + x
        mag = np.float32(0.0)
        umax, umin, vmax, vmin = -np.inf, np.inf, -np.inf, np.inf
        for c in (p, p + 1, p + W, p + W + 1):
            if front[c]:
                mag = max(mag, np.float32(depth[c] * focal_ratio / max(d[c], near)))
                umax, umin = max(umax, u[c]), min(umin, u[c])
                vmax, vmin = max(vmax, v[c]), min(vmin, v[c])
        if umax + mag >= 0 and umin - mag < width and vmax + mag >= 0 and vmin - mag < height:
            k = _lattice_side(mag, spacing, max_subdivision)
            if k > 1:
                ks[t] = k
                total += k * k - 1
    su = np.empty(2 * total, dtype=np.float32)
    sv = np.empty(2 * total, dtype=np.float32)
    sd = np.empty(2 * total, dtype=np.float32)
    corner = np.empty(2 * total, dtype=np.int64)
    valid = np.empty(2 * total, dtype=np.bool_)
    fx, fy, cx, cy = layer_K[0], layer_K[1], layer_K[2], layer_K[3]
    n = 0
    for t in range(torn.shape[0]):
        k = ks[t]
        if k == 0:
            continue
        y, x = torn[t] // (W - 1), torn[t] % (W - 1)
        p = y * W + x
        far = p
        for c in (p + 1, p + W, p + W + 1):
            if depth[c] > depth[far]:
                far = c
        for j in range(1, k * k):
            a, b = np.float32(j // k) / k, np.float32(j % k) / k
            near_corner = (y + (1 if a >= 0.5 else 0)) * W + x + (1 if b >= 0.5 else 0)
            ray_x = (np.float32(x) + b + np.float32(0.5) - cx) / fx
            ray_y = -(np.float32(y) + a + np.float32(0.5) - cy) / fy
            for half, c in ((0, near_corner), (total, far)):
                z = depth[c]
                px, py, pz = ray_x * z, ray_y * z, -z
                cam_x = to_cam[0, 0] * px + to_cam[0, 1] * py + to_cam[0, 2] * pz + to_cam[0, 3]
                cam_y = to_cam[1, 0] * px + to_cam[1, 1] * py + to_cam[1, 2] * pz + to_cam[1, 3]
                cam_z = to_cam[2, 0] * px + to_cam[2, 1] * py + to_cam[2, 2] * pz + to_cam[2, 3]
                dd = -cam_z
                inv = 1 / max(dd, near)
                i = half + n
                su[i] = cam_x * inv * target_K[0] + target_K[2]
                sv[i] = -cam_y * inv * target_K[1] + target_K[3]
                sd[i] = dd
                corner[i] = c
                valid[i] = z > 0 and dd > near
            n += 1
    return su, sv, sd, corner, valid


@numba.njit(cache=True, nogil=True)
def pixels(u: np.ndarray, v: np.ndarray, depth: np.ndarray, keep: np.ndarray, width: int, height: int, near: float):
    """(pix (N,) int64, on (N,) bool, count): the pixel of each sample at continuous position
    (u, v), or width * height (the dump) for those off the image, not beyond `near` or not
    kept (keep (N,) bool, or empty for all)."""
    n = u.shape[0]
    pix = np.empty(n, dtype=np.int64)
    on = np.empty(n, dtype=np.bool_)
    every = keep.shape[0] == 0
    count = 0
    for i in range(n):
        ok = depth[i] > near and 0 <= u[i] < width and 0 <= v[i] < height and (every or keep[i])
        on[i] = ok
        if ok:
            pix[i] = int(v[i]) * width + int(u[i])
            count += 1
        else:
            pix[i] = width * height
    return pix, on, count


@numba.njit(cache=True, nogil=True)
def priority(age: int, stamp: bool) -> int:
    """Lower wins among samples of one surface: by age (the step that made it), exact before stamped."""
    return age * 2 + stamp


@numba.njit(cache=True, nogil=True)
def _samples(n: int):
    """Room for n samples: pix, u, v, depth, rank, point."""
    return (np.empty(n, dtype=np.int64), np.empty(n, dtype=np.float32), np.empty(n, dtype=np.float32),
            np.empty(n, dtype=np.float32), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64))


@numba.njit(cache=True, nogil=True)
def _put(to, k: int, u: float, v: float, d: float, rank: int, point: int, width: int) -> None:
    to[0][k], to[1][k], to[2][k], to[3][k], to[4][k], to[5][k] = int(v) * width + int(u), u, v, d, rank, point


@numba.njit(cache=True, nogil=True)
def surfels(xyz: np.ndarray, radius: np.ndarray, born: np.ndarray, ids: np.ndarray, cam_from_world: np.ndarray,
            fx: float, fy: float, cx: float, cy: float, width: int, height: int, near: float, stamp_radius_px: float):
    """The cache points ids (M,) (of xyz (3, N), radius and born (N,)) as samples on the image:
    each in the pixel it lands in, and where it covers more than `stamp_radius_px` pixels also
    in its 8 neighbours (stamps, ranked after exact samples). Returns pix, u, v, depth, rank and
    point (S,) each: exact samples first, then stamps."""
    exact, wide = _samples(ids.shape[0]), _samples(ids.shape[0])  # wide: the surfels that stamp
    n = nb = 0
    m = cam_from_world
    for j in range(ids.shape[0]):
        i = ids[j]
        x, y, z = xyz[0, i], xyz[1, i], xyz[2, i]
        d = -(m[2, 0] * x + m[2, 1] * y + m[2, 2] * z + m[2, 3])
        if d <= near:
            continue
        inv = 1 / d
        u = np.float32((m[0, 0] * x + m[0, 1] * y + m[0, 2] * z + m[0, 3]) * inv * fx + cx)  # float32, as stored
        v = np.float32(-(m[1, 0] * x + m[1, 1] * y + m[1, 2] * z + m[1, 3]) * inv * fy + cy)
        if 0 <= u < width and 0 <= v < height:
            _put(exact, n, u, v, d, priority(born[i], False), i, width)
            n += 1
        if radius[i] * inv * fx > stamp_radius_px and -1 < u < width + 1 and -1 < v < height + 1:
            _put(wide, nb, u, v, d, priority(born[i], True), i, width)  # (its pix is not used)
            nb += 1
    stamps = _samples(8 * nb)
    k = 0
    for j in range(nb):
        for dy in range(-1, 2):
            for dx in range(-1, 2):
                u, v = wide[1][j] + dx, wide[2][j] + dy
                if (dy or dx) and 0 <= u < width and 0 <= v < height:
                    _put(stamps, k, u, v, wide[3][j], wide[4][j], wide[5][j], width)
                    k += 1
    return (np.concatenate((exact[0][:n], stamps[0][:k])), np.concatenate((exact[1][:n], stamps[1][:k])),
            np.concatenate((exact[2][:n], stamps[2][:k])), np.concatenate((exact[3][:n], stamps[3][:k])),
            np.concatenate((exact[4][:n], stamps[4][:k])), np.concatenate((exact[5][:n], stamps[5][:k])))
