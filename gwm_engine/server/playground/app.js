// The playground: a browser client of the engine link (proto/ENGINE_LINK.md), served by the daemon.
// Seed a world from the sample or a dropped image (and its depth), walk it over a play stream,
// save it, export it. The view is the newest frame reprojected from the camera's current pose
// every display frame (reproject.js), so looking around answers at the display's rate.

import { decode, encode } from "./msgpack.js";
import { applyAction, MAX_GRID_STRIDE, Reprojector } from "./reproject.js";
import { readDepthFile } from "./depth_files.js";

const PROTOCOL_VERSION = "1.1.0";
const RGB_ENCODING_RAW = 1;
const DEPTH_ENCODING_FLOAT32 = 1;
const DEPTH_ENCODING_FLOAT16 = 2;

// The default controls of every client, mirrored from plugins/controls.json (a test compares).
const CONTROLS = {
  "keys": {
    "forward": ["KeyW"],
    "back": ["KeyS"],
    "left": ["KeyA"],
    "right": ["KeyD"],
    "up": ["KeyE"],
    "down": ["KeyQ"],
    "turn_left": ["ArrowLeft"],
    "turn_right": ["ArrowRight"],
    "look_up": ["ArrowUp"],
    "look_down": ["ArrowDown"],
    "run": ["ShiftLeft", "ShiftRight"],
    "reset": ["KeyR"]
  },
  "gamepad": {
    "move": "left_stick",
    "look": "right_stick",
    "up": "right_shoulder",
    "down": "left_shoulder",
    "run": "left_stick_press",
    "reset": "select"
  },
  "mouse_deg_per_pixel": 0.15,
  "run_multiplier": 3.0,
  "default_walk_speed_mps": 1.5,
  "default_turn_rate_dps": 90.0
};
// The browser's standard gamepad layout: the indices of the sticks' axes and of the buttons named above.
const GAMEPAD = {
  left_stick: [0, 1],
  right_stick: [2, 3],
  left_shoulder: 4,
  right_shoulder: 5,
  select: 8,
  left_stick_press: 10,
};
const STICK_DEAD_ZONE = 0.15;
const SMOOTH_FPS = 30;
const RATE_WINDOW_MS = 5000; // long enough to count a daemon held at one frame a second
const MAX_ERROR_CHARS = 160;

const $ = (id) => document.getElementById(id);

class LinkError extends Error {
  constructor(reply) {
    super(`${reply.code_name}: ${reply.message}`);
    this.codeName = reply.code_name;
  }
}

// One WebSocket to the daemon: calls matched to replies by id, play streams by their id.
class Link {
  constructor(url) {
    this.url = url;
    this.nextId = 1;
    this.calls = new Map(); // id -> {resolve, reject}
    this.streams = new Map(); // id -> function(message)
    this.onclose = () => {};
  }

