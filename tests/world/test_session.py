import msgpack
import numpy as np
import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.evaluation.metrics import psnr
from gwm_engine.geometry import CameraAction
from gwm_engine.world import SessionConfig, WorldSession, step_many
from gwm_engine.world.worldfile import unpack_world


def _depth_for(image):
    h, w = image.shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    return (3.0 + 1.5 * np.sin(x / 25.0) + y / 100.0).astype(np.float32)


@pytest.fixture()
def session(noise_image, model):
    return WorldSession.create(noise_image, _depth_for(noise_image), SessionConfig(96, 72), model)


def test_seed_view_reproduces_the_seed(noise_image, model):
    s = WorldSession.create(noise_image, _depth_for(noise_image), SessionConfig(320, 240), model)
    f = s.step()
    assert f.mask.mean() >= 0.99
    assert psnr(f.rgb, noise_image, f.mask) >= 40
    assert np.allclose(f.depth, _depth_for(noise_image), rtol=1e-5)


def test_seed_is_centre_cropped_and_resized(noise_image, model):
    s = WorldSession.create(noise_image, None, SessionConfig(64, 64, fov_deg=50), model)
    f = s.step()
    assert f.rgb.shape == (64, 64, 3) and f.depth.shape == (64, 64) and f.rgb.dtype == np.uint8
    assert f.depth.dtype == np.float32 and np.all(f.depth > 0) and f.intrinsics.width == 64


def test_moving_reveals_holes_that_are_filled_and_fused(session):
    first = len(session.cache)
    f = session.step(CameraAction(move=(0.8, 0, 0), turn=(25, 0, 0)))
    assert 0.2 < f.mask.mean() < 0.99  # part of the view is new territory
    assert np.all(np.isfinite(f.depth)) and np.all(f.depth > 0)
    # Every filled pixel is fused, except fills floating in space the seed saw through.
    holes = int((~f.mask).sum())
    assert first + 0.95 * holes <= len(session.cache) <= first + holes


def test_pose_integrates_actions(session):
    for _ in range(5):
        f = session.step(CameraAction(move=(0, 0, 0.1)))
    assert np.allclose(f.pose[:3, 3], (0, 0, -0.5)) and f.index == 5


def test_fork_is_independent(session):
    session.step(CameraAction(turn=(10, 0, 0)))
    fork = session.fork()
    a = fork.step(CameraAction(turn=(-40, 0, 0)))
    b = session.step(CameraAction())
    assert not np.array_equal(a.rgb, b.rgb)
    assert np.allclose(session.pose, b.pose) and not np.allclose(fork.pose, session.pose)


def test_save_load_gives_identical_frames(session, model):
    session.step(CameraAction(move=(0.2, 0, 0.1), turn=(15, 5, 0)))
    restored = WorldSession.load(session.save(), model)
    for action in [CameraAction(turn=(-20, 0, 0)), CameraAction(move=(0, 0, 0.3))]:
        a, b = session.step(action), restored.step(action)
        assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.depth, b.depth) and a.index == b.index


def test_saving_leaves_the_session_as_it_was_so_a_fork_and_a_load_go_on_as_it_does(session, model):
    session.step(CameraAction(move=(0.2, 0, 0.1), turn=(15, 5, 0)))
    fork = session.fork()
    restored = WorldSession.load(session.save(), model)
    assert session.cache.packed < session.cache.n  # this step's fill is not yet in a Z-order run
    for action in [CameraAction(turn=(-20, 0, 0)), CameraAction(move=(0.1, 0, 0.3))]:
        a, b, c = session.step(action), fork.step(action), restored.step(action)
        assert np.array_equal(a.rgb, b.rgb) and np.array_equal(a.rgb, c.rgb) and np.array_equal(a.depth, c.depth)


def test_a_world_file_from_before_packed_points_were_counted_loads_all_packed(session, model):
    session.step(CameraAction(move=(0.2, 0, 0.1), turn=(15, 5, 0)))
    doc = msgpack.unpackb(session.save())
    del doc["packed"]
    assert WorldSession.load(msgpack.packb(doc), model).cache.packed == session.cache.n
    doc["packed"] = session.cache.n + 1
    with pytest.raises(InvalidInput, match="packed must be a whole number"):
        WorldSession.load(msgpack.packb(doc), model)


def test_cache_capacity_bounds_points(noise_image, model):
    s = WorldSession.create(noise_image, _depth_for(noise_image), SessionConfig(32, 32, points_per_pixel=2), model)
    for _ in range(30):
        s.step(CameraAction(turn=(20, 0, 0)))
    # The surfels are capped; the seed layer (one point per pixel, and its ring) comes on top, never evicted.
    assert s.cache.n <= 2 * 32 * 32 and len(s.cache) <= 2 * 32 * 32 + 34 * 34  # the layer has a one-pixel ring


