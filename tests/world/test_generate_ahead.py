"""Generation ahead of the player (`SessionConfig.ahead`) on a real photo with estimated depth."""

import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gwm_engine.geometry import CameraAction
from gwm_engine.geometry.actions import apply_action
from gwm_engine.model.base import WorldModel
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.generate import GenerateConfig, ahead_pose

PHOTO = Path(__file__).parent.parent / "data" / "rocket.jpg"  # a real photo: see tests/data/README.md
SIZE = (128, 96)
TURN = [CameraAction(turn=(4, 0, 0))] * 20  # 80 degrees to the left
WALK = [CameraAction(move=(0.05, 0, 0.15), turn=(-3, 1, 0))] * 12


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return np.array(Image.open(PHOTO).convert("RGB"))


class Gated(WorldModel):
    """The real model, counting its passes, whose generation waits for `gate` where one is set
    and paints the holes `paint` (RGB in [0, 1]) where one is given."""

    def __init__(self, base: WorldModel, paint: tuple[float, float, float] | None = None):
        self.base, self.name, self.version = base, base.name, base.version
        self.paint = paint
        self.gate: threading.Event | None = None
        self.completed = self.generated = 0

    def estimate_depth(self, rgb, fov_deg):
        return self.base.estimate_depth(rgb, fov_deg)

    def complete(self, rgb, depth, mask):
        self.completed += 1
        return self.base.complete(rgb, depth, mask)

    def quick_fill(self, rgb, depth, mask):
        return self.base.quick_fill(rgb, depth, mask)

    def generate(self, rgb, depth, mask):
        if self.gate is not None:
            assert self.gate.wait(30)
        self.generated += 1
        out_rgb, out_depth = self.base.generate(rgb, depth, mask)
        if self.paint is not None:
            out_rgb = torch.where(mask > 0.5, out_rgb, torch.tensor(self.paint).view(1, 3, 1, 1))
        return out_rgb, out_depth


def _frames(session: WorldSession, actions: list[CameraAction]) -> list:
    return [session.step(a) for a in actions]


def test_the_view_ahead_carries_the_last_step_on():
    config = GenerateConfig()
    start = np.eye(4)
    left = apply_action(start, CameraAction(turn=(4, 0, 0)))
    assert np.allclose(ahead_pose(start, left, config), apply_action(start, CameraAction(turn=(4 * (1 + config.ahead_lead), 0, 0))))
    ahead = apply_action(start, CameraAction(move=(0, 0, 0.1)))
    assert np.allclose(ahead_pose(start, ahead, config)[:3, 3], [0, 0, -0.1 * (1 + config.ahead_lead)])
    assert ahead_pose(left, left, config) is None  # standing still: nothing new comes into view


def test_deterministic_mode_fills_a_turn_before_it_is_seen_without_a_network_in_the_frame(photo, model):
    gated = Gated(model)
    plain = _frames(WorldSession.create(photo, None, SessionConfig(*SIZE), gated), TURN)
    passes = gated.completed
    assert gated.generated == 0  # off: the network fills each frame, nothing ahead
    gated.completed = 0
    s = WorldSession.create(photo, None, SessionConfig(*SIZE, ahead="deterministic"), gated)
    ahead = _frames(s, TURN)
    assert passes > 0 and gated.completed == 0 and gated.generated >= 5 and s.ahead.views == gated.generated
    # The share of each frame the world already held when it was rendered (the rest: the frame's own fill).
    held = [f.mask.mean() for f in ahead[4:]]
    assert np.mean(held) > np.mean([f.mask.mean() for f in plain[4:]]) and np.mean(held) > 0.97, np.mean(held)


def test_deterministic_mode_grows_one_world_across_fork_and_save_and_load(photo, model):
    config = SessionConfig(*SIZE, ahead="deterministic")
    one = WorldSession.create(photo, None, config, model)
    two = WorldSession.create(photo, None, config, model)
    half = len(WALK) // 2 + 1  # not a multiple of ahead_every: the next generation comes after the copy
    _frames(one, WALK[:half]), _frames(two, WALK[:half])
    fork, loaded = one.fork(), WorldSession.load(one.save(), model)
    rest = WALK[half:] + TURN
    runs = [_frames(s, rest) for s in (one, two, fork, loaded)]
    for frames in zip(*runs):
        assert all(np.array_equal(frames[0].rgb, f.rgb) and np.array_equal(frames[0].depth, f.depth) for f in frames)
    assert one.ahead.views >= 3


def test_a_background_generation_never_holds_up_a_frame_and_its_result_comes_into_the_world(photo, model):
    gated = Gated(model)
    gated.gate = threading.Event()
    s = WorldSession.create(photo, None, SessionConfig(*SIZE, ahead="background"), gated)
    t = time.perf_counter()
    frames = _frames(s, TURN[:6])  # the first frame hands a view to the worker, which waits at the gate
    assert time.perf_counter() - t < 20 and gated.generated == 0 and s.ahead.views == 0
    gated.gate.set()
    deadline = time.monotonic() + 30
    while s.ahead.views == 0 and time.monotonic() < deadline:
        s.step()  # each frame keeps a finished job's fill before it renders
        time.sleep(0.05)
    assert gated.generated >= 1 and s.ahead.views >= 1
    assert len(frames) == 6


def test_a_slow_generation_replaces_the_quick_fills_made_while_it_ran(photo, model):
    painter = Gated(model, paint=(1.0, 0.0, 1.0))
    painter.gate = threading.Event()
    s = WorldSession.create(photo, None, SessionConfig(*SIZE, ahead="background"), painter)
    every = GenerateConfig().ahead_every
    _frames(s, TURN[:every])  # the view a few steps on goes to the worker, which waits at the gate
    quick = _frames(s, TURN[every:every + GenerateConfig().ahead_lead])[-1]  # at that view: filled by the frames
    magenta = lambda frame: (frame.rgb == (255, 0, 255)).all(-1)  # noqa: E731
    assert not magenta(quick).any() and (~quick.mask).sum() < quick.mask.size * 0.1
    painter.gate.set()
    deadline = time.monotonic() + 30
    while not s.ahead._job.done() and time.monotonic() < deadline:
        time.sleep(0.02)
    again = s.step()  # keeps the job, then renders the same pose
    assert magenta(again).mean() > 0.03, magenta(again).mean()


def test_a_closed_session_drops_its_queued_generation(photo, model):
    gated = Gated(model)
    gated.gate = threading.Event()
    busy = WorldSession.create(photo, None, SessionConfig(*SIZE, ahead="background"), gated)
    waiting = WorldSession.create(photo, None, SessionConfig(*SIZE, ahead="background"), gated)
    _frames(busy, TURN[:GenerateConfig().ahead_every])  # its job holds the worker at the gate
    _frames(waiting, TURN[:GenerateConfig().ahead_every])  # its job waits in the queue
    assert waiting.ahead._job is not None and not waiting.ahead._job.running()
    waiting.close()
    job = busy.ahead._job
    busy.close()  # its running job finishes, and is never kept
    gated.gate.set()
    deadline = time.monotonic() + 30  # (on a loaded machine the worker can take a while)
    while not job.done() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # time enough for the worker to reach the next job, were one left
    assert gated.generated == 1 and waiting.ahead.views == busy.ahead.views == 0


def test_an_unknown_mode_is_refused_in_plain_words():
    from gwm_engine.errors import InvalidInput

    with pytest.raises(InvalidInput, match="ahead must be one of off, background, deterministic"):
        SessionConfig(ahead="sometimes").validate()
