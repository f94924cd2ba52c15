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
    public enum RgbEncoding { Unspecified = 0, Raw = 1, Jpeg = 2, Png = 3 }

    public enum DepthEncoding { Unspecified = 0, Float32 = 1, Float16 = 2, UInt16Mm = 3 }

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

    /// <summary>A camera action: relative (moves in metres, turns in degrees) unless Pose is set.
    /// Conventions (world.proto): +yaw turns left, +pitch looks up, +roll tilts the image
    /// counter-clockwise; a relative action turns first, then moves in the turned frame.</summary>
    public sealed class CameraAction
    {
        public ulong Seq;
        public ulong ClientTimeUs;
        public double MoveRightM, MoveUpM, MoveForwardM;
        public double TurnYawDeg, TurnPitchDeg, TurnRollDeg;
        /// <summary>Absolute world-from-camera pose (16 doubles, row-major, world.proto convention);
        /// null for a relative action. Convert Unity transforms with <see cref="UnityPose.FromUnity"/>.</summary>
        public double[] Pose;

        public static CameraAction Move(double rightM, double upM, double forwardM)
        {
            return new CameraAction { MoveRightM = rightM, MoveUpM = upM, MoveForwardM = forwardM };
        }

        public static CameraAction Turn(double yawDeg, double pitchDeg, double rollDeg)
        {
            return new CameraAction { TurnYawDeg = yawDeg, TurnPitchDeg = pitchDeg, TurnRollDeg = rollDeg };
        }

        public static CameraAction Absolute(double[] pose)
        {
            if (pose == null || pose.Length != 16) throw new ArgumentException("a pose is 16 doubles");
            return new CameraAction { Pose = (double[])pose.Clone() };
        }

        /// <summary>True for a relative action that neither moves nor turns.</summary>
        public bool IsIdle
        {
            get
            {
                return Pose == null && MoveRightM == 0 && MoveUpM == 0 && MoveForwardM == 0
                    && TurnYawDeg == 0 && TurnPitchDeg == 0 && TurnRollDeg == 0;
            }
        }

        public CameraAction Clone()
        {
            var copy = (CameraAction)MemberwiseClone();
            if (Pose != null) copy.Pose = (double[])Pose.Clone();
            return copy;
        }

        internal MsgMap ToFields(string sessionId)
        {
            var m = new MsgMap();
            if (!string.IsNullOrEmpty(sessionId)) m.Add("session_id", sessionId);
            if (Seq != 0) m.Add("seq", Seq);
            if (ClientTimeUs != 0) m.Add("client_time_us", ClientTimeUs);
            if (Pose != null)
            {
                if (Pose.Length != 16) throw new ArgumentException("a pose is 16 doubles");
                m.Add("pose", Pose);
                return m;
            }
            if (MoveRightM != 0) m.Add("move_right_m", MoveRightM);
            if (MoveUpM != 0) m.Add("move_up_m", MoveUpM);
            if (MoveForwardM != 0) m.Add("move_forward_m", MoveForwardM);
            if (TurnYawDeg != 0) m.Add("turn_yaw_deg", TurnYawDeg);
            if (TurnPitchDeg != 0) m.Add("turn_pitch_deg", TurnPitchDeg);
            if (TurnRollDeg != 0) m.Add("turn_roll_deg", TurnRollDeg);
            return m;
        }
    }

    /// <summary>One rendered view. Images are row-major, top row first (Unity textures are
    /// bottom row first: see <see cref="FrameImages"/>).</summary>
    public sealed class GwmFrame
    {
        public ulong Seq, ClientTimeUs, Index;
        public double[] Pose;
        public int Width, Height;
        public double FxPx, FyPx, CxPx, CyPx;
        public RgbEncoding RgbEncoding;
        public byte[] Rgb;
        public DepthEncoding DepthEncoding;
        public byte[] Depth;
        public byte[] Mask;
        public double[] RightPose;
        public byte[] RightRgb, RightDepth, RightMask;
        public Dictionary<string, double> TimingsMs;

        public bool IsStereo { get { return RightRgb.Length > 0; } }

        /// <summary>Metric z-depth in metres, top row first; 0 where unknown (UINT16_MM's 0).</summary>
        public float[] DepthMetres(bool rightEye)
        {
            return FrameImages.DecodeDepth(rightEye ? RightDepth : Depth, DepthEncoding, Width, Height);
        }

        public static GwmFrame FromFields(MsgMap m)
        {
            var timings = new Dictionary<string, double>();
            foreach (var item in Fields.Map(m, "timings_ms")) timings[item.Key] = Fields.Number(item.Key, item.Value);
            return new GwmFrame
            {
                Seq = Fields.UInt(m, "seq"),
                ClientTimeUs = Fields.UInt(m, "client_time_us"),
                Index = Fields.UInt(m, "index"),
                Pose = Fields.Doubles(m, "pose"),
                Width = (int)Fields.UInt(m, "width"),
                Height = (int)Fields.UInt(m, "height"),
                FxPx = Fields.Double(m, "fx_px"),
                FyPx = Fields.Double(m, "fy_px"),
                CxPx = Fields.Double(m, "cx_px"),
                CyPx = Fields.Double(m, "cy_px"),
                RgbEncoding = (RgbEncoding)Fields.Int(m, "rgb_encoding"),
                Rgb = Fields.Bytes(m, "rgb"),
                DepthEncoding = (DepthEncoding)Fields.Int(m, "depth_encoding"),
                Depth = Fields.Bytes(m, "depth"),
                Mask = Fields.Bytes(m, "mask"),
                RightPose = Fields.Doubles(m, "right_pose"),
                RightRgb = Fields.Bytes(m, "right_rgb"),
                RightDepth = Fields.Bytes(m, "right_depth"),
                RightMask = Fields.Bytes(m, "right_mask"),
                TimingsMs = timings,
            };
        }
    }

    /// <summary>A session as created, forked or loaded.</summary>
    public sealed class SessionInfo
    {
        public string SessionId;
        public int Width, Height;
        public double FovDeg;
        public bool Stereo;
        public double IpdM;
        public double[] Pose;
        public ulong Steps;
        public RgbEncoding RgbEncoding;
        public DepthEncoding DepthEncoding;
        public bool IncludeMask;

        public static SessionInfo FromFields(MsgMap m)
        {
            return new SessionInfo
            {
                SessionId = Fields.String(m, "session_id"),
                Width = (int)Fields.UInt(m, "width"),
                Height = (int)Fields.UInt(m, "height"),
                FovDeg = Fields.Double(m, "fov_deg"),
                Stereo = Fields.Bool(m, "stereo"),
                IpdM = Fields.Double(m, "ipd_m"),
                Pose = Fields.Doubles(m, "pose"),
                Steps = Fields.UInt(m, "steps"),
                RgbEncoding = (RgbEncoding)Fields.Int(m, "rgb_encoding"),
                DepthEncoding = (DepthEncoding)Fields.Int(m, "depth_encoding"),
                IncludeMask = Fields.Bool(m, "include_mask"),
            };
        }
    }

    /// <summary>The <c>hello</c> reply.</summary>
    public sealed class HelloReply
    {
        public string ProtocolVersion;
        public List<string> SupportedProtocolVersions;
        public string ServerVersion;
        public ulong MaxMessageBytes;

        public static HelloReply FromFields(MsgMap m)
        {
            return new HelloReply
            {
                ProtocolVersion = Fields.String(m, "protocol_version"),
                SupportedProtocolVersions = Fields.Items(m, "supported_protocol_versions", x => (string)x),
                ServerVersion = Fields.String(m, "server_version"),
                MaxMessageBytes = Fields.UInt(m, "max_message_bytes"),
            };
        }
    }

    /// <summary>GetInfoResponse: the model, versions and limits.</summary>
    public sealed class ServerInfo
    {
        public string ModelName, ModelVersion, ServerVersion, ProtocolVersion;
        public List<string> SupportedProtocolVersions;
        public int MinSidePx, MaxSidePx;
        public ulong MaxPixels;
        public List<RgbEncoding> RgbEncodings;
        public List<DepthEncoding> DepthEncodings;
        public List<string> Backends;
        public int MaxSessions, OpenSessions;
        public double IdleTimeoutS;
        public ulong MaxMessageBytes;
        public double MaxMoveM, MaxTurnDeg, BatchWaitMs;

        public static ServerInfo FromFields(MsgMap m)
        {
            return new ServerInfo
            {
                ModelName = Fields.String(m, "model_name"),
                ModelVersion = Fields.String(m, "model_version"),
                ServerVersion = Fields.String(m, "server_version"),
                ProtocolVersion = Fields.String(m, "protocol_version"),
                SupportedProtocolVersions = Fields.Items(m, "supported_protocol_versions", x => (string)x),
                MinSidePx = (int)Fields.UInt(m, "min_side_px"),
                MaxSidePx = (int)Fields.UInt(m, "max_side_px"),
                MaxPixels = Fields.UInt(m, "max_pixels"),
                RgbEncodings = Fields.Items(m, "rgb_encodings", x => (RgbEncoding)(long)x),
                DepthEncodings = Fields.Items(m, "depth_encodings", x => (DepthEncoding)(long)x),
                Backends = Fields.Items(m, "backends", x => (string)x),
                MaxSessions = (int)Fields.UInt(m, "max_sessions"),
                OpenSessions = (int)Fields.UInt(m, "open_sessions"),
                IdleTimeoutS = Fields.Double(m, "idle_timeout_s"),
                MaxMessageBytes = Fields.UInt(m, "max_message_bytes"),
                MaxMoveM = Fields.Double(m, "max_move_m"),
                MaxTurnDeg = Fields.Double(m, "max_turn_deg"),
                BatchWaitMs = Fields.Double(m, "batch_wait_ms"),
            };
        }
    }

    /// <summary>CreateSessionRequest. Width, Height and FovDeg are required; SeedImage is PNG or
    /// JPEG file bytes, or raw RGB8 (top row first) with SeedImageEncoding = Raw and its size.</summary>
    public sealed class CreateSessionRequest
    {
        public byte[] SeedImage;
        public RgbEncoding SeedImageEncoding;
        public int SeedImageWidth, SeedImageHeight;
        /// <summary>Optional metric z-depth of the seed, > 0 at every pixel; null: the model estimates it.</summary>
        public byte[] SeedDepth;
        public DepthEncoding SeedDepthEncoding;
        public int Width, Height;
        public double FovDeg;
        public bool Stereo;
        public double IpdM;
        public RgbEncoding RgbEncoding;
        public DepthEncoding DepthEncoding;
        public int JpegQuality;
        public bool IncludeMask;
        public ulong Seed;

        internal MsgMap ToFields()
        {
            if (SeedImage == null || SeedImage.Length == 0) throw new ArgumentException("SeedImage is required");
            var m = new MsgMap().Add("protocol_version", EngineLink.ProtocolVersion).Add("seed_image", SeedImage);
            if (SeedImageEncoding != RgbEncoding.Unspecified) m.Add("seed_image_encoding", (long)SeedImageEncoding);
            if (SeedImageWidth != 0) m.Add("seed_image_width", SeedImageWidth);
            if (SeedImageHeight != 0) m.Add("seed_image_height", SeedImageHeight);
            if (SeedDepth != null && SeedDepth.Length > 0) m.Add("seed_depth", SeedDepth);
            if (SeedDepthEncoding != DepthEncoding.Unspecified) m.Add("seed_depth_encoding", (long)SeedDepthEncoding);
            m.Add("width", Width).Add("height", Height).Add("fov_deg", FovDeg);
            if (Stereo) m.Add("stereo", true);
            if (IpdM != 0) m.Add("ipd_m", IpdM);
            if (RgbEncoding != RgbEncoding.Unspecified) m.Add("rgb_encoding", (long)RgbEncoding);
            if (DepthEncoding != DepthEncoding.Unspecified) m.Add("depth_encoding", (long)DepthEncoding);
            if (JpegQuality != 0) m.Add("jpeg_quality", JpegQuality);
            if (IncludeMask) m.Add("include_mask", true);
            if (Seed != 0) m.Add("seed", Seed);
            return m;
        }
    }

    /// <summary>LoadWorldRequest: a world file from SaveWorld and how frames should travel.</summary>
    public sealed class LoadWorldRequest
    {
        public byte[] World;
        public RgbEncoding RgbEncoding;
        public DepthEncoding DepthEncoding;
        public int JpegQuality;
        public bool IncludeMask;

        internal MsgMap ToFields()
        {
            if (World == null || World.Length == 0) throw new ArgumentException("World is required");
            var m = new MsgMap().Add("protocol_version", EngineLink.ProtocolVersion).Add("world", World);
            if (RgbEncoding != RgbEncoding.Unspecified) m.Add("rgb_encoding", (long)RgbEncoding);
            if (DepthEncoding != DepthEncoding.Unspecified) m.Add("depth_encoding", (long)DepthEncoding);
            if (JpegQuality != 0) m.Add("jpeg_quality", JpegQuality);
            if (IncludeMask) m.Add("include_mask", true);
            return m;
        }
    }

    /// <summary>ExportGeometryResponse: a binary little-endian PLY point cloud (world.proto frame).</summary>
    public sealed class GeometryExport
    {
        public byte[] Ply;
        public ulong PointCount;
    }
}