def test_eviction_keeps_the_seed_so_coming_back_shows_it(noise_image, model):
    """Turning full circle fills the cache with generated views several times over; the seed
    (the one real view) must still be there when the player faces it again."""
    s = WorldSession.create(noise_image, _depth_for(noise_image), SessionConfig(32, 32, points_per_pixel=2), model)
    first = s.step()
    for _ in range(18):
        last = s.step(CameraAction(turn=(20, 0, 0)))
    assert s.cache.n <= 2 * 32 * 32
    assert np.allclose(last.pose, np.eye(4), atol=1e-6)
    assert last.mask.mean() > 0.99 and psnr(last.rgb, first.rgb) >= 40
    restored = WorldSession.load(s.save(), model)  # and so it stays in a saved world
    for _ in range(18):
        last = restored.step(CameraAction(turn=(20, 0, 0)))
    assert last.mask.mean() > 0.99 and psnr(last.rgb, first.rgb) >= 40


def test_stereo_frames_have_two_eyes_ipd_apart(noise_image, model):
    s = WorldSession.create(noise_image, None, SessionConfig(48, 48, stereo=True, ipd_m=0.1), model)
    f = s.step()
    assert f.right is not None and f.right.rgb.shape == (48, 48, 3)
    assert np.isclose(np.linalg.norm(f.right.pose[:3, 3] - f.pose[:3, 3]), 0.1)


def test_step_many_isolates_a_bad_action(session, noise_image, model):
    other = WorldSession.create(noise_image, None, SessionConfig(96, 72), model)
    pose_before = other.pose.copy()
    good, bad = step_many([(session, CameraAction(turn=(5, 0, 0))), (other, CameraAction(move=(np.nan, 0, 0)))])
    assert good.rgb.shape == (72, 96, 3)
    assert isinstance(bad, InvalidInput) and np.array_equal(other.pose, pose_before)


def test_export_ply_parses(session):
    ply = session.export_ply()
    header, _, body = ply.partition(b"end_header\n")
    n = int(header.split(b"element vertex ")[1].split(b"\n")[0])
    assert n == len(session.cache) and len(body) == n * 15


@pytest.mark.parametrize(
    "image, depth, match",
    [
        (np.zeros((10, 10, 3), np.float32), None, "uint8"),
        (np.zeros((10, 10, 5), np.uint8), None, "HxWx3"),
        (np.zeros((0, 10, 3), np.uint8), None, "empty"),
        ("not an array", None, "numpy array"),
        (np.zeros((10, 10, 3), np.uint8), np.ones((5, 5), np.float32), "like the image"),
        (np.zeros((10, 10, 3), np.uint8), np.full((10, 10), np.nan, np.float32), "NaN"),
        (np.zeros((10, 10, 3), np.uint8), np.full((10, 10), np.inf, np.float32), "NaN or inf"),
        (np.zeros((10, 10, 3), np.uint8), -np.ones((10, 10), np.float32), "depth must be in"),
        (np.zeros((10, 10, 3), np.uint8), np.ones((10, 10), np.int32), "float"),
    ],
)
def test_bad_seed_raises_clear_error(image, depth, match, model):
    with pytest.raises(InvalidInput, match=match):
        WorldSession.create(image, depth, SessionConfig(32, 32), model)


@pytest.mark.parametrize("cfg", [
    SessionConfig(0, 0), SessionConfig(100000, 100000), SessionConfig(2000, 2000),
    SessionConfig(fov_deg=np.inf), SessionConfig(stereo=True, ipd_m=-1),
])
def test_bad_config_raises(cfg, noise_image, model):
    with pytest.raises(InvalidInput):
        WorldSession.create(noise_image, None, cfg, model)


@pytest.mark.parametrize("data", [b"", b"\x00\x01garbage", b"\x81\xa6format\xa3xyz"])
def test_bad_world_file_raises(data, model):
    with pytest.raises(InvalidInput):
        WorldSession.load(data, model)


def test_truncated_world_file_raises(session, model):
    data = session.save()
    with pytest.raises(InvalidInput):
        WorldSession.load(data[: len(data) // 2], model)
    assert unpack_world(data)["xyz"].shape[1] == 3


def test_facing_only_unseen_space_is_all_generated(session):
    """No cached point in view (the culled splat gets none): a full hole, not an error."""
    f = session.step(CameraAction(turn=(180, 0, 0)))
    assert not f.mask.any() and np.all(f.depth > 0)
    back = session.step(CameraAction(turn=(180, 0, 0)))
    assert back.mask.mean() > 0.9
