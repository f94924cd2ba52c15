// The msgpack subset of the engine link (proto/ENGINE_LINK.md, "The msgpack subset"), with no
// third-party library so the package works on every Unity target and builds with mono's mcs.
//
// Decoded values are plain .NET objects:
//   bool; long (every integer that fits, whatever width it travelled in); ulong (only uint64
//   values above long.MaxValue); float (float32); double (float64); string; byte[] (bin);
//   List<object> (array); MsgMap (map with string keys, in wire order).
// The encoder takes those, plus the other integer types, double[] / string[] / any IList, and
// always writes the smallest form, as the daemon and every msgpack library do.

using System;
using System.Collections;
using System.Collections.Generic;
using System.Text;

namespace GwmEngine
{
    /// <summary>Bytes or values outside the link's msgpack subset.</summary>
    public sealed class MsgpackException : Exception
    {
        public MsgpackException(string message) : base(message) { }
    }

    /// <summary>A msgpack map with string keys that remembers wire order (the golden vectors
    /// compare bytes, and the order is part of the bytes).</summary>
    public sealed class MsgMap : IEnumerable<KeyValuePair<string, object>>
    {
        readonly List<KeyValuePair<string, object>> _items = new List<KeyValuePair<string, object>>();
        readonly Dictionary<string, int> _index = new Dictionary<string, int>(StringComparer.Ordinal);

        public int Count { get { return _items.Count; } }

        public IEnumerable<string> Keys
        {
            get { foreach (var item in _items) yield return item.Key; }
        }

        /// <summary>Adds a key; a duplicate key is an error (the subset has none).</summary>
        public MsgMap Add(string key, object value)
        {
            if (key == null) throw new ArgumentNullException("key");
            if (_index.ContainsKey(key)) throw new MsgpackException("duplicate map key '" + key + "'");
            _index[key] = _items.Count;
            _items.Add(new KeyValuePair<string, object>(key, value));
            return this;
        }

        public object this[string key]
        {
            get
            {
                object value;
                if (!TryGetValue(key, out value)) throw new KeyNotFoundException("no field '" + key + "'");
                return value;
            }
            set
            {
                int i;
                if (_index.TryGetValue(key, out i)) _items[i] = new KeyValuePair<string, object>(key, value);
                else Add(key, value);
            }
        }

        public bool ContainsKey(string key) { return _index.ContainsKey(key); }

        public bool TryGetValue(string key, out object value)
        {
            int i;
            if (_index.TryGetValue(key, out i)) { value = _items[i].Value; return true; }
            value = null;
            return false;
        }

        public IEnumerator<KeyValuePair<string, object>> GetEnumerator() { return _items.GetEnumerator(); }
        IEnumerator IEnumerable.GetEnumerator() { return _items.GetEnumerator(); }
    }

    public static class Msgpack
    {
        /// <summary>Link messages nest three deep; refusing deep input keeps hostile bytes from
        /// exhausting the stack (the reference codecs stop at the same depth).</summary>
        public const int MaxDepth = 16;

        static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        // ---------------------------------------------------------------- encoding

        public static byte[] Encode(object value)
        {
            var w = new Writer(256);
            Write(w, value, 0);
            return w.ToArray();
        }

        static void Write(Writer w, object value, int depth)
        {
            if (depth > MaxDepth) throw new MsgpackException("nested deeper than " + MaxDepth);
            if (value == null) throw new MsgpackException("nil is not in the link's msgpack subset");
            if (value is bool b) { w.Byte(b ? (byte)0xC3 : (byte)0xC2); return; }
            if (value is string s) { WriteString(w, s); return; }
            if (value is byte[] bin) { WriteBin(w, bin); return; }
            if (value is double d) { WriteDouble(w, d); return; }
            if (value is float f) { WriteFloat(w, f); return; }
            if (value is long l) { WriteInt(w, l); return; }
            if (value is int i) { WriteInt(w, i); return; }
            if (value is ulong ul) { WriteUInt(w, ul); return; }
            if (value is uint ui) { WriteUInt(w, ui); return; }
            if (value is short sh) { WriteInt(w, sh); return; }
            if (value is ushort us) { WriteUInt(w, us); return; }
            if (value is sbyte sb) { WriteInt(w, sb); return; }
            if (value is byte by) { WriteUInt(w, by); return; }
            if (value is MsgMap map)
            {
                Header(w, map.Count, 0x80, 15, 0xDE, 0xDF);
                foreach (var item in map)
                {
                    WriteString(w, item.Key);
                    Write(w, item.Value, depth + 1);
                }
                return;
            }
            if (value is IList list)
            {
                Header(w, list.Count, 0x90, 15, 0xDC, 0xDD);
                foreach (var item in list) Write(w, item, depth + 1);
                return;
            }
            if (value is Enum) { WriteInt(w, Convert.ToInt64(value)); return; }
            throw new MsgpackException(value.GetType().Name + " is not in the link's msgpack subset");
        }

