"""Real textures for the renderer: which images a library keeps, the file it writes, and scenes
and training views drawn with it."""

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import Intrinsics
from gwm_engine.scenes import make_scene
from gwm_engine.scenes.texture_library import TextureLibrary, build_library, main
from gwm_engine.scenes.textures import Pattern
from gwm_engine.training.data import SeedViewConfig, load_seed_views, write_seed_view_shards

RNG = np.random.default_rng(0)


def _png(pixels: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _red_noise() -> np.ndarray:
    """A rough red surface (blotches 4 texels wide), 3:2 so that the square crop shows."""
    red = RNG.integers(60, 256, (12, 18), dtype=np.uint8).repeat(4, 0).repeat(4, 1)
    return np.stack([red, red // 4, red // 5], -1)


@pytest.fixture(scope="module")
def archive(tmp_path_factory) -> Path:
    """A game-style .pk3 (a zip): one real texture among things that are not surfaces."""
    glow = np.zeros((32, 32, 3), np.uint8)
    glow[12:20, 12:20] = 255  # an effect drawn over black
    decal = np.zeros((32, 32, 4), np.uint8)
    decal[..., :3] = RNG.integers(0, 256, (32, 32, 3))
    decal[:4, :, 3] = 255  # mostly transparent
    path = tmp_path_factory.mktemp("pak") / "pak0.pk3"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("textures/base/rust.png", _png(_red_noise()))
        z.writestr("textures/base/grey.png", _png(np.full((32, 32, 3), 128, np.uint8)))
        z.writestr("textures/sfx/glow.png", _png(glow))
        z.writestr("textures/decals/splat.png", _png(decal))
        z.writestr("textures/base/broken.jpg", b"not a jpeg")
        z.writestr("gfx/hud/score.png", _png(RNG.integers(0, 256, (32, 32, 3), dtype=np.uint8)))
        z.writestr("scripts/base.shader", "textures/base/rust { }")
    return path


def test_a_library_keeps_surface_textures_and_records_their_licence(archive, tmp_path):
    library = build_library([archive], "openarena-088-data", "GPL-2+", size=16, include=("textures/",))
    assert library.names == ("pak0.pk3:textures/base/rust.png",)
    assert library.sources == ("openarena-088-data (GPL-2+)",)
    assert library.images.shape == (1, 3, 16, 16)
    # Without the folder filter the HUD graphic is an image like any other.
    assert len(build_library([archive], "p", "l", size=16)) == 2
    library.save(tmp_path / "lib.npz")
    loaded = TextureLibrary.load(tmp_path / "lib.npz")
    assert loaded.names == library.names and loaded.sources == library.sources
    assert torch.allclose(loaded.images, library.images, atol=0.5 / 255)


def test_the_command_line_refuses_what_holds_no_textures(archive, tmp_path, capsys):
    assert main([str(tmp_path / "lib.npz"), str(archive), "--package", "p", "--licence", "l", "--include", "sounds/"]) == 2
    assert "no usable images" in capsys.readouterr().err
    assert main([str(tmp_path / "lib.npz"), str(tmp_path / "missing.pk3"), "--package", "p", "--licence", "l"]) == 2
    assert "not a folder or zip archive" in capsys.readouterr().err
    with pytest.raises(InvalidInput, match="not a texture library"):
        TextureLibrary.load(archive)


def test_a_scene_takes_the_library_images_on_its_textured_surfaces(archive):
    images = build_library([archive], "p", "l", size=32, include=("textures/",)).images
    scene = make_scene("indoor", 3)
    pose = scene.spawn_pose()
    K = Intrinsics.from_fov(64, 48, 60.0)
    plain, depth = scene.render(pose, K)
    table = scene.materials
    scene.materials = table.with_images(images, np.random.default_rng(0), share=0.0)
    same, _ = scene.render(pose, K)
    assert torch.equal(same, plain)
    scene.materials = table.with_images(images, np.random.default_rng(0), share=1.0)
    assert bool((scene.materials.pattern == Pattern.IMAGE).any())
    rgb, depth_textured = scene.render(pose, K)
    assert torch.equal(depth_textured, depth)  # the geometry is the scene's own
    # The room's walls and floor now show rust: red well above green and blue.
    r, g, b = rgb.reshape(-1, 3).mean(0)
    assert r > 1.5 * g and r > 1.5 * b
    pr, pg, _ = plain.reshape(-1, 3).mean(0)
    assert not pr > 1.5 * pg


def test_training_views_with_textures_keep_their_scenes_and_cameras(archive, tmp_path):
    library = build_library([archive], "p", "l", size=16, include=("textures/",))
    library.save(tmp_path / "lib.npz")
    views = {}
    for name, textures in (("plain", None), ("textured", str(tmp_path / "lib.npz"))):
        config = SeedViewConfig(size=32, views_per_scene=1, supersample=1, stylised=0.0, textures=textures, texture_share=1.0)
        write_seed_view_shards(tmp_path / name, 2, per_shard=2, config=config)
        views[name] = load_seed_views(sorted((tmp_path / name).glob("*.npz")))
    plain, textured = views["plain"], views["textured"]
    assert np.array_equal(plain.fov_deg, textured.fov_deg) and np.array_equal(plain.depth, textured.depth)
    assert not np.array_equal(plain.rgb, textured.rgb)
