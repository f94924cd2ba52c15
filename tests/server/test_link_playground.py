"""The browser playground in headless Chromium (Debian's `chromium`, driven by Playwright).

Needs /usr/bin/chromium (apt package `chromium`) and the `playwright` Python package; the
browser Playwright would download is never used (no `playwright install`). WebGL2 runs in
headless Chromium through SwiftShader, so the reprojected view is really drawn and screenshots
show it.
"""

import base64
import io
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gwm_engine.client import LocalDaemon

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
SLOW_FPS = 1  # the daemon's frame rate cap for the reprojection test
MAX_ERROR_CHARS = 160  # app.js: a longer error is cut to this


@pytest.fixture(scope="module")
def browser() -> Iterator["sync_api.Browser"]:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_playground(browser, daemon: LocalDaemon) -> Iterator["sync_api.Page"]:
    """The playground, loaded and connected (`browser`: a browser or a context); fails the test
    on any script error in the page."""
    page = browser.new_page()
    page.set_viewport_size({"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(daemon.link_url.replace("ws://", "http://").removesuffix("/link") + "/")
    page.wait_for_function("!document.getElementById('sample').disabled", timeout=30_000)
    yield page
    page.close()
    assert not errors, errors


@pytest.fixture
def page(browser, daemon):
    yield from open_playground(browser, daemon)


@pytest.fixture(scope="module")
def slow_daemon() -> Iterator[LocalDaemon]:
    """The real daemon held to SLOW_FPS frames a second per play stream (serve --max-fps)."""
    # One session: cross-session batching (and its calibration at start) has nothing to do.
    with LocalDaemon(["--max-fps", str(SLOW_FPS), "--batching", "off"], start_timeout_s=120) as d:
        yield d


@pytest.fixture
def slow_page(browser, slow_daemon):
    yield from open_playground(browser, slow_daemon)


def frames(page) -> int:
    return int(page.evaluate("document.body.dataset.frames"))


def wait_frames(page, at_least: int) -> None:
    page.wait_for_function(f"Number(document.body.dataset.frames) >= {at_least}", timeout=60_000)


def start_sample(page) -> None:
    page.select_option("#size", "256x256")
    page.click("#sample")
    wait_frames(page, 1)


def view_pixels(page) -> np.ndarray:
    """The reprojected view's pixels (H, W, 3), top row first, read from its WebGL canvas."""
    width, height, data = page.evaluate(
        """() => {
            const c = document.getElementById('rgb');
            const gl = c.getContext('webgl2');
            const px = new Uint8Array(c.width * c.height * 4);
            gl.readPixels(0, 0, c.width, c.height, gl.RGBA, gl.UNSIGNED_BYTE, px);
            let text = '';
            for (let i = 0; i < px.length; i += 8192) text += String.fromCharCode(...px.subarray(i, i + 8192));
            return [c.width, c.height, btoa(text)];
        }"""
    )
    rgba = np.frombuffer(base64.b64decode(data), np.uint8).reshape(height, width, 4)
    return rgba[::-1, :, :3]


def depth_panel(page) -> np.ndarray:
    data = page.evaluate(
        """() => {
            const c = document.getElementById('depth');
            return [c.width, c.height, Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)];
        }"""
    )
    width, height, values = data
    return np.array(values, np.uint8).reshape(height, width, 4)[..., :3]


def position(page) -> tuple[float, float, float]:
    x, y, z = (float(v) for v in page.inner_text("#position").removesuffix(" m").split(","))
    return x, y, z


def png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_walking_the_sample_changes_the_frame(page):
    assert "connected" in page.inner_text("#status")
    start_sample(page)
    before, pixels_before = frames(page), view_pixels(page)
    assert len(np.unique(pixels_before.reshape(-1, 3), axis=0)) > 100, "the first frame shows the sample, not a blank canvas"

    page.keyboard.down("w")
    wait_frames(page, before + 2)
    page.keyboard.up("w")
    page.keyboard.down("ArrowLeft")
    wait_frames(page, before + 4)
    page.keyboard.up("ArrowLeft")

    assert not np.array_equal(view_pixels(page), pixels_before)
    assert page.inner_text("#fps") != "–" and page.inner_text("#latency") != "–"
    assert position(page)[2] < -0.01, "W walked forward (the camera's -z)"
    assert not page.eval_on_selector("#save", "b => b.disabled") and not page.eval_on_selector("#ply", "b => b.disabled")


def test_the_on_screen_buttons_walk_too(page):
    start_sample(page)
    before = frames(page)
    button = page.locator("[data-key=KeyD]")
    button.hover()
    page.mouse.down()
    wait_frames(page, before + 2)
    page.mouse.up()
    assert position(page)[0] > 0.01, "D strafed right"


def test_save_world_and_export_ply_download_files(page):
    start_sample(page)
    with page.expect_download() as saved:
        page.click("#save")
    with page.expect_download() as exported:
        page.click("#ply")
    assert saved.value.suggested_filename == "world.gwm"
    assert len(Path(saved.value.path()).read_bytes()) > 1000
    assert exported.value.suggested_filename == "world.ply"
    assert Path(exported.value.path()).read_bytes().startswith(b"ply\n")


def horizontal_shift(a: np.ndarray, b: np.ndarray, most: int) -> tuple[int, float, float]:
    """The shift s (pixels, + = content moved right) that best maps screenshot a onto b, its
    mean absolute difference, and the difference without shifting."""
    ga, gb = a.astype(np.float32).mean(axis=2), b.astype(np.float32).mean(axis=2)
    width = ga.shape[1]
    errors = {}
    for s in range(-most, most + 1):
        left, right = (ga[:, : width - s], gb[:, s:]) if s >= 0 else (ga[:, -s:], gb[:, : width + s])
        errors[s] = float(np.abs(left - right).mean())
    best = min(errors, key=errors.get)
    return best, errors[best], errors[0]


def test_the_view_turns_at_display_rate_between_frames(slow_page, tmp_path):
    """The daemon is held at SLOW_FPS frames a second. While the left arrow is held the page
    redraws the newest frame from the turning camera at display rate: it reports display fps
    >= 3x frame fps, and two screenshots between the same two frames differ by a shift to the
    right (turning left moves the world right in the image)."""
    page = slow_page
    page.evaluate("() => { const s = document.getElementById('speed'); s.value = '0.1'; s.dispatchEvent(new Event('input')); }")
    start_sample(page)
    # 7 s of turning, for the rates' 5 s windows and for the mesh to settle to what this machine
    # draws smoothly: left and right by turns, so the seed stays in view (turned 200 degrees
    # away, the view holds only the per-frame fill, which can be too plain to show a shift).
    for key, seconds in [("ArrowLeft", 0.5)] + [("ArrowRight", 1), ("ArrowLeft", 1)] * 3 + [("ArrowRight", 0.5)]:
        page.keyboard.down(key)
        time.sleep(seconds)
        page.keyboard.up(key)
    page.keyboard.down("ArrowLeft")
    try:
        display = float(page.inner_text("#display-fps"))
        frame_rate = float(page.inner_text("#fps"))
        photon = page.inner_text("#photon")
        # The page reads frames when its busy main thread gets to them, which jitters their spacing.
        assert 0 < frame_rate <= SLOW_FPS * 2, f"the daemon's frame rate {frame_rate} is not held near {SLOW_FPS}"
        assert display >= 3 * frame_rate, f"display {display} fps is not 3x the frames' {frame_rate} fps"
        assert photon != "–" and float(photon) > 0

        # Right after a frame arrives the next is a second away: two screenshots fit between.
        box = page.locator("#rgb").bounding_box()

        def screenshot() -> np.ndarray:
            png_bytes = page.screenshot(clip=box, animations="allow", caret="initial", scale="css")
            return np.asarray(Image.open(io.BytesIO(png_bytes)).convert("RGB"))

        for _ in range(15):
            count = frames(page)
            wait_frames(page, count + 1)
            count, index = frames(page), page.inner_text("#index")
            first = screenshot()
            time.sleep(0.15)  # and the screenshots themselves: several degrees of turn
            second = screenshot()
            if frames(page) == count and page.inner_text("#index") == index:
                break
        else:
            pytest.fail("no two screenshots fell between the same two frames")
    finally:
        page.keyboard.up("ArrowLeft")
    Image.fromarray(np.concatenate([first, second], axis=1)).save(tmp_path / "between_frames.png")
    shift, error, unshifted = horizontal_shift(first, second, most=first.shape[1] // 2)
    assert shift >= 3, f"the view moved {shift} px between screenshots of one frame (want > 0: right, as a left turn looks)"
    assert error < 0.6 * unshifted, f"a shift of {shift} px explains little of the change ({error:.1f} vs {unshifted:.1f})"


def test_field_of_view_and_depth_files_reach_the_session(page):
    """The field-of-view setting and a depth file beside the image (.npy float metres, then a
    16-bit PNG of millimetres) seed the world: the depth panel shows each ramp's direction
    (near is warm)."""
    rng = np.random.default_rng(3)
    image = rng.integers(0, 255, (96, 128, 3), dtype=np.uint8)
    ramp = np.tile(np.linspace(1.0, 8.0, 128, dtype=np.float32), (96, 1))
    npy = io.BytesIO()
    np.save(npy, ramp)
    page.select_option("#size", "256x256")

    def seed(depth_name: str, depth: bytes, mime: str) -> np.ndarray:
        count = frames(page)
        page.set_input_files("#depth-file", files=[{"name": depth_name, "mimeType": mime, "buffer": depth}])
        page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": png(image)}])
        wait_frames(page, count + 1)
        panel = depth_panel(page).astype(int)
        return panel[:, :80].mean(axis=(0, 1)) - panel[:, -80:].mean(axis=(0, 1))  # left minus right, RGB

    page.fill("#fov", "40")
    left_minus_right = seed("depth.npy", npy.getvalue(), "application/octet-stream")
    assert "40° field of view" in page.inner_text("#status")
    assert left_minus_right[0] > 40 and left_minus_right[2] < -40, "near (left) is warm, far (right) is cool"

    millimetres = np.ascontiguousarray(ramp[:, ::-1] * 1000).astype(np.uint16)
    left_minus_right = seed("depth.png", png(millimetres), "image/png")
    assert left_minus_right[0] < -40 and left_minus_right[2] > 40, "the PNG's ramp runs the other way"


def test_a_depth_file_of_another_size_is_refused_in_plain_words(page):
    depth = _npy(np.ones((10, 10), np.float32))
    page.set_input_files("#depth-file", files=[{"name": "d.npy", "mimeType": "application/octet-stream", "buffer": depth}])
    image = png(np.zeros((20, 30, 3), np.uint8))
    page.set_input_files("#file", files=[{"name": "photo.png", "mimeType": "image/png", "buffer": image}])
    page.wait_for_selector("#status.error", timeout=30_000)
    assert "the depth file is 10×10 but the image is 30×20" in page.inner_text("#status")


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def test_speed_setting_scales_the_walk_and_reset_returns_to_the_start(page):
    start_sample(page)
    one = float(page.inner_text("#speed-value").split()[0])
    page.evaluate("() => { const s = document.getElementById('speed'); s.value = '2'; s.dispatchEvent(new Event('input')); }")
    assert float(page.inner_text("#speed-value").split()[0]) == pytest.approx(2 * one, abs=0.011)

    before = frames(page)
    page.keyboard.down("w")
    wait_frames(page, before + 2)
    page.keyboard.up("w")
    page.wait_for_function("!document.getElementById('position').textContent.startsWith('0.00, 0.00, 0.00')", timeout=30_000)
    page.click("#reset")
    page.wait_for_function("document.getElementById('position').textContent === '0.00, 0.00, 0.00 m'", timeout=30_000)
    page.keyboard.down("w")
    wait_frames(page, frames(page) + 2)
    page.keyboard.up("w")
    page.keyboard.press("r")  # the reset key does the same
    page.wait_for_function("document.getElementById('position').textContent === '0.00, 0.00, 0.00 m'", timeout=30_000)


def test_esc_releases_the_mouse_and_the_buttons_work(page):
    start_sample(page)
    page.click("#rgb")
    page.wait_for_function("document.pointerLockElement === document.getElementById('rgb')", timeout=10_000)
    assert page.is_visible("#capture-hint")
    page.keyboard.press("Escape")
    page.wait_for_function("document.pointerLockElement === null", timeout=10_000)
    assert not page.is_visible("#capture-hint")
    before = frames(page)
    page.keyboard.down("d")
    wait_frames(page, before + 2)
    page.keyboard.up("d")
    page.click("#reset")
    page.wait_for_function("document.getElementById('position').textContent === '0.00, 0.00, 0.00 m'", timeout=30_000)


def test_a_failed_upload_clears_the_view_and_says_why_briefly(page):
    start_sample(page)
    assert view_pixels(page).max() > 0
    broken = b"\x89PNG\r\n\x1a\nnot really" * 50
    page.set_input_files("#file", files=[{"name": "broken.png", "mimeType": "image/png", "buffer": broken}])
    page.wait_for_selector("#status.error", timeout=30_000)
    status = page.inner_text("#status")
    assert 0 < len(status) <= MAX_ERROR_CHARS and "INVALID_ARGUMENT" in status, status
    assert view_pixels(page).max() == 0, "the stale frame is gone"
    assert depth_panel(page).max() == 0
    assert page.eval_on_selector("#save", "b => b.disabled") and page.eval_on_selector("#reset", "b => b.disabled")


def test_a_16_bit_greyscale_seed_is_not_blown_out(page):
    y, x = np.mgrid[0:96, 0:128]
    grey = (20000 + 15000 * np.sin(x / 7.0) * np.cos(y / 5.0)).astype(np.uint16)  # mid-grey texture
    page.select_option("#size", "256x256")
    page.set_input_files("#file", files=[{"name": "grey16.png", "mimeType": "image/png", "buffer": png(grey)}])
    wait_frames(page, 1)
    view = view_pixels(page).astype(float)
    assert 40 < view.mean() < 130, f"mean {view.mean():.0f}: a 16-bit grey of about 78/255 came out too bright or dark"
    assert view.std() > 10, "its texture shows"


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
                        const safe = big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER);
                        return safe ? Number(big) : big;
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
                if (a instanceof Uint8Array && b instanceof Uint8Array) {
                    return a.length === b.length && a.every((x, i) => x === b[i]);
                }
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


def test_the_page_predicts_poses_as_the_daemon_applies_actions(page):
    """reproject.js's applyAction (the predicted pose between frames) equals the daemon's
    gwm_engine.geometry.apply_action on chains of random turns and moves."""
    from gwm_engine.geometry import CameraAction, apply_action

    rng = np.random.default_rng(11)
    chains = [[(rng.uniform(-1, 1, 3) * 0.5, rng.uniform(-1, 1, 3) * 40) for _ in range(6)] for _ in range(20)]
    start = np.eye(4)
    start[:3, 3] = (0.3, -0.2, 1.0)
    expected = []
    for chain in chains:
        pose = start
        for move, turn in chain:
            pose = apply_action(pose, CameraAction(move=tuple(move), turn=tuple(turn)))
        expected.append(pose.ravel().tolist())
    wire = [
        [{"move_right_m": m[0], "move_up_m": m[1], "move_forward_m": m[2], "turn_yaw_deg": t[0], "turn_pitch_deg": t[1],
          "turn_roll_deg": t[2]} for m, t in chain]  # fmt: skip
        for chain in chains
    ]
    got = page.evaluate(
        """async ([start, chains]) => {
            const { applyAction } = await import('/reproject.js');
            return chains.map((chain) => chain.reduce((pose, action) => applyAction(pose, action), start));
        }""",
        [start.ravel().tolist(), wire],
    )
    assert np.allclose(np.array(got), np.array(expected), atol=1e-9)


def test_a_gamepad_walks_and_resets(browser, daemon):
    """The standard gamepad layout (the browser's Gamepad API): left stick up walks forward,
    Select resets. There is no gamepad here, so the page is given one with the API's shape."""
    context = browser.new_context()
    context.add_init_script(
        """(() => {
            const pad = { connected: true, axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, () => ({ pressed: false })) };
            window.testGamepad = pad;
            navigator.getGamepads = () => [pad];
        })();"""
    )
    pages = open_playground(context, daemon)
    page = next(pages)
    try:
        start_sample(page)
        page.evaluate("() => { window.testGamepad.axes[1] = -1; }")  # left stick pushed up
        walked = "parseFloat(document.getElementById('position').textContent.split(',')[2]) < -0.05"
        page.wait_for_function(walked, timeout=60_000)
        page.evaluate("() => { window.testGamepad.axes[1] = 0; window.testGamepad.buttons[8].pressed = true; }")  # Select
        page.wait_for_function("document.getElementById('position').textContent === '0.00, 0.00, 0.00 m'", timeout=30_000)
    finally:
        next(pages, None)
        context.close()
