// The gwm.v1 messages the link carries (proto/gwm/v1/world.proto), as plain classes. Field
// meanings and units are those of world.proto; names follow C# style.
//
// Replies are read leniently: a missing field takes its proto3 default, so a reply from a daemon
// of another minor version still reads. Requests are written strictly: only fields that differ
// from their default are sent, so a plugin never sends a field an older daemon does not know.

using System;
using System.Collections.Generic;

namespace GwmEngine
{
    /// <summary>Reads reply fields, taking every number width the subset allows.</summary>
    public static class Fields
    {
        public static string String(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return "";
            var s = v as string;
            if (s == null) throw Wrong(key, "str", v);
            return s;
        }

        public static byte[] Bytes(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return new byte[0];
            var b = v as byte[];
            if (b == null) throw Wrong(key, "bin", v);
            return b;
        }

        public static bool Bool(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return false;
            if (!(v is bool)) throw Wrong(key, "bool", v);
            return (bool)v;
        }

        public static ulong UInt(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return 0;
            if (v is long l && l >= 0) return (ulong)l;
            if (v is ulong u) return u;
            throw Wrong(key, "non-negative int", v);
        }

        public static long Int(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return 0;
            if (v is long l) return l;
            throw Wrong(key, "int", v);
        }

        public static double Double(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return 0;
            return Number(key, v);
        }

        public static double[] Doubles(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return new double[0];
            var list = v as List<object>;
            if (list == null) throw Wrong(key, "array", v);
            var result = new double[list.Count];
            for (int i = 0; i < result.Length; i++) result[i] = Number(key, list[i]);
            return result;
        }

        public static List<T> Items<T>(MsgMap m, string key, Func<object, T> item)
        {
            object v;
            var result = new List<T>();
            if (!m.TryGetValue(key, out v)) return result;
            var list = v as List<object>;
            if (list == null) throw Wrong(key, "array", v);
            foreach (var x in list) result.Add(item(x));
            return result;
        }

        public static MsgMap Map(MsgMap m, string key)
        {
            object v;
            if (!m.TryGetValue(key, out v)) return new MsgMap();
            var map = v as MsgMap;
            if (map == null) throw Wrong(key, "map", v);
            return map;
        }

        public static double Number(string key, object v)
        {
            if (v is double d) return d;
            if (v is float f) return f;
            if (v is long l) return l;
            if (v is ulong u) return u;
            throw Wrong(key, "number", v);
        }

        static MsgpackException Wrong(string key, string expected, object got)
        {
            return new MsgpackException(string.Format("field '{0}' should be {1}, got {2}", key, expected,
                got == null ? "nil" : got.GetType().Name));
        }
    }
}
