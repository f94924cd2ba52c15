"""The z-test's rules on hand-made samples (gwm_engine/world/splat.py, its loops in raster.py)."""

import torch

from gwm_engine.geometry.camera import Intrinsics
from gwm_engine.world.splat import SAME_SURFACE, Samples, composite, point_samples, table

K = Intrinsics(8.0, 8.0, 4.0, 4.0, 8, 8)


def samples(u: list[float], v: list[float], d: list[float], rgb: list[list[int]], rank: int | list[int]) -> Samples:
    rank = rank if isinstance(rank, int) else torch.tensor(rank)
    colour = table(torch.tensor(rgb, dtype=torch.uint8))
    return Samples.make(torch.tensor(u), torch.tensor(v), torch.tensor(d), colour, rank, K)


def pixel(img, x: int, y: int) -> tuple[list[float], float]:
    return (img.rgb[:, y, x] * 255).round().tolist(), round(float(img.depth[0, y, x]), 4)


def test_on_one_surface_the_older_sample_wins_and_across_surfaces_the_nearer():
    near, far_same, far_other = 2.0, 2.0 * (1 + SAME_SURFACE / 2), 2.0 * (1 + 2 * SAME_SURFACE)
    older_behind = samples([1.5], [1.5], [far_same], [[200, 0, 0]], 0)
    newer_in_front = samples([1.5], [1.5], [near], [[0, 200, 0]], 1)
    assert pixel(composite([newer_in_front, older_behind], K), 1, 1) == ([200, 0, 0], round(far_same, 4))
    older_far_behind = samples([1.5], [1.5], [far_other], [[200, 0, 0]], 0)
    assert pixel(composite([newer_in_front, older_far_behind], K), 1, 1) == ([0, 200, 0], near)


def test_a_tie_goes_to_the_first_sample_and_off_image_samples_are_dropped():
    img = composite([samples([2.5, 2.5, -0.5, 8.2], [2.5, 2.5, 1.0, 1.0], [3.0, 3.0, 1.0, 1.0],
                             [[10, 20, 30], [90, 90, 90], [1, 1, 1], [2, 2, 2]], 0)], K)
    assert pixel(img, 2, 2) == ([10, 20, 30], 3.0)
    assert int(img.mask.sum()) == 1


def test_a_lone_hole_inside_a_surface_closes_and_a_real_hole_stays_open():
    us, vs = torch.meshgrid(torch.arange(8.0) + 0.5, torch.arange(8.0) + 0.5, indexing="xy")
    keep = torch.ones(8, 8, dtype=torch.bool)
    keep[2, 2] = False  # one missing pixel
    keep[5:8, 5:8] = False  # a 3x3 hole in the corner
    u, v = us[keep], vs[keep]
    img = composite([samples(u.tolist(), v.tolist(), [4.0] * len(u), [[100, 50, 25]] * len(u), 0)], K)
    assert pixel(img, 2, 2) == ([100, 50, 25], 4.0)
    assert not bool(img.mask[0, 7, 7]) and not bool(img.mask[0, 6, 6])


def test_a_near_surfel_stamps_its_neighbours_but_yields_to_exact_samples_of_its_age():
    # Camera at the origin looking down -z; a surfel 1 m ahead at the image centre, 0.5 m wide.
    xyz = torch.tensor([[0.0], [0.0], [-1.0]])
    rgb = torch.tensor([[255, 0, 0]], dtype=torch.uint8)
    parts = point_samples(xyz, rgb, torch.tensor([0.5]), torch.tensor([3]), torch.tensor([0]), torch.eye(4), K)
    img = composite(parts, K)
    assert int(img.mask.sum()) == 9  # its pixel and the 8 around it
    assert img.points.tolist() == [0] * 9
    # An exact point of the same age beside it on the same surface takes its pixel back, though
    # it comes later (a tie would go to the stamp).
    exact = point_samples(torch.tensor([[1.0 / 8], [0.0], [-1.0]]), torch.tensor([[0, 0, 255]], dtype=torch.uint8),
                          torch.tensor([0.01]), torch.tensor([3]), torch.tensor([0]), torch.eye(4), K)
    assert pixel(composite(parts + exact, K), 5, 4)[0] == [0, 0, 255]
    assert pixel(composite(parts, K), 5, 4)[0] == [255, 0, 0]
