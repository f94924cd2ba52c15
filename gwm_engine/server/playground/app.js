// The playground: a browser client of the engine link (proto/ENGINE_LINK.md), served by the daemon.
// Seed a world from the sample or a dropped image, walk it over a play stream, save it, export it.

import { decode, encode } from "./msgpack.js";

const PROTOCOL_VERSION = "1.0.0";
const RGB_ENCODING_RAW = 1;
const DEPTH_ENCODING_FLOAT32 = 1;
const DEPTH_ENCODING_FLOAT16 = 2;
const FOV_DEG = 60;
const WALK_M_PER_S = 1.5;
const TURN_DEG_PER_S = 70;
const MOUSE_DEG_PER_PX = 0.15;

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
  frames: 0,
  frameTimes: [], // performance.now() of recent frames, for fps
  latencies: [], // recent action -> frame round trips (ms)
  held: new Set(), // KeyboardEvent.code of held keys and on-screen buttons
  mouse: { dx: 0, dy: 0 },
  lastTick: null,
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
  setStatus(error.message || String(error), true);
}

function setWorldControls(enabled) {
  for (const id of ["sample", "file"]) $(id).disabled = !state.link;
  for (const id of ["save", "ply"]) $(id).disabled = !enabled;
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

async function createSession(seedImage, seedDepth = null, depthEncoding = DEPTH_ENCODING_FLOAT32) {
  await closeCurrentSession();
  setStatus("growing a world…");
  const request = {
    protocol_version: PROTOCOL_VERSION,
    seed_image: seedImage,
    ...outputSize(),
    fov_deg: FOV_DEG,
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
  setWorldControls(true);
  setStatus(`walking ${session.width}×${session.height}: WASD, arrows, or click the view for the mouse`);
}

async function useSample() {
  const [image, depth] = await Promise.all(["sample.png", "sample_depth.f16"].map(async (path) => {
    const response = await fetch(path);
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  }));
  await createSession(image, depth, DEPTH_ENCODING_FLOAT16);
}

async function useFile(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (file.type.startsWith("image/")) await createSession(bytes);
  else await loadWorld(bytes); // a world file from "Save world"
}

// --- walking: one play stream, actions out, frames in (the daemon coalesces what we send) ---

function sendAction(action) {
  const link = state.link;
  if (!link || !state.session) return;
  const fields = { ...action, seq: ++state.seq, client_time_us: nowUs() };
  if (state.playId === null) {
    state.playId = link.newId();
    const id = state.playId;
    link.streams.set(id, (message) => onPlayMessage(id, message));
    fields.session_id = state.session.session_id;
  }
  link.send("play", state.playId, fields);
}

function onPlayMessage(id, message) {
  if (message.type === "play") {
    showFrame(message);
    return;
  }
  // "error" or "play_end": the stream is over; the next action opens a new one.
  state.link?.streams.delete(id);
  if (state.playId === id) state.playId = null;
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

function axis(plus, minus) {
  return (state.held.has(plus) ? 1 : 0) - (state.held.has(minus) ? 1 : 0);
}

function tick(time) {
  const dt = state.lastTick === null ? 0 : Math.min(0.1, (time - state.lastTick) / 1000);
  state.lastTick = time;
  const max = state.info ? state.info.max_turn_deg : 360;
  const step = WALK_M_PER_S * dt;
  const action = {
    move_right_m: axis("KeyD", "KeyA") * step,
    move_up_m: axis("KeyE", "KeyQ") * step,
    move_forward_m: axis("KeyW", "KeyS") * step,
    turn_yaw_deg: clamp(axis("ArrowLeft", "ArrowRight") * TURN_DEG_PER_S * dt - state.mouse.dx * MOUSE_DEG_PER_PX, max),
    turn_pitch_deg: clamp(axis("ArrowUp", "ArrowDown") * TURN_DEG_PER_S * dt - state.mouse.dy * MOUSE_DEG_PER_PX, max),
  };
  state.mouse.dx = state.mouse.dy = 0;
  if (Object.values(action).some((v) => v !== 0)) sendAction(action);
  requestAnimationFrame(tick);
}

function clamp(value, limit) {
  return Math.max(-limit, Math.min(limit, value));
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
  drawRgb(frame.rgb, width, height);
  drawDepth(new Float32Array(frame.depth.buffer, frame.depth.byteOffset, width * height), width, height);
  state.frames += 1;
  document.body.dataset.frames = String(state.frames);
  const now = performance.now();
  state.frameTimes.push(now);
  while (state.frameTimes.length && now - state.frameTimes[0] > 1000) state.frameTimes.shift();
  if (frame.seq > 0) {
    state.latencies.push((nowUs() - Number(frame.client_time_us)) / 1000);
    if (state.latencies.length > 60) state.latencies.shift();
  }
  const sorted = [...state.latencies].sort((a, b) => a - b);
  $("fps").textContent = String(state.frameTimes.length);
  $("latency").textContent = sorted.length ? sorted[Math.floor(sorted.length / 2)].toFixed(1) : "–";
  $("server").textContent = frame.timings_ms.server_total?.toFixed(1) ?? "–";
  $("index").textContent = String(frame.index);
  const p = frame.pose; // row-major world-from-camera: the position is the last column
  $("position").textContent = `${p[3].toFixed(2)}, ${p[7].toFixed(2)}, ${p[11].toFixed(2)} m`;
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

function drawRgb(rgb, width, height) {
  const { context, image } = canvasImage("rgb", width, height);
  const out = image.data;
  for (let i = 0, j = 0; i < width * height * 3; i += 3, j += 4) {
    out[j] = rgb[i];
    out[j + 1] = rgb[i + 1];
    out[j + 2] = rgb[i + 2];
    out[j + 3] = 255;
  }
  context.putImageData(image, 0, 0);
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

const KEYS = new Set(["KeyW", "KeyA", "KeyS", "KeyD", "KeyQ", "KeyE", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight"]);

function wireInput() {
  document.addEventListener("keydown", (event) => {
    if (event.target instanceof HTMLInputElement || !KEYS.has(event.code)) return;
    state.held.add(event.code);
    event.preventDefault();
  });
  document.addEventListener("keyup", (event) => state.held.delete(event.code));
  window.addEventListener("blur", () => state.held.clear());

  const rgb = $("rgb");
  rgb.addEventListener("click", () => state.session && rgb.requestPointerLock());
  document.addEventListener("mousemove", (event) => {
    if (document.pointerLockElement === rgb) {
      state.mouse.dx += event.movementX;
      state.mouse.dy += event.movementY;
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
      state.held.add(key);
      button.classList.add("held");
    });
    for (const name of ["pointerup", "pointercancel", "lostpointercapture"]) button.addEventListener(name, release);
  }

  $("login").addEventListener("submit", guarded(async (event) => {
    event.preventDefault();
    await connect();
  }));
  $("sample").addEventListener("click", guarded(useSample));
  $("file").addEventListener("change", guarded(async (event) => {
    if (event.target.files.length) await useFile(event.target.files[0]);
  }));
  $("save").addEventListener("click", guarded(saveWorld));
  $("ply").addEventListener("click", guarded(exportPly));

  document.addEventListener("dragover", (event) => {
    event.preventDefault();
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => document.body.classList.remove("dragging"));
  document.addEventListener("drop", guarded(async (event) => {
    event.preventDefault();
    document.body.classList.remove("dragging");
    const file = event.dataTransfer.files[0];
    if (!file) return;
    if (!state.link) throw new Error("not connected");
    await useFile(file);
  }));
}

wireInput();
requestAnimationFrame(tick);
guarded(connect)();