  open() {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(this.url);
      ws.binaryType = "arraybuffer";
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot open ${this.url}`));
      ws.onclose = (event) => {
        for (const call of this.calls.values()) call.reject(new Error("the connection closed"));
        this.calls.clear();
        this.onclose(event);
      };
      ws.onmessage = (event) => this.receive(decode(new Uint8Array(event.data)));
      this.ws = ws;
    });
  }

  close() {
    if (this.ws) this.ws.close();
  }

  receive(message) {
    const call = this.calls.get(message.id);
    if (call) {
      this.calls.delete(message.id);
      if (message.type === "error") call.reject(new LinkError(message));
      else call.resolve(message);
      return;
    }
    const stream = this.streams.get(message.id);
    if (stream) stream(message);
    else if (message.type === "error") showError(new LinkError(message));
  }

  newId() {
    return this.nextId++;
  }

  send(type, id, fields = {}) {
    this.ws.send(encode({ type, id, ...fields }));
  }

  call(type, fields = {}) {
    const id = this.newId();
    return new Promise((resolve, reject) => {
      this.calls.set(id, { resolve, reject });
      this.send(type, id, fields);
    });
  }
}

const state = {
  link: null,
  info: null,
  session: null, // SessionInfo of the session being walked
  playId: null, // the open play stream, if any
  seq: 0,
  resetSeq: 0, // the seq of the last reset: play frames before it are stale
  frames: 0,
  frameTimes: [], // performance.now() of recent frames, for the frame rate
  drawTimes: [], // performance.now() of recent display frames, for the display rate
  latencies: [], // recent action -> frame round trips (ms)
  photons: [], // recent rotation input -> display frame showing it (ms)
  turnInputAt: null, // event time of the oldest rotation input not yet drawn
  held: new Set(), // KeyboardEvent.code of held keys and on-screen buttons
  mouse: { dx: 0, dy: 0 },
  padResetHeld: false,
  lastTick: null,
  walkingSince: 0,
  meshCheckedAt: 0,
  view: null, // the Reprojector
  framePose: null, // the newest frame's pose
  unanswered: [], // actions sent after the newest frame's seq: {seq, action}
};

function nowUs() {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

function setStatus(text, isError = false) {
  const status = $("status");
  status.textContent = text;
  status.classList.toggle("error", isError);
}

function showError(error) {
  console.error(error);
  let text = error.message || String(error);
  if (text.length > MAX_ERROR_CHARS) text = `${text.slice(0, MAX_ERROR_CHARS - 1)}…`;
  setStatus(text, true);
}

function setWorldControls(enabled) {
  for (const id of ["sample", "file", "depth-file"]) $(id).disabled = !state.link;
  for (const id of ["save", "ply", "reset"]) $(id).disabled = !enabled;
}

// --- connecting ---

async function connect() {
  if (state.link) state.link.close();
  state.link = null;
  state.session = null;
  state.playId = null;
  setWorldControls(false);
  const link = new Link(`ws://${location.host}/link`);
  link.onclose = () => {
    if (state.link === link) {
      state.link = null;
      setWorldControls(false);
      setStatus("disconnected: press Connect", true);
    }
  };
  try {
    setStatus("connecting…");
    await link.open();
    const token = $("token").value || new URLSearchParams(location.search).get("token") || "";
    await link.call("hello", token ? { protocol_version: PROTOCOL_VERSION, token } : { protocol_version: PROTOCOL_VERSION });
    state.info = await link.call("get_info");
    state.link = link;
    setWorldControls(false);
    setStatus(`connected: model ${state.info.model_name} ${state.info.model_version}; pick a world`);
  } catch (error) {
    link.close();
    if (error.codeName === "UNAUTHENTICATED") setStatus("this daemon wants a token: enter it and press Connect", true);
    else showError(error);
  }
}

// --- seeding a world ---

function outputSize() {
  const [width, height] = $("size").value.split("x").map(Number);
  return { width, height };
}

function fovDeg() {
  const fov = Number($("fov").value);
  if (!(fov >= 10 && fov <= 150)) throw new Error("field of view: give 10 to 150 degrees");
  return fov;
}

async function closeCurrentSession() {
  const { link, session, playId } = state;
  state.session = null;
  state.playId = null;
  setWorldControls(false);
  if (!link || !session) return;
  if (playId !== null) link.streams.delete(playId);
  try {
    await link.call("close_session", { session_id: session.session_id });
  } catch (error) {
    console.warn("closing the previous session:", error);
  }
}

async function createSession(seedImage, seedDepth = null, depthEncoding = DEPTH_ENCODING_FLOAT32, fov = fovDeg()) {
  await closeCurrentSession();
  setStatus("growing a world…");
  const request = {
    protocol_version: PROTOCOL_VERSION,
    seed_image: seedImage,
    ...outputSize(),
    fov_deg: fov,
    rgb_encoding: RGB_ENCODING_RAW,
    depth_encoding: DEPTH_ENCODING_FLOAT32,
  };
  if (seedDepth) Object.assign(request, { seed_depth: seedDepth, seed_depth_encoding: depthEncoding });
  const reply = await state.link.call("create_session", request);
  startWalking(reply.session);
  showFrame(reply.first_frame);
}

async function loadWorld(world) {
  await closeCurrentSession();
  setStatus("loading the world…");
  const reply = await state.link.call("load_world", {
    protocol_version: PROTOCOL_VERSION,
    world,
    rgb_encoding: RGB_ENCODING_RAW,
    depth_encoding: DEPTH_ENCODING_FLOAT32,
  });
  startWalking(reply.session);
  showFrame(await state.link.call("step", { session_id: reply.session.session_id }));
}

function startWalking(session) {
  state.session = session;
  state.frameTimes = [];
  state.latencies = [];
  state.photons = [];
  state.drawTimes = [];
  state.unanswered = [];
  state.walkingSince = state.meshCheckedAt = performance.now();
  setWorldControls(true);
  showSpeed();
  setStatus(`walking ${session.width}×${session.height}, ${Math.round(session.fov_deg)}° field of view: WASD, arrows, mouse on the view`);
}

async function useSample() {
  const [image, depth] = await Promise.all(["sample.png", "sample_depth.f16"].map(async (path) => {
    const response = await fetch(path);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }));
  // The sample's depth was rendered with a 60° camera, whatever the field-of-view setting says.
  await createSession(image, depth, DEPTH_ENCODING_FLOAT16, 60);
}

async function imageSize(bytes, type) {
  const bitmap = await createImageBitmap(new Blob([bytes], { type }));
  const size = { width: bitmap.width, height: bitmap.height };
  bitmap.close();
  return size;
}

async function useFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (!file.type.startsWith("image/")) {
    await loadWorld(bytes); // a world file from "Save world"
    return;
  }
  const depthFile = $("depth-file").files[0];
  if (!depthFile) {
    await createSession(bytes);
    return;
  }
  let size;
  try {
    size = await imageSize(bytes, file.type);
  } catch {
    throw new Error(`${file.name} is not an image this browser can read`);
  }
  const depth = await readDepthFile(depthFile);
  if (depth.width !== size.width || depth.height !== size.height) {
    throw new Error(`the depth file is ${depth.width}×${depth.height} but the image is ${size.width}×${size.height}: they must match`);
  }
  await createSession(bytes, depth.bytes, depth.encoding);
}

