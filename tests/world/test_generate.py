"""Seed-time generation on a real photo with estimated depth: what it adds, and what it must not change."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gwm_engine.evaluation.metrics import psnr
from gwm_engine.geometry import CameraAction
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.generate import GENERATED_RANK

PHOTO = Path(__file__).parent.parent / "data" / "rocket.jpg"  # a real photo: see tests/data/README.md
SIZE = (128, 96)


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.array(Image.open(PHOTO).convert("RGB"))


@pytest.fixture(scope="module")
def worlds(photo, model) -> tuple[WorldSession, WorldSession]:
    """The same photo without and with seed-time generation."""
    return (WorldSession.create(photo, None, SessionConfig(*SIZE), model),
            WorldSession.create(photo, None, SessionConfig(*SIZE, generate=True), model))


def _look_around(session: WorldSession) -> list:
    """A look 100 degrees to each side and down, a fork of the session so the world stays as made."""
    s = session.fork()
    return [s.step(CameraAction(turn=t)) for t in ((100, 0, 0), (-200, 0, 0), (100, -45, 0))]


def test_generation_covers_a_look_around_that_the_per_frame_fill_covers_alone_without_it(worlds):
    plain, generated = worlds
    assert plain.generated == {} and generated.generated["filled"] >= 5
    assert generated.generated["layers"] >= 3  # the surround, as continuous surfaces
    assert any(layer.rank == GENERATED_RANK for layer in generated.cache.layers)
    without = np.mean([f.mask.mean() for f in _look_around(plain)])
    with_ = np.mean([f.mask.mean() for f in _look_around(generated)])
    assert without < 0.5 and with_ > 0.8, (without, with_)


def test_the_seed_still_shows_exactly_where_it_was_taken(worlds):
    plain, generated = worlds
    a, b = plain.fork().step(), generated.fork().step()
    assert b.mask.mean() >= a.mask.mean()
    shown = a.mask
    assert np.array_equal(a.rgb[shown], b.rgb[shown]) and np.array_equal(a.depth[shown], b.depth[shown])


def test_one_seed_grows_one_world_across_creation_and_save_and_load(worlds, photo, model):
    _, generated = worlds
    again = WorldSession.create(photo, None, SessionConfig(*SIZE, generate=True), model)
    loaded = WorldSession.load(generated.save(), model)
    for one, two, three in zip(_look_around(generated), _look_around(again), _look_around(loaded)):
        assert np.array_equal(one.rgb, two.rgb) and np.array_equal(one.rgb, three.rgb)
        assert np.array_equal(one.depth, two.depth) and np.array_equal(one.depth, three.depth)


def test_generated_content_outranks_later_fills_so_a_revisit_after_a_walk_shows_it_again(worlds):
    _, generated = worlds
    s = generated.fork()
    turn = CameraAction(turn=(100, 0, 0))
    first = s.fork().step(turn)
    for action in [CameraAction(move=(0.3, 0, -0.5), turn=(30, 10, 0))] * 6:
        s.step(action)
    s.reset()
    back = s.step(turn)
    made = first.mask  # what the world held there before the walk: the seed and what generation made
    assert made.mean() > 0.7
    # Exact but where a surfel fused on the walk lands at the edge of SAME_SURFACE (1 pixel of 10,000 here).
    assert (back.rgb[made] != first.rgb[made]).any(-1).mean() < 0.002
    assert psnr(back.rgb, first.rgb, made) >= 45
