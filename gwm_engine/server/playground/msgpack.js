// The engine link's msgpack subset (proto/ENGINE_LINK.md) for the browser. No dependencies.
//
// encode: boolean; number (safe integers take the smallest int form, every other number is
//   float64); BigInt (int64/uint64); string; Uint8Array (bin); Array; plain object (map, its
//   keys in insertion order).
// decode: the whole subset. float32 and float64 become numbers; 64-bit integers become numbers
//   when safe, else BigInt; bin becomes a Uint8Array of its own (offset 0, so typed-array views
//   such as Float32Array over it are aligned). nil, ext and non-string map keys are refused.

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
const MAX_DEPTH = 16; // link messages nest three deep; refusing deeper keeps hostile input cheap

class Writer {
  constructor() {
    this.bytes = new Uint8Array(1024);
    this.view = new DataView(this.bytes.buffer);
    this.pos = 0;
  }

  reserve(n) {
    if (this.pos + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.pos + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.pos));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  byte(b) {
    this.reserve(1);
    this.bytes[this.pos++] = b;
  }

  // A first byte, then a big-endian number written by a DataView setter.
  tagged(first, setter, size, value) {
    this.reserve(1 + size);
    this.bytes[this.pos] = first;
    this.view[setter](this.pos + 1, value);
    this.pos += 1 + size;
  }

  raw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  // The header of a str, bin, array or map: a fix form when `fix` allows, else the smallest sized one.
  header(length, fix, sized) {
    if (fix && length <= fix[1]) return this.byte(fix[0] | length);
    const [first8, first16, first32] = sized;
    if (first8 !== null && length < 0x100) return this.tagged(first8, "setUint8", 1, length);
    if (length < 0x10000) return this.tagged(first16, "setUint16", 2, length);
    return this.tagged(first32, "setUint32", 4, length);
  }
}

export function encode(value) {
  const w = new Writer();
  write(w, value);
  return w.bytes.slice(0, w.pos);
}

function write(w, v) {
  if (v === true || v === false) return w.byte(v ? 0xc3 : 0xc2);
  if (typeof v === "number") {
    if (Number.isSafeInteger(v)) return writeInt(w, v);
    return w.tagged(0xcb, "setFloat64", 8, v);
  }
  if (typeof v === "bigint") {
    if (v >= 0n) return w.tagged(0xcf, "setBigUint64", 8, v);
    return w.tagged(0xd3, "setBigInt64", 8, v);
  }
  if (typeof v === "string") {
    const bytes = utf8Encoder.encode(v);
    w.header(bytes.length, [0xa0, 31], [0xd9, 0xda, 0xdb]);
    return w.raw(bytes);
  }
  if (v instanceof Uint8Array) {
    w.header(v.length, null, [0xc4, 0xc5, 0xc6]);
    return w.raw(v);
  }
  if (Array.isArray(v)) {
    w.header(v.length, [0x90, 15], [null, 0xdc, 0xdd]);
    for (const item of v) write(w, item);
    return;
  }
  if (v !== null && typeof v === "object") {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    w.header(keys.length, [0x80, 15], [null, 0xde, 0xdf]);
    for (const k of keys) {
      write(w, k);
      write(w, v[k]);
    }
    return;
  }
  throw new TypeError(`msgpack subset: cannot encode ${v === null ? "null" : typeof v}`);
}

function writeInt(w, v) {
  if (v >= 0) {
    if (v < 0x80) return w.byte(v);
    if (v < 0x100) return w.tagged(0xcc, "setUint8", 1, v);
    if (v < 0x10000) return w.tagged(0xcd, "setUint16", 2, v);
    if (v < 0x100000000) return w.tagged(0xce, "setUint32", 4, v);
    return w.tagged(0xcf, "setBigUint64", 8, BigInt(v));
  }
  if (v >= -32) return w.byte(v & 0xff);
  if (v >= -0x80) return w.tagged(0xd0, "setInt8", 1, v);
  if (v >= -0x8000) return w.tagged(0xd1, "setInt16", 2, v);
  if (v >= -0x80000000) return w.tagged(0xd2, "setInt32", 4, v);
  return w.tagged(0xd3, "setBigInt64", 8, BigInt(v));
}

export function decode(bytes) {
  const r = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), pos: 0 };
  const value = read(r, 0);
  if (r.pos !== bytes.length) throw new Error(`msgpack subset: ${bytes.length - r.pos} trailing bytes`);
  return value;
}

function need(r, n) {
  if (r.pos + n > r.bytes.length) throw new Error(`msgpack subset: truncated at offset ${r.pos}`);
  const at = r.pos;
  r.pos += n;
  return at;
}

function safe(big) {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function read(r, depth) {
  if (depth > MAX_DEPTH) throw new Error("msgpack subset: nested too deep");
  const b = r.bytes[need(r, 1)];
  if (b <= 0x7f) return b;
  if (b >= 0xe0) return b - 0x100;
  if (b >= 0xa0 && b <= 0xbf) return readText(r, b & 0x1f);
  if (b >= 0x90 && b <= 0x9f) return readArray(r, b & 0x0f, depth);
  if (b >= 0x80 && b <= 0x8f) return readMap(r, b & 0x0f, depth);
  const v = r.view;
  switch (b) {
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xcc: return v.getUint8(need(r, 1));
    case 0xcd: return v.getUint16(need(r, 2));
    case 0xce: return v.getUint32(need(r, 4));
    case 0xcf: return safe(v.getBigUint64(need(r, 8)));
    case 0xd0: return v.getInt8(need(r, 1));
    case 0xd1: return v.getInt16(need(r, 2));
    case 0xd2: return v.getInt32(need(r, 4));
    case 0xd3: return safe(v.getBigInt64(need(r, 8)));
    case 0xca: return v.getFloat32(need(r, 4));
    case 0xcb: return v.getFloat64(need(r, 8));
    case 0xd9: return readText(r, v.getUint8(need(r, 1)));
    case 0xda: return readText(r, v.getUint16(need(r, 2)));
    case 0xdb: return readText(r, v.getUint32(need(r, 4)));
    case 0xc4: return readBin(r, v.getUint8(need(r, 1)));
    case 0xc5: return readBin(r, v.getUint16(need(r, 2)));
    case 0xc6: return readBin(r, v.getUint32(need(r, 4)));
    case 0xdc: return readArray(r, v.getUint16(need(r, 2)), depth);
    case 0xdd: return readArray(r, v.getUint32(need(r, 4)), depth);
    case 0xde: return readMap(r, v.getUint16(need(r, 2)), depth);
    case 0xdf: return readMap(r, v.getUint32(need(r, 4)), depth);
  }
  throw new Error(`msgpack subset: byte 0x${b.toString(16)} (nil, ext or reserved) is not in the subset`);
}

function readText(r, n) {
  const at = need(r, n);
  return utf8Decoder.decode(r.bytes.subarray(at, at + n));
}

function readBin(r, n) {
  const at = need(r, n);
  return r.bytes.slice(at, at + n);
}

function readArray(r, n, depth) {
  const items = []; // grown item by item: a lying length runs out of bytes before memory
  for (let i = 0; i < n; i++) items.push(read(r, depth + 1));
  return items;
}

function readMap(r, n, depth) {
  const map = Object.create(null); // no prototype: a "__proto__" key is just a key
  for (let i = 0; i < n; i++) {
    const key = read(r, depth + 1);
    if (typeof key !== "string") throw new Error("msgpack subset: map keys must be strings");
    map[key] = read(r, depth + 1);
  }
  return map;
}