/** A failed upload leaves no stale world behind: the old frame goes, the error stays short. */
async function seedGuarded(seed) {
  try {
    await seed();
  } catch (error) {
    await closeCurrentSession();
    clearView();
    showError(error);
  }
}

async function reset() {
  const { link, session } = state;
  if (!link || !session) return;
  // Daemons since protocol 1.1 reset a session themselves (walk mode's reset, exact start frame);
  // older ones are sent the start pose as an absolute action.
  const [major, minor] = String(state.info.protocol_version).split(".").map(Number);
  if (major > 1 || minor >= 1) {
    const seq = ++state.seq;
    state.resetSeq = seq;
    const frame = await link.call("reset", { session_id: session.session_id, seq, client_time_us: nowUs() });
    state.unanswered = [];
    showFrame(frame);
  } else {
    sendAction({ pose: [...session.pose] });
  }
  setStatus("back at the start");
}

// --- walking: one play stream, actions out, frames in (the daemon coalesces what we send) ---

function sendAction(action) {
  const link = state.link;
  if (!link || !state.session) return;
  const seq = ++state.seq;
  const fields = { ...action, seq, client_time_us: nowUs() };
  if (state.playId === null) {
    state.playId = link.newId();
    const id = state.playId;
    link.streams.set(id, (message) => onPlayMessage(id, message));
    fields.session_id = state.session.session_id;
  }
  link.send("play", state.playId, fields);
  state.unanswered.push({ seq, action });
}

function onPlayMessage(id, message) {
  if (message.type === "play") {
    // A frame of actions sent before a reset, finished after it: the reset's frame is newer.
    if (Number(message.seq) >= state.resetSeq) showFrame(message);
    return;
  }
  // "error" or "play_end": the stream is over; the next action opens a new one.
  state.link?.streams.delete(id);
  if (state.playId === id) state.playId = null;
  state.unanswered = [];
  if (message.type !== "error") return;
  if (message.code_name === "NOT_FOUND") {
    // closed or idle-evicted: stop walking rather than reopen a stream at every key press
    state.session = null;
    setWorldControls(false);
    setStatus("the session is gone (closed or idle for too long): pick a world again", true);
    return;
  }
  showError(new LinkError(message));
}

function held(name) {
  return CONTROLS.keys[name].some((code) => state.held.has(code));
}

function axis(plus, minus) {
  return (held(plus) ? 1 : 0) - (held(minus) ? 1 : 0);
}

function dead(value) {
  return Math.abs(value) < STICK_DEAD_ZONE ? 0 : value;
}

