// Written strictly: only fields that differ from their default are sent, so a plugin never
// sends a field an older daemon does not know.

using System;

namespace GwmEngine
{
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
}
