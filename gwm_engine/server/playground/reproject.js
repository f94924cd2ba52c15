// Display-rate reprojection: the newest RGB-D frame drawn as a depth-displaced grid mesh from the
// camera's *current* pose, every display frame, so turns and small moves answer at the
// display's rate while frames arrive at the daemon's.
//
// Poses are 16 numbers, row-major world-from-camera (world.proto): +y up, the camera looks
// down its -z. Actions follow gwm_engine/geometry/actions.py exactly (the same code turns a
// pose there): R = Ry(yaw) Rx(pitch) Rz(roll), turns added to the pose's angles, pitch clamped,
// then the move in the turned camera frame. The client predicts where the daemon will put the
// camera and corrects itself from every frame's pose.

export const PITCH_LIMIT_DEG = 89;
// A grid triangle whose corners' depths differ by more than this ratio spans a depth edge (an
// object in front of another): it is cut instead of stretched into a rubber sheet. A floor seen
// at a grazing angle stays whole: neighbouring pixels 30 m away on it differ by ~10 % at 240 rows.
const TEAR_RATIO = 1.12;
// Pixels between the mesh's vertices: 1 (every pixel) on a GPU; the page coarsens it while the
// display runs slow, as a software rasteriser (a headless browser, a machine without a GPU)
// spends its time on triangles, not pixels. Colour keeps every pixel either way (a texture).
export const MAX_GRID_STRIDE = 8;
const NEAR_M = 0.05;
const FAR_M = 2000;

const DEG = Math.PI / 180;

function rotationFromYpr(yawDeg, pitchDeg, rollDeg) {
  const [cy, sy] = [Math.cos(yawDeg * DEG), Math.sin(yawDeg * DEG)];
  const [cp, sp] = [Math.cos(pitchDeg * DEG), Math.sin(pitchDeg * DEG)];
  const [cr, sr] = [Math.cos(rollDeg * DEG), Math.sin(rollDeg * DEG)];
  const ry = [cy, 0, sy, 0, 1, 0, -sy, 0, cy];
  const rx = [1, 0, 0, 0, cp, -sp, 0, sp, cp];
  const rz = [cr, -sr, 0, sr, cr, 0, 0, 0, 1];
  return mul3(mul3(ry, rx), rz);
}

function yprFromRotation(r) {
  // Inverse of rotationFromYpr; at pitch +-90 yaw absorbs roll.
  const pitch = Math.asin(Math.max(-1, Math.min(1, -r[5])));
  if (Math.abs(r[5]) < 1 - 1e-9) return [Math.atan2(r[2], r[8]) / DEG, pitch / DEG, Math.atan2(r[3], r[4]) / DEG];
  return [Math.atan2(-r[6], r[0]) / DEG, pitch / DEG, 0];
}

function mul3(a, b) {
  const out = new Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) out[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  }
  return out;
}

/** The pose after one action: an absolute `pose`, or turns then a move in the turned frame. */
export function applyAction(pose, action) {
  if (action.pose) return [...action.pose];
  const r = [pose[0], pose[1], pose[2], pose[4], pose[5], pose[6], pose[8], pose[9], pose[10]];
  const [yaw, pitch, roll] = yprFromRotation(r);
  const newPitch = Math.max(-PITCH_LIMIT_DEG, Math.min(PITCH_LIMIT_DEG, pitch + (action.turn_pitch_deg || 0)));
  const t = rotationFromYpr(yaw + (action.turn_yaw_deg || 0), newPitch, roll + (action.turn_roll_deg || 0));
  const move = [action.move_right_m || 0, action.move_up_m || 0, -(action.move_forward_m || 0)];
  const out = [t[0], t[1], t[2], 0, t[3], t[4], t[5], 0, t[6], t[7], t[8], 0, 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) out[4 * i + 3] = pose[4 * i + 3] + t[3 * i] * move[0] + t[3 * i + 1] * move[1] + t[3 * i + 2] * move[2];
  return out;
}

/** Inverse of a rigid row-major pose. */
function invertRigid(p) {
  const out = [p[0], p[4], p[8], 0, p[1], p[5], p[9], 0, p[2], p[6], p[10], 0, 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) out[4 * i + 3] = -(out[4 * i] * p[3] + out[4 * i + 1] * p[7] + out[4 * i + 2] * p[11]);
  return out;
}