/** The first connected gamepad's state in the controls' terms (zeros without one). */
function gamepadInput() {
  const pad = [...(navigator.getGamepads?.() ?? [])].find((p) => p && p.connected);
  const input = { right: 0, forward: 0, up: 0, lookRight: 0, lookUp: 0, run: false, reset: false };
  if (!pad) return input;
  const pressed = (name) => Boolean(pad.buttons[GAMEPAD[CONTROLS.gamepad[name]]]?.pressed);
  const stick = (name) => GAMEPAD[CONTROLS.gamepad[name]].map((i) => dead(pad.axes[i] ?? 0));
  const [mx, my] = stick("move");
  const [lx, ly] = stick("look");
  return {
    right: mx,
    forward: -my, // stick up reads negative
    up: (pressed("up") ? 1 : 0) - (pressed("down") ? 1 : 0),
    lookRight: lx,
    lookUp: -ly,
    run: pressed("run"),
    reset: pressed("reset"),
  };
}

/** The session's suggested speeds (its scale), times the speed setting. */
function speeds() {
  const scale = Number($("speed").value);
  const s = state.session ?? {};
  const walk = s.walk_speed_mps > 0 ? s.walk_speed_mps : CONTROLS.default_walk_speed_mps;
  const turn = s.turn_rate_dps > 0 ? s.turn_rate_dps : CONTROLS.default_turn_rate_dps;
  return { walk: walk * scale, turn: turn * Math.sqrt(scale) };
}

function showSpeed() {
  const { walk, turn } = speeds();
  $("speed-value").textContent = `${walk.toFixed(2)} m/s, ${turn.toFixed(0)}°/s`;
}

function tick(time) {
  const dt = state.lastTick === null ? 0 : Math.min(0.1, (time - state.lastTick) / 1000);
  state.lastTick = time;
  const pad = gamepadInput();
  if (pad.reset && !state.padResetHeld) guarded(reset)();
  state.padResetHeld = pad.reset;
  if (pad.lookRight || pad.lookUp) state.turnInputAt ??= performance.now();
  const limitTurn = state.info ? state.info.max_turn_deg : 360;
  const limitMove = state.info ? state.info.max_move_m : 100;
  const { walk, turn } = speeds();
  const step = walk * dt * (held("run") || pad.run ? CONTROLS.run_multiplier : 1);
  const turnStep = turn * dt;
  const mouse = CONTROLS.mouse_deg_per_pixel;
  const action = {
    move_right_m: clamp((axis("right", "left") + pad.right) * step, limitMove),
    move_up_m: clamp((axis("up", "down") + pad.up) * step, limitMove),
    move_forward_m: clamp((axis("forward", "back") + pad.forward) * step, limitMove),
    turn_yaw_deg: clamp((axis("turn_left", "turn_right") - pad.lookRight) * turnStep - state.mouse.dx * mouse, limitTurn),
    turn_pitch_deg: clamp((axis("look_up", "look_down") + pad.lookUp) * turnStep - state.mouse.dy * mouse, limitTurn),
  };
  state.mouse.dx = state.mouse.dy = 0;
  if (Object.values(action).some((v) => v !== 0)) sendAction(action);
  draw();
  requestAnimationFrame(tick);
}

function clamp(value, limit) {
  return Math.max(-limit, Math.min(limit, value));
}

/** Where the camera is now: the newest frame's pose and every action sent since. */
function predictedPose() {
  let pose = state.framePose;
  for (const { action } of state.unanswered) pose = applyAction(pose, action);
  return pose;
}

function draw() {
  if (!state.view || !state.framePose) return;
  state.view.draw(predictedPose());
  const now = performance.now();
  state.drawTimes.push(now);
  while (state.drawTimes.length && now - state.drawTimes[0] > RATE_WINDOW_MS) state.drawTimes.shift();
  while (state.frameTimes.length && now - state.frameTimes[0] > RATE_WINDOW_MS) state.frameTimes.shift();
  if (state.turnInputAt !== null) {
    state.photons.push(now - state.turnInputAt);
    if (state.photons.length > 30) state.photons.shift();
    state.turnInputAt = null;
  }
  $("display-fps").textContent = rate(state.drawTimes, now).toFixed(1);
  $("fps").textContent = rate(state.frameTimes, now).toFixed(1);
  $("photon").textContent = state.photons.length ? median(state.photons).toFixed(1) : "–";
  adaptMesh(now);
  $("photon").textContent = state.photons.length ? median(state.photons).toFixed(1) : "–";
}

