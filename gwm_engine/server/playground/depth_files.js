// Seed depth files in the browser, the two forms the CLI's --seed-depth reads
// (gwm_engine/media.py load_depth): `.npy` float metres and 16-bit greyscale PNG millimetres.
// Each becomes the raw array the link's seed_depth carries.
//
// A browser decodes PNGs to 8 bits per channel for canvases and bitmaps, which would turn
// millimetres into 256 steps, so the 16-bit PNG is read here: chunks, zlib via the browser's
// own DecompressionStream, and the scanline filters of the PNG specification.

const DEPTH_ENCODING_FLOAT32 = 1;
const DEPTH_ENCODING_UINT16_MM = 3;
const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** {width, height, bytes, encoding} of a depth file, or an Error that says what is wrong. */
export async function readDepthFile(file) {
  const data = new Uint8Array(await file.arrayBuffer());
  if (startsWith(data, NPY_MAGIC)) return readNpy(data);
  if (startsWith(data, PNG_MAGIC)) return readPng16(data);
  throw new Error(`depth file ${file.name}: give a .npy of float metres or a 16-bit greyscale PNG of millimetres`);
}

function startsWith(data, magic) {
  return data.length >= magic.length && magic.every((b, i) => data[i] === b);
}

function readNpy(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const major = data[6];
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder("latin1").decode(data.subarray(start, start + headerLength));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const kinds = { "<f4": [4, "getFloat32"], "<f8": [8, "getFloat64"], "<f2": [2, null] };
  if (!descr || !(descr in kinds)) throw new Error(`depth .npy holds ${descr ?? "an unknown type"}: give float metres (float32 or float64)`);
  if (fortran) throw new Error("depth .npy is in Fortran order: save it with numpy's default (C) order");
  if (!shape || !(shape.length === 2 || (shape.length === 3 && shape[2] === 1))) {
    throw new Error(`depth .npy has shape (${shape ?? ""}): give one (height, width) array`);
  }
  const [height, width] = shape;
  const [size, getter] = kinds[descr];
  const offset = start + headerLength;
  if (data.length - offset < width * height * size) throw new Error("depth .npy is shorter than its shape says");
  const values = new Float32Array(width * height);
  const body = new DataView(data.buffer, data.byteOffset + offset, width * height * size);
  for (let i = 0; i < values.length; i++) {
    values[i] = getter ? body[getter](i * size, true) : float16(body.getUint16(i * 2, true));
  }
  return { width, height, bytes: new Uint8Array(values.buffer), encoding: DEPTH_ENCODING_FLOAT32 };
}

function float16(h) {
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

async function readPng16(data) {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let width = 0;
  let height = 0;
  const idat = [];
  for (let at = 8; at + 8 <= data.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...data.subarray(at + 4, at + 8));
    const body = data.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [bitDepth, colourType, , , interlace] = body.subarray(8, 13);
      if (bitDepth !== 16 || colourType !== 0) {
        throw new Error(`the depth PNG is ${bitDepth}-bit ${colourType === 0 ? "greyscale" : "colour"}: give 16-bit greyscale millimetres`);
      }
      if (interlace) throw new Error("the depth PNG is interlaced: save it without interlacing");
    } else if (type === "IDAT") {
      idat.push(body);
    } else if (type === "IEND") {
      break;
    }
    at += 12 + length;
  }
  if (!width || !idat.length) throw new Error("the depth PNG is damaged (no header or no image data)");
  const raw = new Uint8Array(await new Response(new Blob(idat).stream().pipeThrough(new DecompressionStream("deflate"))).arrayBuffer());
  const stride = width * 2;
  if (raw.length < height * (stride + 1)) throw new Error("the depth PNG is shorter than its size says");
  const pixels = unfilter(raw, height, stride, 2);
  // PNG stores big-endian; the link's uint16 millimetres are little-endian.
  const out = new Uint8Array(width * height * 2);
  for (let i = 0; i < out.length; i += 2) {
    out[i] = pixels[i + 1];
    out[i + 1] = pixels[i];
  }
  return { width, height, bytes: out, encoding: DEPTH_ENCODING_UINT16_MM };
}

/** The PNG scanline filters undone (filter types 0-4), `bpp` bytes per pixel. */
function unfilter(raw, height, stride, bpp) {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? out[row + x - bpp] : 0;
      const b = y > 0 ? out[row - stride + x] : 0;
      const c = x >= bpp && y > 0 ? out[row - stride + x - bpp] : 0;
      let value = line[x];
      if (filter === 1) value += a;
      else if (filter === 2) value += b;
      else if (filter === 3) value += (a + b) >> 1;
      else if (filter === 4) value += paeth(a, b, c);
      else if (filter !== 0) throw new Error(`the depth PNG is damaged (unknown filter ${filter} on row ${y})`);
      out[row + x] = value & 0xff;
    }
  }
  return out;
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