function mul4(a, b) {
  const out = new Array(16);
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      out[4 * i + j] = a[4 * i] * b[j] + a[4 * i + 1] * b[4 + j] + a[4 * i + 2] * b[8 + j] + a[4 * i + 3] * b[12 + j];
    }
  }
  return out;
}

/** Row-major 4x4 as the column-major Float32Array WebGL wants. */
function columnMajor(m) {
  const out = new Float32Array(16);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) out[4 * j + i] = m[4 * i + j];
  return out;
}

/** OpenGL clip-from-camera of a pinhole camera (pixels: u right, v down, centres at +0.5). */
function projection(fx, fy, cx, cy, width, height) {
  const [n, f] = [NEAR_M, FAR_M];
  return [
    2 * fx / width, 0, 1 - 2 * cx / width, 0,
    0, 2 * fy / height, 2 * cy / height - 1, 0,
    0, 0, -(f + n) / (f - n), -2 * f * n / (f - n),
    0, 0, -1, 0,
  ];
}

// One vertex per pixel, placed from gl_VertexID alone (no vertex buffers); the index buffer
// holds the grid's triangles that span no depth edge (see tornFree).
const VERTEX_SHADER = `#version 300 es
precision highp float;
precision highp int;
uniform highp sampler2D u_depth;
uniform ivec2 u_size;
uniform int u_stride;  // pixels between grid vertices
uniform vec4 u_intrinsics;  // fx, fy, cx, cy of the frame, pixels
uniform mat4 u_clip_from_frame;  // the current view's projection times current-from-frame-camera
out vec2 v_uv;

void main() {
  int columns = (u_size.x + u_stride - 2) / u_stride + 1;
  ivec2 texel = min(ivec2(gl_VertexID % columns, gl_VertexID / columns) * u_stride, u_size - 1);
  float z = texelFetch(u_depth, texel, 0).r;
  vec2 pixel = vec2(texel) + 0.5;
  vec3 camera = vec3((pixel.x - u_intrinsics.z) / u_intrinsics.x * z, -(pixel.y - u_intrinsics.w) / u_intrinsics.y * z, -z);
  gl_Position = u_clip_from_frame * vec4(camera, 1.0);
  v_uv = pixel / vec2(u_size);
}`;

/** The grid's triangles whose corners all have a depth and lie on one surface: a triangle
 * across a depth edge is left out, not stretched. Grid vertex (i, j) is pixel (i, j) * stride
 * (the last row and column: the image's last), numbered j * columns + i. */
export function tornFree(depth, width, height, stride) {
  const columns = Math.ceil((width - 1) / stride) + 1;
  const rows = Math.ceil((height - 1) / stride) + 1;
  const at = new Int32Array(columns * rows);
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) at[j * columns + i] = Math.min(j * stride, height - 1) * width + Math.min(i * stride, width - 1);
  }
  const indices = new Uint32Array((columns - 1) * (rows - 1) * 6);
  let n = 0;
  const keep = (a, b, c) => {
    const [za, zb, zc] = [depth[at[a]], depth[at[b]], depth[at[c]]];
    const lo = Math.min(za, zb, zc);
    const hi = Math.max(za, zb, zc);
    if (lo > 0 && hi <= lo * TEAR_RATIO) {
      indices[n++] = a;
      indices[n++] = b;
      indices[n++] = c;
    }
  };
  for (let j = 0; j + 1 < rows; j++) {
    for (let i = 0; i + 1 < columns; i++) {
      const v = j * columns + i;
      keep(v, v + 1, v + columns);
      keep(v + 1, v + columns + 1, v + columns);
    }
  }
  return indices.subarray(0, n);
}

const FRAGMENT_SHADER = `#version 300 es
precision mediump float;
uniform sampler2D u_rgb;
in vec2 v_uv;
out vec4 color;
void main() {
  color = vec4(texture(u_rgb, v_uv).rgb, 1.0);
}`;

