"""Latest action wins: coalescing pending actions of a Play stream."""

import asyncio

import numpy as np
import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import CameraAction, apply_action
from gwm_engine.server.action_mailbox import ActionMailbox, coalesce


def test_relative_actions_are_kept_in_order_and_apply_exactly():
    a = CameraAction(move=(0.1, 0.0, 0.2), turn=(5.0, 1.0, 0.0))
    b = CameraAction(move=(0.0, 0.3, 0.2), turn=(-2.0, 0.0, 4.0))
    c = coalesce(a, b)
    assert c.pose is None and len(c.steps()) == 2
    np.testing.assert_allclose(apply_action(np.eye(4), c), apply_action(apply_action(np.eye(4), a), b), atol=1e-12)


def test_actions_at_the_per_action_limits_stay_valid_when_coalesced():
    big = CameraAction(move=(0.0, 0.0, 80.0), turn=(300.0, 0.0, 0.0))
    c = coalesce(big, big)
    c.validate()
    np.testing.assert_allclose(apply_action(np.eye(4), c), apply_action(apply_action(np.eye(4), big), big), atol=1e-9)


def test_an_absolute_pose_replaces_what_was_pending():
    pose = np.eye(4)
    pose[:3, 3] = (1.0, 2.0, 3.0)
    c = coalesce(CameraAction(move=(0.5, 0.0, 0.0)), CameraAction(pose=pose))
    np.testing.assert_array_equal(c.pose, pose)


def test_a_relative_action_after_a_pose_is_applied_to_it():
    pose = np.eye(4)
    pose[:3, 3] = (1.0, 0.0, 0.0)
    then = CameraAction(move=(0.0, 0.0, 1.0), turn=(90.0, 0.0, 0.0))
    c = coalesce(CameraAction(pose=pose), then)
    np.testing.assert_allclose(c.pose, apply_action(pose, then), atol=1e-12)


def test_the_mailbox_holds_one_coalesced_action_with_the_last_seq():
    async def scenario():
        box = ActionMailbox()
        for seq in (1, 2, 3):
            box.put(CameraAction(move=(0.0, 0.0, 0.1)), seq, 1000 + seq)
        pending = await box.take()
        assert (pending.seq, pending.client_time_us) == (3, 1003)
        np.testing.assert_allclose(apply_action(np.eye(4), pending.action)[:3, 3], (0.0, 0.0, -0.3))
        box.put(CameraAction(turn=(1.0, 0.0, 0.0)), 4, 0)
        box.finish()
        assert (await box.take()).seq == 4  # what is pending is still answered after the end
        assert await box.take() is None

    asyncio.run(scenario())


def test_take_waits_for_an_action_and_an_error_comes_first():
    async def scenario():
        box = ActionMailbox()
        waiter = asyncio.create_task(box.take())
        await asyncio.sleep(0.01)
        assert not waiter.done()
        box.put(CameraAction(), 7, 0)
        assert (await waiter).seq == 7
        box.put(CameraAction(), 8, 0)
        box.finish(InvalidInput("action seq 9: bad"))
        with pytest.raises(InvalidInput, match="seq 9"):
            await box.take()

    asyncio.run(scenario())
