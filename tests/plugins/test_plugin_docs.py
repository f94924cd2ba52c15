"""The plugin guides answer what new users asked: how to add the Unity package from a git URL
(it lives in a subfolder), and how to pick the field of view and scale for a photo."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UNITY_GUIDE = ROOT / "plugins" / "unity" / "Documentation~" / "index.md"
GODOT_GUIDE = ROOT / "plugins" / "godot" / "README.md"


def test_the_unity_guide_gives_the_git_url_of_a_package_in_a_subfolder():
    text = UNITY_GUIDE.read_text()
    urls = re.findall(r"https://\S+\.git\?path=plugins/unity(?:#\S+)?", text)
    assert urls, "the exact git-URL form with ?path=plugins/unity"
    assert (ROOT / "plugins" / "unity" / "package.json").is_file(), "the path the URL names holds the package"
    assert "manifest.json" in text


@pytest.mark.parametrize("guide", [UNITY_GUIDE, GODOT_GUIDE], ids=["unity", "godot"])
def test_each_guide_explains_field_of_view_and_scale_for_a_photo(guide: Path):
    text = guide.read_text()
    section = text[text.index("## Field of view and scale for a photo") :]
    section = " ".join(section[: section.index("\n## ", 4)].split())
    assert "2 * atan(12 / f)" in section and "2 * atan(18 / f)" in section
    # The worked example agrees with the formula: a 26 mm phone camera, landscape and portrait.
    landscape, portrait = (round(math.degrees(2 * math.atan(h / 26))) for h in (12, 18))
    assert f"about {landscape}° landscape and {portrait}° portrait" in section
    for word in ("scale_centre_distance_m", "scale_factor", "walk_speed_mps") if guide == GODOT_GUIDE else (
        "ScaleCentreDistanceM", "ScaleFactor", "WalkSpeedMps"):
        assert word in section, word