/** A display slower than SMOOTH_FPS gets a coarser mesh (reproject.js), judged on the second
 * before each check, checks two seconds apart so each judges the mesh it set. */
function adaptMesh(now) {
  if (now - state.meshCheckedAt < 2000) return;
  state.meshCheckedAt = now;
  const fps = state.drawTimes.filter((t) => now - t <= 1000).length;
  if (fps < SMOOTH_FPS && state.view.stride < MAX_GRID_STRIDE) state.view.setStride(state.view.stride + 1);
  document.body.dataset.meshStride = String(state.view.stride);
}

/** Events a second: those of the last RATE_WINDOW_MS (or since walking began, if sooner)
 * over that time. A count, not the spacing of the first and last: a busy page handling two
 * frames back to back must not read as a burst of speed. */
function rate(times, now) {
  const span = Math.min(RATE_WINDOW_MS, now - state.walkingSince);
  return span > 0 ? (times.length * 1000) / span : 0;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

// --- showing frames ---

const TURBO = turboLut();

function turboLut() {
  // Google's polynomial approximation of the Turbo colour map, 256 entries.
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = i / 255;
    const r = 0.13572138 + t * (4.6153926 + t * (-42.66032258 + t * (132.13108234 + t * (-152.94239396 + t * 59.28637943))));
    const g = 0.09140261 + t * (2.19418839 + t * (4.84296658 + t * (-14.18503333 + t * (4.27729857 + t * 2.82956604))));
    const b = 0.1066733 + t * (12.64194608 + t * (-60.58204836 + t * (110.36276771 + t * (-89.90310912 + t * 27.34824973))));
    lut.set([r, g, b].map((c) => Math.round(255 * Math.min(1, Math.max(0, c)))), i * 3);
  }
  return lut;
}

function showFrame(frame) {
  const { width, height } = frame;
  const depth = new Float32Array(frame.depth.buffer, frame.depth.byteOffset, width * height);
  state.framePose = frame.pose;
  state.unanswered = state.unanswered.filter((sent) => sent.seq > Number(frame.seq));
  state.view.setFrame({ width, height, rgb: frame.rgb, depth, pose: frame.pose, fx: frame.fx_px, fy: frame.fy_px, cx: frame.cx_px, cy: frame.cy_px });
  draw();
  drawDepth(depth, width, height);
  state.frames += 1;
  document.body.dataset.frames = String(state.frames);
  state.frameTimes.push(performance.now());
  if (frame.seq > 0) {
    state.latencies.push((nowUs() - Number(frame.client_time_us)) / 1000);
    if (state.latencies.length > 60) state.latencies.shift();
  }
  $("latency").textContent = state.latencies.length ? median(state.latencies).toFixed(1) : "–";
  $("server").textContent = frame.timings_ms.server_total?.toFixed(1) ?? "–";
  $("index").textContent = String(frame.index);
  const p = frame.pose; // row-major world-from-camera: the position is the last column
  $("position").textContent = `${p[3].toFixed(2)}, ${p[7].toFixed(2)}, ${p[11].toFixed(2)} m`;
}

function clearView() {
  state.framePose = null;
  state.unanswered = [];
  state.view.clear();
  const depth = $("depth");
  depth.getContext("2d").clearRect(0, 0, depth.width, depth.height);
  for (const id of ["fps", "latency", "server", "index", "position", "display-fps", "photon"]) $(id).textContent = "–";
}

function canvasImage(id, width, height) {
  const canvas = $(id);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext("2d");
  return { context, image: context.createImageData(width, height) };
}

