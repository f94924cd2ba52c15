using System.Collections.Generic;

namespace GwmEngine
{
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
}