        static void WriteInt(Writer w, long v)
        {
            if (v >= 0) { WriteUInt(w, (ulong)v); return; }
            if (v >= -32) w.Byte((byte)(sbyte)v);
            else if (v >= sbyte.MinValue) { w.Byte(0xD0); w.Byte((byte)(sbyte)v); }
            else if (v >= short.MinValue) { w.Byte(0xD1); w.BigEndian((ulong)(ushort)(short)v, 2); }
            else if (v >= int.MinValue) { w.Byte(0xD2); w.BigEndian((ulong)(uint)(int)v, 4); }
            else { w.Byte(0xD3); w.BigEndian((ulong)v, 8); }
        }

        static void WriteUInt(Writer w, ulong v)
        {
            if (v <= 0x7F) w.Byte((byte)v);
            else if (v <= byte.MaxValue) { w.Byte(0xCC); w.Byte((byte)v); }
            else if (v <= ushort.MaxValue) { w.Byte(0xCD); w.BigEndian(v, 2); }
            else if (v <= uint.MaxValue) { w.Byte(0xCE); w.BigEndian(v, 4); }
            else { w.Byte(0xCF); w.BigEndian(v, 8); }
        }

        // Every NaN is written as the quiet NaN Python and JavaScript write, so the bytes do not
        // depend on how the NaN was made (0.0 / 0.0 on x86 sets the sign bit).
        static void WriteDouble(Writer w, double d)
        {
            long bits = double.IsNaN(d) ? 0x7FF8000000000000L : BitConverter.DoubleToInt64Bits(d);
            w.Byte(0xCB);
            w.BigEndian((ulong)bits, 8);
        }

        static void WriteFloat(Writer w, float f)
        {
            uint bits = float.IsNaN(f) ? 0x7FC00000u : SingleBits(f);
            w.Byte(0xCA);
            w.BigEndian(bits, 4);
        }

        static void WriteString(Writer w, string s)
        {
            byte[] data = StrictUtf8.GetBytes(s);
            if (data.Length <= 31) w.Byte((byte)(0xA0 | data.Length));
            else if (data.Length <= byte.MaxValue) { w.Byte(0xD9); w.Byte((byte)data.Length); }
            else if (data.Length <= ushort.MaxValue) { w.Byte(0xDA); w.BigEndian((ulong)data.Length, 2); }
            else { w.Byte(0xDB); w.BigEndian((ulong)data.Length, 4); }
            w.Bytes(data, 0, data.Length);
        }

        static void WriteBin(Writer w, byte[] data)
        {
            if (data.Length <= byte.MaxValue) { w.Byte(0xC4); w.Byte((byte)data.Length); }
            else if (data.Length <= ushort.MaxValue) { w.Byte(0xC5); w.BigEndian((ulong)data.Length, 2); }
            else { w.Byte(0xC6); w.BigEndian((ulong)data.Length, 4); }
            w.Bytes(data, 0, data.Length);
        }

        static void Header(Writer w, int count, byte fix, int fixMax, byte size16, byte size32)
        {
            if (count <= fixMax) w.Byte((byte)(fix | count));
            else if (count <= ushort.MaxValue) { w.Byte(size16); w.BigEndian((ulong)count, 2); }
            else { w.Byte(size32); w.BigEndian((ulong)count, 4); }
        }

        static uint SingleBits(float f)
        {
            byte[] b = BitConverter.GetBytes(f);
            return BitConverter.IsLittleEndian
                ? (uint)(b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24)
                : (uint)(b[3] | b[2] << 8 | b[1] << 16 | b[0] << 24);
        }

        sealed class Writer
        {
            byte[] _buffer;
            int _length;

            public Writer(int capacity) { _buffer = new byte[capacity]; }

            void Reserve(int n)
            {
                if (_length + n <= _buffer.Length) return;
                var grown = new byte[Math.Max(_buffer.Length * 2, _length + n)];
                Buffer.BlockCopy(_buffer, 0, grown, 0, _length);
                _buffer = grown;
            }

            public void Byte(byte b) { Reserve(1); _buffer[_length++] = b; }

            public void BigEndian(ulong v, int n)
            {
                Reserve(n);
                for (int i = n - 1; i >= 0; i--) _buffer[_length++] = (byte)(v >> (8 * i));
            }

            public void Bytes(byte[] data, int offset, int count)
            {
                Reserve(count);
                Buffer.BlockCopy(data, offset, _buffer, _length, count);
                _length += count;
            }

            public byte[] ToArray()
            {
                var result = new byte[_length];
                Buffer.BlockCopy(_buffer, 0, result, 0, _length);
                return result;
            }
        }

        // ---------------------------------------------------------------- decoding

        /// <summary>The one msgpack object in <paramref name="data"/>; trailing bytes are an error.</summary>
        public static object Decode(byte[] data)
        {
            return Decode(data, 0, data.Length);
        }

        public static object Decode(byte[] data, int offset, int count)
        {
            var r = new Reader(data, offset, count);
            object value = Read(r, 0);
            if (r.Position != r.End)
                throw new MsgpackException((r.End - r.Position) + " trailing bytes");
            return value;
        }