function drawDepth(depth, width, height) {
  // Colour by inverse depth between the frame's nearest and farthest valid pixel: detail near
  // the camera, where it matters for walking, gets most of the colour range.
  let near = Infinity;
  let far = 0;
  for (const d of depth) {
    if (d > 0 && Number.isFinite(d)) {
      if (d < near) near = d;
      if (d > far) far = d;
    }
  }
  const { context, image } = canvasImage("depth", width, height);
  const out = image.data;
  const span = 1 / near - 1 / far || 1;
  for (let i = 0, j = 0; i < depth.length; i++, j += 4) {
    const d = depth[i];
    if (d > 0 && Number.isFinite(d)) {
      const k = 3 * Math.round(255 * ((1 / d - 1 / far) / span));
      out[j] = TURBO[k];
      out[j + 1] = TURBO[k + 1];
      out[j + 2] = TURBO[k + 2];
    }
    out[j + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

// --- saving ---

function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function saveWorld() {
  const reply = await state.link.call("save_world", { session_id: state.session.session_id });
  download(reply.world, "world.gwm", "application/x-msgpack");
  setStatus(`saved the world (${(reply.world.length / 1e6).toFixed(1)} MB); drop it here to walk it again`);
}

async function exportPly() {
  const reply = await state.link.call("export_geometry", { session_id: state.session.session_id });
  download(reply.ply, "world.ply", "application/octet-stream");
  setStatus(`exported ${reply.point_count} points as PLY`);
}

// --- input ---

function guarded(fn) {
  return (...args) => Promise.resolve(fn(...args)).catch(showError);
}

const MOVE_KEYS = new Set(
  Object.entries(CONTROLS.keys).filter(([name]) => name !== "reset").flatMap(([, codes]) => codes),
);

function releaseMouse() {
  if (document.pointerLockElement) document.exitPointerLock();
}

function wireInput() {
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
    if (event.code === "Escape") {
      // Browsers let go of a captured mouse on Esc themselves; this also covers those that
      // hand the key to the page, and stops the walk.
      releaseMouse();
      state.held.clear();
      return;
    }
    if (CONTROLS.keys.reset.includes(event.code)) {
      if (!event.repeat) guarded(reset)();
      event.preventDefault();
      return;
    }
    if (!MOVE_KEYS.has(event.code)) return;
    if (!state.held.has(event.code) && event.code.startsWith("Arrow")) state.turnInputAt ??= event.timeStamp;
    state.held.add(event.code);
    event.preventDefault();
  });
  document.addEventListener("keyup", (event) => state.held.delete(event.code));
  window.addEventListener("blur", () => state.held.clear());
  // A closed or reloaded tab would otherwise hold its session (and a daemon slot) until it idles
  // out; the close is sent without waiting for its answer, the page is going.
  window.addEventListener("pagehide", () => {
    const { link, session } = state;
    if (link?.ws?.readyState === WebSocket.OPEN && session) link.send("close_session", link.newId(), { session_id: session.session_id });
  });

  const rgb = $("rgb");
  rgb.addEventListener("click", () => {
    if (state.session && document.pointerLockElement !== rgb) rgb.requestPointerLock();
  });
  document.addEventListener("pointerlockchange", () => {
    const captured = document.pointerLockElement === rgb;
    document.body.classList.toggle("captured", captured);
    $("capture-hint").hidden = !captured;
  });
  document.addEventListener("mousemove", (event) => {
    if (document.pointerLockElement === rgb) {
      state.mouse.dx += event.movementX;
      state.mouse.dy += event.movementY;
      if (event.movementX || event.movementY) state.turnInputAt ??= event.timeStamp;
    }
  });

  for (const button of document.querySelectorAll("[data-key]")) {
    const key = button.dataset.key;
    const release = () => {
      state.held.delete(key);
      button.classList.remove("held");
    };
    button.addEventListener("pointerdown", (event) => {
      button.setPointerCapture(event.pointerId);
      if (key.startsWith("Arrow")) state.turnInputAt ??= event.timeStamp;
      state.held.add(key);
      button.classList.add("held");
    });
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) button.addEventListener(name, release);
  }

  $("login").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await connect();
  }));
  $("sample").addEventListener("click", () => seedGuarded(useSample));
  $("file").addEventListener("change", (event) => {
    if (event.target.files.length) seedGuarded(() => useFile(event.target.files[0]));
  });
  $("save").addEventListener("click", guarded(saveWorld));
  $("ply").addEventListener("click", guarded(exportPly));
  $("reset").addEventListener("click", guarded(reset));
  $("speed").addEventListener("input", showSpeed);

  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    document.body.classList.remove("dragging");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (!state.link) {
      showError(new Error("not connected"));
      return;
    }
    seedGuarded(() => useFile(file));
  });
}

try {
  state.view = new Reprojector($("rgb"));
} catch (error) {
  showError(error);
}
wireInput();
requestAnimationFrame(tick);
guarded(connect)();
