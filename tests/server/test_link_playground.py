"""The browser playground in headless Chromium (Debian's `chromium`, driven by Playwright).

Needs /usr/bin/chromium (apt package `chromium`) and the `playwright` Python package; the
browser Playwright would download is never used (no `playwright install`).
"""

import base64
import json
import os
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is missing (pip install playwright)")

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VECTORS = Path(__file__).resolve().parents[2] / "proto" / "link_vectors"


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, daemon):
    """The playground, loaded and connected; fails the test on any script error in the page."""
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(daemon.link_url.replace("ws://", "http://").removesuffix("/link") + "/")
    page.wait_for_function("!document.getElementById('sample').disabled", timeout=30_000)
    yield page
    page.close()
    assert not errors, errors


def frames(page) -> int:
    return int(page.evaluate("document.body.dataset.frames"))


def rgb_pixels(page) -> list[int]:
    return page.evaluate(
        """() => {
            const c = document.getElementById('rgb');
            return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data.filter((_, i) => i % 16 === 0));
        }"""
    )


def test_walking_the_sample_changes_the_frame(page):
    assert "connected" in page.inner_text("#status")
    page.select_option("#size", "256x256")
    page.click("#sample")
    page.wait_for_function("Number(document.body.dataset.frames) >= 1", timeout=60_000)
    before, pixels_before = frames(page), rgb_pixels(page)
    assert len(set(pixels_before)) > 10, "the first frame shows the sample, not a blank canvas"

    page.keyboard.down("w")
    page.wait_for_function(f"Number(document.body.dataset.frames) >= {before + 2}", timeout=60_000)
    page.keyboard.up("w")
    page.keyboard.down("ArrowLeft")
    page.wait_for_function(f"Number(document.body.dataset.frames) >= {before + 4}", timeout=60_000)
    page.keyboard.up("ArrowLeft")

    assert rgb_pixels(page) != pixels_before
    assert page.inner_text("#fps") != "–" and page.inner_text("#latency") != "–"
    z = float(page.inner_text("#position").removesuffix(" m").split(",")[2])
    assert z < -0.01, "W walked forward (the camera's -z)"
    assert not page.eval_on_selector("#save", "b => b.disabled") and not page.eval_on_selector("#ply", "b => b.disabled")


def test_the_on_screen_buttons_walk_too(page):
    page.select_option("#size", "256x256")
    page.click("#sample")
    page.wait_for_function("Number(document.body.dataset.frames) >= 1", timeout=60_000)
    before = frames(page)
    button = page.locator("[data-key=KeyD]")
    button.hover()
    page.mouse.down()
    page.wait_for_function(f"Number(document.body.dataset.frames) >= {before + 2}", timeout=60_000)
    page.mouse.up()
    x = float(page.inner_text("#position").split(",")[0])
    assert x > 0.01, "D strafed right"


def test_save_world_and_export_ply_download_files(page):
    page.select_option("#size", "256x256")
    page.click("#sample")
    page.wait_for_function("Number(document.body.dataset.frames) >= 1", timeout=60_000)
    with page.expect_download() as saved:
        page.click("#save")
    with page.expect_download() as exported:
        page.click("#ply")
    assert saved.value.suggested_filename == "world.gwm"
    assert len(Path(saved.value.path()).read_bytes()) > 1000
    assert exported.value.suggested_filename == "world.ply"
    assert Path(exported.value.path()).read_bytes().startswith(b"ply\n")


def test_the_browser_codec_reads_the_golden_vectors(page):
    """playground/msgpack.js decodes every vector, and encodes those a JavaScript value pins down."""
    index = json.loads((VECTORS / "index.json").read_text(encoding="utf-8"))
    vectors = [
        {
            "name": e["name"],
            "data": base64.b64encode((VECTORS / e["file"]).read_bytes()).decode(),
            "value": e["value"],
            "canonical": e["canonical"],
        }
        for e in index["vectors"]
    ]
    failures = page.evaluate(
        """async (vectors) => {
            const { decode, encode } = await import('/msgpack.js');
            const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const number = (v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v);
            // Expected JS value from the JSON notation; `exact` is false where JS cannot say
            // which msgpack form to write (float32, or a float64 holding an integer).
            let exact = true;
            const js = (v) => {
                if (Array.isArray(v)) return v.map(js);
                if (v !== null && typeof v === 'object') {
                    const keys = Object.keys(v);
                    if (keys.length === 1 && keys[0] === '$int') {
                        const big = BigInt(v.$int);
                        return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
                    }
                    if (keys.length === 1 && keys[0] === '$f32') { exact = false; return v.$f32; }
                    if (keys.length === 1 && keys[0] === '$f64') {
                        const n = number(v.$f64);
                        if (Number.isInteger(n)) exact = false;
                        return n;
                    }
                    if (keys.length === 1 && keys[0] === '$bin') return bytes(v.$bin);
                    return Object.fromEntries(keys.map((k) => [k, js(v[k])]));
                }
                return v;
            };
            const same = (a, b) => {
                if (typeof a === 'number' && typeof b === 'number') return Object.is(a, b) || a === b;
                if (a instanceof Uint8Array && b instanceof Uint8Array) return a.length === b.length && a.every((x, i) => x === b[i]);
                if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => same(x, b[i]));
                if (a && b && typeof a === 'object' && typeof b === 'object') {
                    const ka = Object.keys(a), kb = Object.keys(b);
                    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
                }
                return a === b;
            };
            const failures = [];
            for (const v of vectors) {
                const data = bytes(v.data);
                exact = true;
                const expected = js(v.value);
                try {
                    if (!same(decode(data), expected)) failures.push(`${v.name}: decoded value differs`);
                    if (v.canonical && exact && !same(encode(expected), data)) failures.push(`${v.name}: encoded bytes differ`);
                } catch (e) {
                    failures.push(`${v.name}: ${e}`);
                }
            }
            return failures;
        }""",
        vectors,
    )
    assert failures == []