        static object Read(Reader r, int depth)
        {
            if (depth > MaxDepth) throw new MsgpackException("nested deeper than " + MaxDepth);
            int at = r.Position;
            byte b = r.Byte();
            if (b <= 0x7F) return (long)b;
            if (b >= 0xE0) return (long)(sbyte)b;
            if (b >= 0xA0 && b <= 0xBF) return r.Text(b & 0x1F);
            if (b >= 0x90 && b <= 0x9F) return ReadArray(r, b & 0x0F, depth);
            if (b >= 0x80 && b <= 0x8F) return ReadMap(r, b & 0x0F, depth);
            switch (b)
            {
                case 0xC2: return false;
                case 0xC3: return true;
                case 0xCC: return (long)r.BigEndian(1);
                case 0xCD: return (long)r.BigEndian(2);
                case 0xCE: return (long)r.BigEndian(4);
                case 0xCF:
                {
                    ulong v = r.BigEndian(8);
                    return v <= long.MaxValue ? (object)(long)v : v;
                }
                case 0xD0: return (long)(sbyte)r.BigEndian(1);
                case 0xD1: return (long)(short)r.BigEndian(2);
                case 0xD2: return (long)(int)r.BigEndian(4);
                case 0xD3: return (long)r.BigEndian(8);
                case 0xCA: return SingleFromBits((uint)r.BigEndian(4));
                case 0xCB: return BitConverter.Int64BitsToDouble((long)r.BigEndian(8));
                case 0xD9: return r.Text(Length(r, 1));
                case 0xDA: return r.Text(Length(r, 2));
                case 0xDB: return r.Text(Length(r, 4));
                case 0xC4: return r.Bin(Length(r, 1));
                case 0xC5: return r.Bin(Length(r, 2));
                case 0xC6: return r.Bin(Length(r, 4));
                case 0xDC: return ReadArray(r, Length(r, 2), depth);
                case 0xDD: return ReadArray(r, Length(r, 4), depth);
                case 0xDE: return ReadMap(r, Length(r, 2), depth);
                case 0xDF: return ReadMap(r, Length(r, 4), depth);
            }
            throw new MsgpackException(string.Format(
                "byte 0x{0:x2} at offset {1} is outside the link's msgpack subset (nil, ext, reserved)", b, at - r.Start));
        }

        static int Length(Reader r, int width)
        {
            ulong n = r.BigEndian(width);
            if (n > int.MaxValue) throw new MsgpackException("length " + n + " is too long");
            return (int)n;
        }

        static List<object> ReadArray(Reader r, int count, int depth)
        {
            // A lying count runs out of bytes (every item is at least one byte), never allocates ahead.
            var items = new List<object>(Math.Min(count, r.End - r.Position));
            for (int i = 0; i < count; i++) items.Add(Read(r, depth + 1));
            return items;
        }

        static MsgMap ReadMap(Reader r, int count, int depth)
        {
            var map = new MsgMap();
            for (int i = 0; i < count; i++)
            {
                var key = Read(r, depth + 1) as string;
                if (key == null) throw new MsgpackException("map keys must be strings");
                map.Add(key, Read(r, depth + 1));
            }
            return map;
        }

        static float SingleFromBits(uint bits)
        {
            byte[] b = BitConverter.IsLittleEndian
                ? new[] { (byte)bits, (byte)(bits >> 8), (byte)(bits >> 16), (byte)(bits >> 24) }
                : new[] { (byte)(bits >> 24), (byte)(bits >> 16), (byte)(bits >> 8), (byte)bits };
            return BitConverter.ToSingle(b, 0);
        }

        sealed class Reader
        {
            readonly byte[] _data;
            public readonly int Start;
            public readonly int End;
            public int Position;

            public Reader(byte[] data, int offset, int count)
            {
                if (offset < 0 || count < 0 || offset + count > data.Length)
                    throw new ArgumentOutOfRangeException("count");
                _data = data;
                Start = offset;
                End = offset + count;
                Position = offset;
            }

            void Need(int n)
            {
                if (End - Position < n)
                    throw new MsgpackException(string.Format(
                        "truncated: need {0} bytes at offset {1}, have {2}", n, Position - Start, End - Position));
            }

            public byte Byte() { Need(1); return _data[Position++]; }

            public ulong BigEndian(int n)
            {
                Need(n);
                ulong v = 0;
                for (int i = 0; i < n; i++) v = (v << 8) | _data[Position++];
                return v;
            }

            public string Text(int n)
            {
                Need(n);
                try { return StrictUtf8.GetString(_data, Position, n); }
                catch (ArgumentException e) { throw new MsgpackException("a string is not UTF-8: " + e.Message); }
                finally { Position += n; }
            }

            public byte[] Bin(int n)
            {
                Need(n);
                var result = new byte[n];
                Buffer.BlockCopy(_data, Position, result, 0, n);
                Position += n;
                return result;
            }
        }
    }
}