/** Draws frames on a WebGL2 canvas from any pose. Throws if the browser has no WebGL2. */
export class Reprojector {
  constructor(canvas, stride = 1) {
    this.stride = stride;
    // preserveDrawingBuffer: screenshots and readPixels see what is on screen.
    const gl = canvas.getContext("webgl2", { antialias: false, preserveDrawingBuffer: true });
    if (!gl) throw new Error("this browser has no WebGL2: the view cannot be drawn");
    this.gl = gl;
    this.canvas = canvas;
    this.program = link(gl, VERTEX_SHADER, FRAGMENT_SHADER);
    this.uniforms = Object.fromEntries(
      ["u_depth", "u_rgb", "u_size", "u_stride", "u_intrinsics", "u_clip_from_frame"].map((n) => [n, gl.getUniformLocation(this.program, n)]),
    );
    this.vao = gl.createVertexArray(); // no attributes: positions come from gl_VertexID
    this.indices = gl.createBuffer();
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.indices);
    gl.bindVertexArray(null);
    this.rgb = texture(gl, gl.LINEAR);
    this.depth = texture(gl, gl.NEAREST); // depth is never interpolated across an edge
    this.frame = null;
  }

  /** Replace the drawn frame: rgb (W*H*3 bytes), depth (W*H float32 metres), pose, intrinsics. */
  setFrame({ width, height, rgb, depth, pose, fx, fy, cx, cy }) {
    const gl = this.gl;
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.bindTexture(gl.TEXTURE_2D, this.rgb);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGB8, width, height, 0, gl.RGB, gl.UNSIGNED_BYTE, rgb);
    gl.bindTexture(gl.TEXTURE_2D, this.depth);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.R32F, width, height, 0, gl.RED, gl.FLOAT, depth);
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
    this.frame = { width, height, pose, fx, fy, cx, cy, depth: depth.slice(), count: 0 };
    this.setStride(this.stride);
  }

  /** Vertices every `stride` pixels from now on (the current frame is re-meshed). */
  setStride(stride) {
    this.stride = Math.max(1, Math.min(MAX_GRID_STRIDE, stride));
    const f = this.frame;
    if (!f) return;
    const gl = this.gl;
    const triangles = tornFree(f.depth, f.width, f.height, this.stride);
    gl.bindVertexArray(this.vao);
    gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, triangles, gl.DYNAMIC_DRAW);
    gl.bindVertexArray(null);
    f.count = triangles.length;
  }

  clear() {
    const gl = this.gl;
    this.frame = null;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0, 0, 0, 1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
  }

  /** Draw the frame as seen from `pose` (the camera now), with the frame's own intrinsics. */
  draw(pose) {
    const gl = this.gl;
    const f = this.frame;
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    gl.clearColor(0.08, 0.09, 0.1, 1); // uncovered by the frame: a turn beyond its edge, a disocclusion
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    if (!f) return;
    const clipFromFrame = mul4(projection(f.fx, f.fy, f.cx, f.cy, f.width, f.height), mul4(invertRigid(pose), f.pose));
    gl.enable(gl.DEPTH_TEST);
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.depth);
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.rgb);
    const u = this.uniforms;
    gl.uniform1i(u.u_depth, 0);
    gl.uniform1i(u.u_rgb, 1);
    gl.uniform2i(u.u_size, f.width, f.height);
    gl.uniform1i(u.u_stride, this.stride);
    gl.uniform4f(u.u_intrinsics, f.fx, f.fy, f.cx, f.cy);
    gl.uniformMatrix4fv(u.u_clip_from_frame, false, columnMajor(clipFromFrame));
    gl.drawElements(gl.TRIANGLES, f.count, gl.UNSIGNED_INT, 0);
    gl.flush();
  }
}

function texture(gl, filter) {
  const t = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, t);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, filter);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, filter);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return t;
}

function link(gl, vertexSource, fragmentSource) {
  const program = gl.createProgram();
  for (const [type, source] of [[gl.VERTEX_SHADER, vertexSource], [gl.FRAGMENT_SHADER, fragmentSource]]) {
    const shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(shader)}`);
    gl.attachShader(program, shader);
  }
  gl.linkProgram(program);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) throw new Error(`shader program: ${gl.getProgramInfoLog(program)}`);
  return program;
}
