// Just enough JSON to read proto/link_vectors/index.json: objects keep their key order (map
// vectors compare bytes, and key order is part of them); numbers stay as their source text,
// since the vectors write every msgpack number as a tagged string or object anyway.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace GwmEngine.Tests
{
    public sealed class JsonNumber
    {
        public readonly string Text;
        public JsonNumber(string text) { Text = text; }
        public double Value { get { return double.Parse(Text, CultureInfo.InvariantCulture); } }
    }

    /// <summary>Objects become List&lt;KeyValuePair&lt;string, object&gt;&gt;, arrays List&lt;object&gt;,
    /// numbers JsonNumber, null null.</summary>
    public static class MiniJson
    {
        public static object Parse(string text)
        {
            int pos = 0;
            object value = Value(text, ref pos);
            Space(text, ref pos);
            if (pos != text.Length) throw new FormatException("trailing JSON at " + pos);
            return value;
        }

        static void Space(string s, ref int pos)
        {
            while (pos < s.Length && char.IsWhiteSpace(s[pos])) pos++;
        }

        static object Value(string s, ref int pos)
        {
            Space(s, ref pos);
            if (pos >= s.Length) throw new FormatException("JSON ends early");
            char c = s[pos];
            if (c == '{')
            {
                var obj = new List<KeyValuePair<string, object>>();
                pos++;
                Space(s, ref pos);
                if (s[pos] == '}') { pos++; return obj; }
                while (true)
                {
                    Space(s, ref pos);
                    string key = Str(s, ref pos);
                    Space(s, ref pos);
                    Expect(s, ref pos, ':');
                    obj.Add(new KeyValuePair<string, object>(key, Value(s, ref pos)));
                    Space(s, ref pos);
                    if (s[pos] == ',') { pos++; continue; }
                    Expect(s, ref pos, '}');
                    return obj;
                }
            }
            if (c == '[')
            {
                var list = new List<object>();
                pos++;
                Space(s, ref pos);
                if (s[pos] == ']') { pos++; return list; }
                while (true)
                {
                    list.Add(Value(s, ref pos));
                    Space(s, ref pos);
                    if (s[pos] == ',') { pos++; continue; }
                    Expect(s, ref pos, ']');
                    return list;
                }
            }
            if (c == '"') return Str(s, ref pos);
            if (Word(s, ref pos, "true")) return true;
            if (Word(s, ref pos, "false")) return false;
            if (Word(s, ref pos, "null")) return null;
            int start = pos;
            while (pos < s.Length && "+-0123456789.eE".IndexOf(s[pos]) >= 0) pos++;
            if (pos == start) throw new FormatException("unexpected '" + c + "' at " + pos);
            return new JsonNumber(s.Substring(start, pos - start));
        }

        static bool Word(string s, ref int pos, string word)
        {
            if (string.CompareOrdinal(s, pos, word, 0, word.Length) != 0) return false;
            pos += word.Length;
            return true;
        }

        static void Expect(string s, ref int pos, char c)
        {
            if (pos >= s.Length || s[pos] != c) throw new FormatException("expected '" + c + "' at " + pos);
            pos++;
        }

        static string Str(string s, ref int pos)
        {
            Expect(s, ref pos, '"');
            var sb = new StringBuilder();
            while (true)
            {
                char c = s[pos++];
                if (c == '"') return sb.ToString();
                if (c != '\\') { sb.Append(c); continue; }
                char e = s[pos++];
                switch (e)
                {
                    case '"': sb.Append('"'); break;
                    case '\\': sb.Append('\\'); break;
                    case '/': sb.Append('/'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'n': sb.Append('\n'); break;
                    case 'r': sb.Append('\r'); break;
                    case 't': sb.Append('\t'); break;
                    case 'u':
                        sb.Append((char)int.Parse(s.Substring(pos, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        pos += 4;
                        break;
                    default: throw new FormatException("bad escape \\" + e);
                }
            }
        }

        public static object Get(object obj, string key)
        {
            foreach (var item in (List<KeyValuePair<string, object>>)obj)
                if (item.Key == key) return item.Value;
            return null;
        }
    }
}
