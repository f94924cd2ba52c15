// The plugin core's test program, built with mono's mcs together with Runtime/Core/**/*.cs and run
// by tests/plugins/test_unity.py. Modes:
//
//   units                      offline checks: codec errors, depth and image helpers, input
//                              mapping, XR anchoring, request building
//   vectors DIR                every golden vector of proto/link_vectors (ENGINE_LINK.md)
//   poses FILE                 pose conversions of FILE's lines, printed for Python to compare
//                              with tests/geometry/unity_pose.py
//   daemon URL PNG DEPTH_F16   a real daemon over the engine link (DaemonTests.cs)
//
// Prints "OK ..." lines; any failure prints "FAIL: ..." and exits 1.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace GwmEngine.Tests
{
    public sealed class TestFailure : Exception
    {
        public TestFailure(string message) : base(message) { }
    }

    public static class Program
    {
        public static int Main(string[] args)
        {
            CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
            CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
            try
            {
                string mode = args.Length > 0 ? args[0] : "";
                if (mode == "units" && args.Length == 1) Units.Run();
                else if (mode == "vectors" && args.Length == 2) Vectors.Run(args[1]);
                else if (mode == "poses" && args.Length == 2) Poses.Run(args[1]);
                else if (mode == "daemon" && args.Length == 4) DaemonTests.Run(args[1], args[2], args[3]).GetAwaiter().GetResult();
                else
                {
                    Console.Error.WriteLine("usage: units | vectors DIR | poses FILE | daemon URL PNG DEPTH_F16");
                    return 2;
                }
                Console.WriteLine("PASS " + mode);
                return 0;
            }
            catch (Exception e)
            {
                Console.Out.Flush();
                Console.Error.WriteLine("FAIL: " + e);
                return 1;
            }
        }
    }

    public static class Assert
    {
        public static void True(bool condition, string message)
        {
            if (!condition) throw new TestFailure(message);
        }

        public static void Near(double expected, double actual, double tolerance, string what)
        {
            if (!(Math.Abs(expected - actual) <= tolerance))
                throw new TestFailure(string.Format("{0}: expected {1:R}, got {2:R}", what, expected, actual));
        }

        public static T Throws<T>(Action action, string what) where T : Exception
        {
            try
            {
                action();
            }
            catch (T e)
            {
                return e;
            }
            catch (AggregateException e) when (e.InnerException is T)
            {
                return (T)e.InnerException;
            }
            throw new TestFailure(what + ": expected " + typeof(T).Name);
        }

        /// <summary>Typed equality of decoded values: same .NET type (so float32 stays float32),
        /// NaN equal to NaN, maps in the same key order.</summary>
        public static bool Same(object a, object b)
        {
            if (a == null || b == null) return a == b;
            if (a.GetType() != b.GetType()) return false;
            if (a is double da) return double.IsNaN(da) ? double.IsNaN((double)b) : da == (double)b;
            if (a is float fa) return float.IsNaN(fa) ? float.IsNaN((float)b) : fa == (float)b;
            if (a is byte[] ba) return ba.SequenceEqual((byte[])b);
            if (a is List<object> la)
            {
                var lb = (List<object>)b;
                if (la.Count != lb.Count) return false;
                for (int i = 0; i < la.Count; i++) if (!Same(la[i], lb[i])) return false;
                return true;
            }
            if (a is MsgMap ma)
            {
                var mb = (MsgMap)b;
                if (!ma.Keys.SequenceEqual(mb.Keys)) return false;
                foreach (var item in ma) if (!Same(item.Value, mb[item.Key])) return false;
                return true;
            }
            return a.Equals(b);
        }
    }

    /// <summary>The golden vectors: decode every file and compare with its value; encode every
    /// canonical value and compare the bytes; read every daemon message into its typed class.</summary>
    public static class Vectors
    {
        static int exact;

        public static void Run(string dir)
        {
            var index = MiniJson.Parse(File.ReadAllText(Path.Combine(dir, "index.json"), Encoding.UTF8));
            Assert.True((string)MiniJson.Get(index, "format") == "gwm-engine-link-vectors", "not a link vector index");
            int decoded = 0, encoded = 0, typed = 0, built = 0;
            exact = 0;
            foreach (var vector in (List<object>)MiniJson.Get(index, "vectors"))
            {
                string name = (string)MiniJson.Get(vector, "name");
                byte[] bytes = File.ReadAllBytes(Path.Combine(dir, (string)MiniJson.Get(vector, "file")));
                object expected = FromJson(MiniJson.Get(vector, "value"));
                object actual;
                try
                {
                    actual = Msgpack.Decode(bytes);
                }
                catch (Exception e)
                {
                    throw new TestFailure(name + ": decoding failed: " + e.Message);
                }
                Assert.True(Assert.Same(expected, actual), name + ": decoded value differs from index.json");
                decoded++;
                if ((bool)MiniJson.Get(vector, "canonical"))
                {
                    byte[] again = Msgpack.Encode(expected);
                    Assert.True(again.SequenceEqual(bytes), name + ": re-encoding is not byte-exact: " + Hex(again) + " vs " + Hex(bytes));
                    encoded++;
                }
                if ((string)MiniJson.Get(vector, "kind") != "message") continue;
                var message = (MsgMap)actual;
                if ((string)MiniJson.Get(vector, "direction") == "daemon_to_client")
                {
                    ReadTyped((string)MiniJson.Get(vector, "message_type"), name, message);
                    typed++;
                }
                else if (CheckBuilder(name, message, bytes)) built++;
            }
            Assert.True(decoded >= 80, "only " + decoded + " vectors in the index");
            Console.WriteLine(string.Format(
                "OK vectors: {0} decoded, {1} canonical re-encoded byte-exact, {2} replies read as typed messages, {3} requests built by the client ({4} byte-exact)",
                decoded, encoded, typed, built, exact));
        }

        static object FromJson(object json)
        {
            if (json is string || json is bool) return json;
            if (json is List<object> list) return list.Select(FromJson).ToList();
            var obj = (List<KeyValuePair<string, object>>)json;
            if (obj.Count == 1)
            {
                string tag = obj[0].Key;
                object v = obj[0].Value;
                if (tag == "$int")
                {
                    long l;
                    if (long.TryParse((string)v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                    return ulong.Parse((string)v, CultureInfo.InvariantCulture);
                }
                if (tag == "$f32") return (float)Float(v);
                if (tag == "$f64") return Float(v);
                if (tag == "$bin") return Convert.FromBase64String((string)v);
            }
            var map = new MsgMap();
            foreach (var item in obj) map.Add(item.Key, FromJson(item.Value));
            return map;
        }

        static double Float(object v)
        {
            if (v is JsonNumber n) return n.Value;
            switch ((string)v)
            {
                case "nan": return double.NaN;
                case "inf": return double.PositiveInfinity;
                case "-inf": return double.NegativeInfinity;
            }
            throw new TestFailure("bad float notation " + v);
        }

        static void ReadTyped(string type, string name, MsgMap m)
        {
            switch (type)
            {
                case "hello":
                    var hello = HelloReply.FromFields(m);
                    Assert.True(hello.ProtocolVersion.StartsWith("1.") && hello.MaxMessageBytes > 0, name);
                    break;
                case "get_info":
                    var info = ServerInfo.FromFields(m);
                    Assert.True(info.MaxSidePx >= info.MinSidePx && info.MinSidePx > 0 && info.RgbEncodings.Count > 0, name);
                    break;
                case "create_session":
                    var session = SessionInfo.FromFields(Fields.Map(m, "session"));
                    var first = GwmFrame.FromFields(Fields.Map(m, "first_frame"));
                    Assert.True(session.SessionId.Length > 0 && session.Pose.Length == 16, name + ": session");
                    CheckFrame(name, first);
                    break;
                case "step":
                case "play":
                    CheckFrame(name, GwmFrame.FromFields(m));
                    break;
                case "fork":
                case "load_world":
                    Assert.True(SessionInfo.FromFields(Fields.Map(m, "session")).Pose.Length == 16, name);
                    break;
                case "save_world":
                    Assert.True(Fields.Bytes(m, "world").Length > 0, name);
                    break;
                case "export_geometry":
                    var export = GeometryExport.FromFields(m);
                    if (export.Format == GeometryFormat.Glb)
                    {
                        var glb = GlbWorld.Read(export.Glb);
                        Assert.True(glb.World.VertexCount == (int)export.PointCount && glb.World.TriangleCount == (int)export.FaceCount
                            && glb.Collision.TriangleCount == (int)export.CollisionFaceCount && glb.World.Colors != null, name);
                    }
                    else Assert.True(PointCloud.FromPly(export.Ply).Count == (int)export.PointCount, name);
                    break;
                case "reset":
                    CheckFrame(name, GwmFrame.FromFields(m));
                    break;
                case "error":
                    var error = EngineLink.ErrorFrom(m, (uint)Fields.UInt(m, "id"));
                    Assert.True(error.CodeName == GwmLinkException.CodeNameOf(error.Code), name + ": code " + error.Code + " named " + error.CodeName);
                    Assert.True(error.ServerMessage.Length > 0, name + ": empty message");
                    break;
                case "save_world_chunks":
                case "export_geometry_chunks":
                    var chunk = FileChunk.FromFields(m);
                    Assert.True(chunk.Offset + (ulong)chunk.Data.Length <= chunk.TotalBytes, name + ": chunk past total_bytes");
                    break;
                case "load_world_chunks":
                    Assert.True(SessionInfo.FromFields(Fields.Map(m, "session")).Pose.Length == 16, name);
                    break;
                case "close_session":
                case "play_end":
                    break;
                default:
                    throw new TestFailure(name + ": unknown message type " + type);
            }
        }

        static void CheckFrame(string name, GwmFrame f)
        {
            int n = f.Width * f.Height;
            Assert.True(f.Pose.Length == 16 && n > 0, name + ": frame size or pose");
            if (f.RgbEncoding == RgbEncoding.Raw) Assert.True(f.Rgb.Length == n * 3, name + ": rgb length");
            float[] depth = f.DepthMetres(false);
            Assert.True(depth.Length == n, name + ": depth length");
            if (f.IsStereo)
                Assert.True(f.RightPose.Length == 16 && f.DepthMetres(true).Length == n, name + ": right eye");
            Assert.True(f.TimingsMs.ContainsKey("server_total"), name + ": timings");
        }

        /// <summary>Builds the request a vector holds with the client's own request code: the same
        /// map once the vector's proto-default fields are dropped (the client omits those), and the
        /// same bytes when the vector has none. Returns false for vectors the client never sends
        /// as such (a hello for another version, float32 actions).</summary>
        static bool CheckBuilder(string name, MsgMap vector, byte[] bytes)
        {
            string type = (string)vector["type"];
            uint id = (uint)(long)vector["id"];
            string sid = vector.ContainsKey("session_id") ? (string)vector["session_id"] : "";
            MsgMap fields;
            switch (name)
            {
                case "request_hello":
                    fields = new MsgMap().Add("protocol_version", EngineLink.ProtocolVersion);
                    break;
                case "request_get_info":
                case "request_play_end":
                    fields = new MsgMap();
                    break;
                case "request_fork":
                case "request_save_world":
                case "request_export_geometry":
                case "request_close_session":
                    fields = new MsgMap().Add("session_id", sid);
                    break;
                case "request_step":
                case "request_play_first":
                case "request_play_pose":
                    fields = ActionFrom(vector).ToFields(sid);
                    break;
                case "request_create_session":
                case "request_create_session_minimal":
                    fields = new CreateSessionRequest
                    {
                        SeedImage = (byte[])vector["seed_image"],
                        SeedImageEncoding = (RgbEncoding)Long(vector, "seed_image_encoding"),
                        SeedImageWidth = (int)Long(vector, "seed_image_width"),
                        SeedImageHeight = (int)Long(vector, "seed_image_height"),
                        SeedDepth = vector.ContainsKey("seed_depth") ? (byte[])vector["seed_depth"] : null,
                        SeedDepthEncoding = (DepthEncoding)Long(vector, "seed_depth_encoding"),
                        Width = (int)Long(vector, "width"),
                        Height = (int)Long(vector, "height"),
                        FovDeg = Fields.Double(vector, "fov_deg"),
                        Stereo = Fields.Bool(vector, "stereo"),
                        IpdM = Fields.Double(vector, "ipd_m"),
                        RgbEncoding = (RgbEncoding)Long(vector, "rgb_encoding"),
                        DepthEncoding = (DepthEncoding)Long(vector, "depth_encoding"),
                        JpegQuality = (int)Long(vector, "jpeg_quality"),
                        IncludeMask = Fields.Bool(vector, "include_mask"),
                        Seed = Fields.UInt(vector, "seed"),
                    }.ToFields();
                    break;
                case "request_load_world":
                    fields = new LoadWorldRequest
                    {
                        World = (byte[])vector["world"],
                        RgbEncoding = (RgbEncoding)Long(vector, "rgb_encoding"),
                        DepthEncoding = (DepthEncoding)Long(vector, "depth_encoding"),
                        JpegQuality = (int)Long(vector, "jpeg_quality"),
                        IncludeMask = Fields.Bool(vector, "include_mask"),
                    }.ToFields();
                    break;
                default:
                    return false;
            }
            byte[] mine = EngineLink.EncodeMessage(type, id, fields);
            var withoutDefaults = new MsgMap();
            foreach (var item in vector) if (!IsDefault(item.Value)) withoutDefaults.Add(item.Key, item.Value);
            var decoded = (MsgMap)Msgpack.Decode(mine);
            Assert.True(SameNumbers(withoutDefaults, decoded), name + ": the client builds " + Hex(mine));
            // Same typed value (no dropped defaults, no integer standing for a double): same bytes.
            if (withoutDefaults.Count == vector.Count && Assert.Same(vector, decoded))
            {
                Assert.True(mine.SequenceEqual(bytes), name + ": the client's bytes differ: " + Hex(mine));
                exact++;
            }
            return true;
        }

        static CameraAction ActionFrom(MsgMap v)
        {
            return new CameraAction
            {
                Seq = Fields.UInt(v, "seq"),
                ClientTimeUs = Fields.UInt(v, "client_time_us"),
                MoveRightM = Fields.Double(v, "move_right_m"),
                MoveUpM = Fields.Double(v, "move_up_m"),
                MoveForwardM = Fields.Double(v, "move_forward_m"),
                TurnYawDeg = Fields.Double(v, "turn_yaw_deg"),
                TurnPitchDeg = Fields.Double(v, "turn_pitch_deg"),
                TurnRollDeg = Fields.Double(v, "turn_roll_deg"),
                Pose = v.ContainsKey("pose") ? Fields.Doubles(v, "pose") : null,
            };
        }

        static long Long(MsgMap m, string key) { return Fields.Int(m, key); }

        static bool IsDefault(object v)
        {
            if (v is bool b) return !b;
            if (v is long l) return l == 0;
            if (v is double d) return d == 0;
            if (v is float f) return f == 0;
            if (v is string s) return s.Length == 0;
            if (v is byte[] bin) return bin.Length == 0;
            if (v is List<object> list) return list.Count == 0;
            return false;
        }

        /// <summary>Like Same, but an integer equals a float of the same value (the daemon takes
        /// 60 for 60.0, and the client always writes doubles as float64).</summary>
        static bool SameNumbers(object a, object b)
        {
            if (IsNumber(a) && IsNumber(b)) return Fields.Number("", a) == Fields.Number("", b);
            if (a is List<object> la && b is List<object> lb)
                return la.Count == lb.Count && la.Zip(lb, SameNumbers).All(x => x);
            if (a is MsgMap ma && b is MsgMap mb)
                return ma.Keys.SequenceEqual(mb.Keys) && ma.All(item => SameNumbers(item.Value, mb[item.Key]));
            return Assert.Same(a, b);
        }

        static bool IsNumber(object v) { return v is long || v is ulong || v is double || v is float; }

        public static string Hex(byte[] data)
        {
            var sb = new StringBuilder();
            foreach (byte b in data.Take(64)) sb.Append(b.ToString("x2"));
            if (data.Length > 64) sb.Append("...");
            return sb.ToString();
        }
    }

    /// <summary>Prints the C# pose conversions for lines of a file Python wrote:
    /// "to_unity p0 .. p15" and "from_unity px py pz qx qy qz qw".</summary>
    public static class Poses
    {
        public static void Run(string path)
        {
            int n = 0;
            foreach (string line in File.ReadAllLines(path))
            {
                string[] parts = line.Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 0) continue;
                double[] v = parts.Skip(1).Select(p => double.Parse(p, CultureInfo.InvariantCulture)).ToArray();
                if (parts[0] == "to_unity")
                {
                    GwmVector3 position;
                    GwmQuaternion rotation;
                    UnityPose.ToUnity(v, out position, out rotation);
                    Console.WriteLine("POSE to_unity " + Join(position.X, position.Y, position.Z, rotation.X, rotation.Y, rotation.Z, rotation.W));
                }
                else if (parts[0] == "from_unity")
                {
                    var pose = UnityPose.FromUnity(new GwmVector3(v[0], v[1], v[2]), new GwmQuaternion(v[3], v[4], v[5], v[6]));
                    Console.WriteLine("POSE from_unity " + Join(pose));
                }
                else throw new TestFailure("bad pose line: " + line);
                n++;
            }
            Console.WriteLine("OK poses: " + n + " conversions");
        }

        static string Join(params double[] values)
        {
            return string.Join(" ", values.Select(x => x.ToString("R", CultureInfo.InvariantCulture)));
        }
    }
}
